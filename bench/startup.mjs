// Process start → ready, and idle memory, of `picloud start` on PGlite (first
// start and restart) and on PostgreSQL, against a bare @hono/node-server
// process measured in the same run. Run after `npm run build`:
//   node bench/startup.mjs [runs]         (PostgreSQL part needs BENCH_DATABASE_URL or a local server)
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const runs = Number(process.argv[2] ?? 5);
const pgServer = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** Spawns, waits for a stdout line matching `ready`, samples RSS after 2 s idle, stops. */
function measure(args, env, ready) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let done = false;
    child.stdout.on("data", (d) => {
      out += d;
      if (!done && ready.test(out)) {
        done = true;
        const ms = performance.now() - t0;
        setTimeout(() => {
          const rss = rssMiB(child.pid);
          child.once("exit", () => resolve({ ms, rss }));
          child.kill("SIGTERM");
        }, 2000);
      }
    });
    let err = "";
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.once("exit", (code) => {
      if (!done) reject(new Error(`exited ${code} before ready\n${out}\n${err}`));
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function series(name, prepare, args, env, ready) {
  const ms = [];
  const rss = [];
  for (let i = 0; i < runs; i++) {
    const extra = (await prepare?.(i)) ?? {};
    const r = await measure(args, { ...env, ...extra }, ready);
    ms.push(r.ms);
    rss.push(r.rss);
  }
  return { name, ms: median(ms), rss: median(rss) };
}

const tmp = mkdtempSync(path.join(os.tmpdir(), "picloud-bench-"));
const bare = path.join(tmp, "bare.mjs");
writeFileSync(
  bare,
  `import { serve } from "${path.join(root, "node_modules/@hono/node-server/dist/index.mjs")}";
import { Hono } from "${path.join(root, "node_modules/hono/dist/index.js")}";
const app = new Hono().get("/", (c) => c.text("hi"));
serve({ fetch: app.fetch, port: 0 }, () => console.log("ready"));`,
);
const entry = path.join(root, "dist/src/main.js");
const admin = {
  PICLOUD_ADMIN_EMAIL: "bench@example.com",
  PICLOUD_ADMIN_PASSWORD: "bench password 1",
  PICLOUD_PORT: "0",
};
const READY = /"PiCloud is ready"/;

const results = [];
results.push(await series("bare @hono/node-server", null, [bare], {}, /ready/));
let fresh = 0;
results.push(
  await series(
    "picloud, PGlite, first start (initdb + migrations)",
    () => ({ PICLOUD_DATA_DIR: path.join(tmp, `fresh-${fresh++}`) }),
    [entry, "start"],
    admin,
    READY,
  ),
);
const existing = path.join(tmp, "existing");
await measure([entry, "start"], { ...admin, PICLOUD_DATA_DIR: existing }, READY);
results.push(
  await series(
    "picloud, PGlite, restart on existing data",
    null,
    [entry, "start"],
    { ...admin, PICLOUD_DATA_DIR: existing },
    READY,
  ),
);

let pgOk = true;
const sql = postgres(pgServer, { max: 1, onnotice: () => {} });
try {
  await sql`drop database if exists picloud_bench_startup`;
  await sql`create database picloud_bench_startup`;
} catch (err) {
  pgOk = false;
  console.error(`PostgreSQL part skipped: ${err.message}`);
}
if (pgOk) {
  const u = new URL(pgServer);
  u.pathname = "/picloud_bench_startup";
  const env = { ...admin, DATABASE_URL: u.toString(), PICLOUD_DATA_DIR: path.join(tmp, "pg") };
  await measure([entry, "start"], env, READY); // migrate once
  results.push(await series("picloud, PostgreSQL server", null, [entry, "start"], env, READY));
  // What the sandbox threads cost at idle: the same with sandboxes on the main thread, and with one thread.
  for (const threads of ["0", "1"])
    results.push(
      await series(
        `picloud, PostgreSQL server, PICLOUD_SANDBOX_THREADS=${threads}`,
        null,
        [entry, "start"],
        { ...env, PICLOUD_SANDBOX_THREADS: threads },
        READY,
      ),
    );
  await sql`drop database if exists picloud_bench_startup with (force)`;
}
await sql.end();
rmSync(tmp, { recursive: true, force: true });

const base = results[0];
console.log(
  `\nstart → ready and idle RSS, median of ${runs} runs (Node ${process.version}, ${os.cpus().length} cpus)\n`,
);
console.log("| process | start → ready ms | vs bare Hono | idle RSS MiB | vs bare Hono |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const r of results) {
  console.log(
    `| ${r.name} | ${r.ms.toFixed(0)} | ${(r.ms / base.ms).toFixed(1)}× | ${r.rss.toFixed(0)} | ${(r.rss / base.rss).toFixed(1)}× |`,
  );
}
