// The HTTP data plane under load, each number a ratio against a baseline
// measured in the same run (wrk on loopback, 10 and 50 connections):
//   1. hello world through the whole PiCloud pipeline (a snapshot sandbox per
//      script version, restored after every request) vs the same handler on
//      bare Hono + @hono/node-server;
//   2. the same with isolation = "script" (one evaluated context reused);
//   3. the examples/hono-app Hono app through PiCloud vs the same app on bare
//      @hono/node-server.
// PiCloud runs once per sandbox thread count (PICLOUD_SANDBOX_THREADS: 0 = the
// main thread, then 1 and 2), so thread counts compare in the same run too,
// and once more with PICLOUD_SANDBOX_SNAPSHOTS=false (a fresh context and a
// compile per request: the design before snapshot sandboxes).
// Needs `npm run build` and wrk (apt-get install wrk).
//   node bench/dataplane.mjs [seconds] [thread counts, e.g. 0,1,2]
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SECONDS = Number(process.argv[2] ?? 10);
const THREADS = (process.argv[3] ?? "0,1,2").split(",").map(Number);
const tmp = mkdtempSync(path.join(os.tmpdir(), "picloud-bench-dp-"));

function wrk(url, host, connections = 10) {
  const args = ["-t2", `-c${connections}`, `-d${SECONDS}s`, "--latency"];
  if (host) args.push("-H", `Host: ${host}`);
  const out = execFileSync("wrk", [...args, url], { encoding: "utf8" });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const ms = (label) => {
    const m = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) return Number.NaN;
    return Number(m[1]) * (m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1);
  };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return { rps, p50: ms("50"), p99: ms("99"), non2xx };
}

