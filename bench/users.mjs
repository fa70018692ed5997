// End users on one process: login/s (Argon2id at OWASP parameters on libuv's pool, plus the
// session insert), session verify/s (one indexed lookup), and the event loop's delay while a
// burst of logins runs, against the same loop idle and a plain Argon2 verify/s in the same run.
// The point: Argon2 must not block the event loop (requests keep being served during a burst).
//   npm run build && node bench/users.mjs [logins] [verifies]
import { monitorEventLoopDelay } from "node:perf_hooks";
import { verify as argonVerify } from "@node-rs/argon2";
import { hashSecret } from "../dist/src/auth/passwords.js";
import { createInstance } from "./lib/instance.mjs";

const LOGINS = Number(process.argv[2] ?? 200);
const VERIFIES = Number(process.argv[3] ?? 5000);
const CONCURRENCY = 8;

/** Runs `n` calls of `fn`, `concurrency` at a time; returns calls per second. */
async function rate(n, concurrency, fn) {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next++;
        await fn();
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

/** Event-loop delay (ms) while `work` runs: p50, p99, max. */
async function loopDelay(work) {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  await work();
  h.disable();
  const ms = (ns) => Math.round((ns / 1e6) * 10) / 10;
  return { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) };
}

const inst = await createInstance("pglite", {});
const users = inst.services.appUsers;
const app = inst.appId;
const password = "bench password 123";
await users.create(app, { email: "bench@example.com", password, verified: true });

// Baseline: Argon2 alone, same parameters, same concurrency.
const hash = await hashSecret(password);
const argonPerSec = await rate(LOGINS, CONCURRENCY, () => argonVerify(hash, password));
const loginPerSec = await rate(LOGINS, CONCURRENCY, () => users.login(app, "bench@example.com", password));
const { token } = await users.login(app, "bench@example.com", password);
const verifyPerSec = await rate(VERIFIES, CONCURRENCY, () => users.verify(app, token));

// Event-loop delay: idle for as long as the burst takes, then during the burst.
let burstMs = 0;
const burst = await loopDelay(async () => {
  const t0 = performance.now();
  await rate(LOGINS, CONCURRENCY, () => users.login(app, "bench@example.com", password));
  burstMs = performance.now() - t0;
});
const idle = await loopDelay(() => new Promise((r) => setTimeout(r, burstMs)));
// Argon2 alone in a burst: what the hashing itself costs the loop (PGlite runs on the loop too).
const argonBurst = await loopDelay(() => rate(LOGINS, CONCURRENCY, () => argonVerify(hash, password)));

console.log(
  JSON.stringify(
    {
      node: process.version,
      logins: LOGINS,
      concurrency: CONCURRENCY,
      argon2VerifyPerSec: Math.round(argonPerSec),
      loginPerSec: Math.round(loginPerSec),
      verifyPerSec: Math.round(verifyPerSec),
      eventLoopDelayMs: { idle, argon2Burst: argonBurst, loginBurst: burst },
      burstSeconds: Math.round(burstMs) / 1000,
    },
    null,
    2,
  ),
);
await inst.close();
