// What a stuck script costs everyone else: while a script spins inside
// JSON.stringify of a huge shared graph (a built-in the interrupt handler never
// reaches, time limit 200 ms) — requested again as soon as each attempt ends —
// /healthz is polled every 20 ms for a fixed window; its latencies are the
// result. Sandboxes on the main thread (PICLOUD_SANDBOX_THREADS=0, the baseline)
// against 2 sandbox threads, in the same run. Goal: /healthz p99 ≤ 50 ms.
// Needs `npm run build`.
//   node bench/stuck.mjs [window seconds]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const WINDOW_S = Number(process.argv[2] ?? 10);
const ADMIN = { email: "b@example.com", password: "bench password 1" };
const STUCK =
  "export default { fetch() { let o = [1]; for (let i = 0; i < 40; i++) o = [o, o]; return new Response(JSON.stringify(o)) } }";

function start(threads, dataDir) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, "dist/src/main.js"), "start"], {
      env: {
        PATH: process.env.PATH,
        PICLOUD_PORT: "0",
        PICLOUD_DATA_DIR: dataDir,
        PICLOUD_DEPLOY_ON_START: "off",
        PICLOUD_ADMIN_EMAIL: ADMIN.email,
        PICLOUD_ADMIN_PASSWORD: ADMIN.password,
        PICLOUD_SANDBOX_THREADS: String(threads),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /"port":(\d+)[^\n]*"PiCloud is ready"/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

/** One request on a fresh connection (a blocked event loop cannot hide behind a kept-alive socket). */
function get(port, pathname, host) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.get(
      { host: "127.0.0.1", port, path: pathname, headers: host ? { host } : {} },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode, ms: performance.now() - t0 }));
      },
    );
    req.on("error", () => resolve({ status: 0, ms: performance.now() - t0 }));
  });
}

async function admin(port, cookie, method, pathname, body) {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/admin${pathname}`, {
    method,
    headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(body),
  });
  return res;
}

async function measure(threads) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "picloud-bench-stuck-"));
  const daemon = await start(threads, dataDir);
  const login = await admin(daemon.port, null, "POST", "/auth/login", ADMIN);
  const cookie = login.headers.getSetCookie()[0].split(";")[0];
  const deployed = await admin(daemon.port, cookie, "POST", "/apps/default/deploy", {
    scripts: [{ name: "stuck", source: STUCK, routes: [{ path: "/stuck" }], limits: { timeMs: 200 } }],
  });
  if (deployed.status !== 200) throw new Error(`deploy: ${deployed.status} ${await deployed.text()}`);
  const until = Date.now() + WINDOW_S * 1000;
  const stuck = [];
  const spinner = (async () => {
    while (Date.now() < until) stuck.push(await get(daemon.port, "/stuck", "default.localhost"));
  })();
  const health = [];
  const polls = [];
  while (Date.now() < until) {
    polls.push(get(daemon.port, "/healthz").then((r) => health.push(r)));
    await new Promise((r) => setTimeout(r, 20));
  }
  await Promise.all(polls);
  await spinner;
  daemon.child.kill("SIGTERM");
  await new Promise((r) => daemon.child.once("exit", r));
  rmSync(dataDir, { recursive: true, force: true });
  const ms = health.map((h) => h.ms).sort((a, b) => a - b);
  const q = (p) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))];
  return {
    threads,
    polls: ms.length,
    ok: health.filter((h) => h.status === 200).length,
    p50: q(0.5),
    p99: q(0.99),
    max: ms[ms.length - 1],
    stuckRuns: stuck.length,
    stuckStatuses: [...new Set(stuck.map((s) => s.status))].join(","),
    stuckMs: stuck.length ? stuck.reduce((n, s) => n + s.ms, 0) / stuck.length : Number.NaN,
  };
}

const results = [];
for (const threads of [0, 2]) results.push(await measure(threads));
const base = results[0];
console.log(
  `\n/healthz every 20 ms for ${WINDOW_S} s while /stuck (JSON.stringify of 2^40 shared elements, limit 200 ms) is requested back to back (Node ${process.version}, ${os.cpus().length} cpus)\n`,
);
console.log(
  "| sandboxes | /healthz polls (200) | p50 ms | p99 ms | max ms | p99 vs main thread | stuck runs | status | ms per stuck run |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
for (const r of results)
  console.log(
    `| ${r.threads === 0 ? "main thread" : `${r.threads} threads`} | ${r.polls} (${r.ok}) | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(0)} | ${(r.p99 / base.p99).toFixed(4)}× | ${r.stuckRuns} | ${r.stuckStatuses} | ${r.stuckMs.toFixed(0)} |`,
  );
process.exit(0);