function startProcess(args, env, readyPattern) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const onData = (d) => {
      out += d;
      const m = readyPattern.exec(out);
      if (m) {
        child.stdout.off("data", onData);
        resolve({ child, port: Number(m[1]) });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (d) => (out += d));
    child.once("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

const stop = (p) =>
  new Promise((r) => {
    p.child.once("exit", r);
    p.child.kill("SIGTERM");
  });

// --- baselines: bare Hono on @hono/node-server
const honoServer = (extra) => `import { serve } from "${root}/node_modules/@hono/node-server/dist/index.mjs";
${extra}
serve({ fetch: app.fetch, port: 0 }, (info) => console.log("listening " + info.port));`;
writeFileSync(
  path.join(tmp, "bare-hello.mjs"),
  honoServer(`import { Hono } from "${root}/node_modules/hono/dist/index.js";
const app = new Hono().get("/hello", () => new Response("Hello, world!"));`),
);
const bundled = await build({
  entryPoints: [path.join(root, "examples/hono-app/src/index.ts")],
  bundle: true,
  format: "esm",
  platform: "neutral",
  write: false,
  mainFields: ["module", "main"],
  nodePaths: [path.join(root, "node_modules")],
});
const appSource = bundled.outputFiles[0].text;
writeFileSync(path.join(tmp, "hono-app.mjs"), appSource);
writeFileSync(
  path.join(tmp, "bare-hono-app.mjs"),
  honoServer(`import hono from "./hono-app.mjs";
const app = { fetch: (req) => hono.fetch(req, { APP_TITLE: "Hono on PiCloud" }, { waitUntil() {}, passThroughOnException() {} }) };`),
);

// --- PiCloud with the three scripts deployed before it listens
const dataDir = path.join(tmp, "data");
const project = path.join(tmp, "project");
execFileSync("mkdir", ["-p", path.join(project, "src")]);
writeFileSync(
  path.join(project, "src/hello.js"),
  `export default { fetch() { return new Response("Hello, world!") } }`,
);
writeFileSync(path.join(project, "src/app.js"), appSource);
writeFileSync(
  path.join(project, "picloud.toml"),
  `name = "default"
[vars]
APP_TITLE = "Hono on PiCloud"
[[scripts]]
name = "hello"
main = "src/hello.js"
routes = ["GET /hello"]
[[scripts]]
name = "hello-reuse"
main = "src/hello.js"
isolation = "script"
routes = ["GET /hello-reuse"]
[[scripts]]
name = "hono"
main = "src/app.js"
routes = [{ route = "/*", host = "hono.localhost" }]
`,
);

const _results = [];
const bareHello = await startProcess([path.join(tmp, "bare-hello.mjs")], {}, /listening (\d+)/);
const bare = wrk(`http://127.0.0.1:${bareHello.port}/hello`);
const bare50 = wrk(`http://127.0.0.1:${bareHello.port}/hello`, undefined, 50);
await stop(bareHello);
const bareApp = await startProcess([path.join(tmp, "bare-hono-app.mjs")], {}, /listening (\d+)/);
const bareBooks = wrk(`http://127.0.0.1:${bareApp.port}/books/2`);
const bareBooks50 = wrk(`http://127.0.0.1:${bareApp.port}/books/2`, undefined, 50);
await stop(bareApp);

const runs = [];
const configs = [
  ...THREADS.map((threads) => ({ threads, snapshots: true })),
  { threads: THREADS.at(-1), snapshots: false },
];
for (const { threads, snapshots } of configs) {
  rmSync(dataDir, { recursive: true, force: true });
  const picloud = await startProcess(
    [path.join(root, "dist/src/main.js"), "start"],
    {
      PICLOUD_PORT: "0",
      PICLOUD_DATA_DIR: dataDir,
      PICLOUD_DEPLOY_ON_START: path.join(project, "picloud.toml"),
      PICLOUD_LOG_LEVEL: "info",
      PICLOUD_ADMIN_EMAIL: "b@example.com",
      PICLOUD_ADMIN_PASSWORD: "bench password 1",
      PICLOUD_SANDBOX_THREADS: String(threads),
      PICLOUD_SANDBOX_SNAPSHOTS: String(snapshots),
    },
    /"port":(\d+)[^\n]*"PiCloud is ready"/,
  );
  const base = `http://127.0.0.1:${picloud.port}`;
  // The demo project is the default app: it answers on default.localhost, not on the admin host.
  runs.push({
    threads,
    snapshots,
    fresh: wrk(`${base}/hello`, "default.localhost"),
    fresh50: snapshots ? wrk(`${base}/hello`, "default.localhost", 50) : undefined,
    reuse: snapshots ? wrk(`${base}/hello-reuse`, "default.localhost") : undefined,
    books: wrk(`${base}/books/2`, "hono.localhost"),
    books50: snapshots ? wrk(`${base}/books/2`, "hono.localhost", 50) : undefined,
  });
  await stop(picloud);
}
rmSync(tmp, { recursive: true, force: true });

const row = (name, r, b) =>
  `| ${name} | ${r.rps.toFixed(0)} | ${((r.rps / b.rps) * 100).toFixed(1)} % | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.non2xx} |`;
console.log(`\nwrk -t2 -d${SECONDS}s on 127.0.0.1 (Node ${process.version}, ${os.cpus().length} cpus)\n`);
console.log("| server | req/s | of baseline | p50 ms | p99 ms | non-2xx |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
const label = (r) =>
  `${r.threads === 0 ? "main thread" : `${r.threads} sandbox thread${r.threads > 1 ? "s" : ""}`}${r.snapshots ? "" : ", snapshots off"}`;
console.log(row("bare Hono, hello, 10 conn (baseline)", bare, bare));
console.log(row("bare Hono, hello, 50 conn (baseline)", bare50, bare50));
for (const r of runs) {
  console.log(row(`PiCloud, hello, 10 conn, ${label(r)}`, r.fresh, bare));
  if (r.fresh50) console.log(row(`PiCloud, hello, 50 conn, ${label(r)}`, r.fresh50, bare50));
  if (r.reuse) console.log(row(`PiCloud, hello, isolation = script, 10 conn, ${label(r)}`, r.reuse, bare));
}
console.log(row("bare Hono, examples/hono-app GET /books/2, 10 conn (baseline)", bareBooks, bareBooks));
console.log(row("bare Hono, examples/hono-app GET /books/2, 50 conn (baseline)", bareBooks50, bareBooks50));
for (const r of runs) {
  console.log(row(`PiCloud, examples/hono-app, 10 conn, ${label(r)}`, r.books, bareBooks));
  if (r.books50) console.log(row(`PiCloud, examples/hono-app, 50 conn, ${label(r)}`, r.books50, bareBooks50));
}
