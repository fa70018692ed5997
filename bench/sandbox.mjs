/**
 * Sandbox overhead benchmark. Run `npm run build` first (it imports dist/), then:
 *
 *   node bench/sandbox.mjs [iterations=3000]
 *
 * Prints p50/p99 µs per hello-world execution for fresh contexts (paced, so
 * contexts are prepared off the request path, and saturated, back to back) and
 * for isolation = "script", the CPU each execution costs, a breakdown of where
 * a fresh context's time goes, and ratios against baselines measured in the
 * same run: a plain JS function building the same response, Node's own
 * Response, and the prototype approach (new runtime + context per request,
 * whole prelude evaluated eagerly).
 */
import { build } from "esbuild";
import { Engine } from "../dist/runtime/engine.js";
import { GuestContext, RuntimeSlot } from "../dist/runtime/guest-context.js";
import { dispatch } from "../dist/runtime/host-ops.js";
import { createSandboxHost } from "../dist/runtime/index.js";
import { ALL_GLOBALS } from "../dist/runtime/prelude-globals.js";
import { loadPrelude } from "../dist/runtime/prelude-source.js";

const N = Number(process.argv[2] ?? 3000);
const HELLO = `export default { fetch(request) { return new Response("hello") } }`;
const LIMITS = {
  wallTimeMs: 5000,
  memoryBytes: 64 << 20,
  stackBytes: 192 << 10,
  maxResponseBytes: 1 << 20,
  maxLogBytes: 1 << 16,
};
const REQUEST = { method: "GET", url: "https://bench.test/", headers: [["accept", "*/*"]], body: null };

const stats = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
  return { p50: at(0.5) * 1000, p99: at(0.99) * 1000 };
};
const fmt = (n) => n.toFixed(0).padStart(7);
const rows = [];
const report = (label, samples, cpuPerOp) => {
  const s = stats(samples);
  rows.push({ label, ...s, cpu: cpuPerOp });
  console.log(
    `${label.padEnd(46)} p50 ${fmt(s.p50)} µs   p99 ${fmt(s.p99)} µs   cpu/exec ${cpuPerOp === undefined ? "      -" : fmt(cpuPerOp)} µs`,
  );
  return s;
};
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const tick = () => new Promise((resolve) => setImmediate(resolve));

let id = 0;
const job = (source, isolation = "none", versionId = "bench") => ({
  executionId: `e${++id}`,
  rootExecutionId: `e${id}`,
  depth: 0,
  script: { versionId, source, isolation },
  entry: "fetch",
  input: { request: REQUEST },
  vars: {},
  limits: LIMITS,
});

async function sandboxRun(host, source, isolation, { paced, versionId }) {
  const samples = [];
  const warm = Math.min(300, N / 5);
  let cpu = 0;
  for (let i = 0; i < N + warm; i++) {
    const permit = host.gate.tryAcquire();
    const c0 = cpuNow();
    const t0 = performance.now();
    const running = host.start(job(source, isolation, versionId), permit);
    const outcome = await running.result;
    const t1 = performance.now();
    if (outcome.status !== "ok") throw new Error(JSON.stringify(outcome));
    await running.finished;
    if (paced) await tick(); // lets the next context be prepared off the request path
    const c1 = cpuNow();
    if (i >= warm) {
      samples.push(t1 - t0);
      cpu += c1 - c0;
    }
  }
  return { samples, cpuPerOp: (cpu / N) * 1000 };
}

async function breakdown() {
  const engine = new Engine(undefined, 512 << 20);
  const generation = await engine.generation();
  const prelude = await loadPrelude();
  const phases = {
    "new runtime": [],
    "new context": [],
    "core prelude (eval + boot)": [],
    "fetch piece (Request/Response/Headers)": [],
    "script eval (module)": [],
    "call + Response + serialize": [],
    "dispose context (+GC share)": [],
  };
  const slot = new RuntimeSlot(generation);
  for (let i = 0; i < Math.min(N, 1500) + 100; i++) {
    let t = performance.now();
    const rt = generation.module.newRuntime();
    phases["new runtime"].push(performance.now() - t);
    rt.dispose();
    t = performance.now();
    const bare = slot.runtime.newContext();
    phases["new context"].push(performance.now() - t);
    bare.dispose();
    t = performance.now();
    const context = new GuestContext(slot, prelude, dispatch, []);
    phases["core prelude (eval + boot)"].push(performance.now() - t);
    const vm = context.vm;
    t = performance.now();
    context.begin(0, "fetch:Headers,Request,Response");
    vm.unwrapResult(vm.evalCode("void Response", "preload")).dispose();
    phases["fetch piece (Request/Response/Headers)"].push(performance.now() - t);
    t = performance.now();
    const ns = vm.unwrapResult(vm.evalCode(HELLO, "script.js", { type: "module" }));
    phases["script eval (module)"].push(performance.now() - t);
    t = performance.now();
    let responded = false;
    context.current = {
      respond: () => (responded = true),
      log() {},
      fail: (n, m) => {
        throw new Error(`${n}: ${m}`);
      },
    };
    context.begin(1, "");
    const meta = JSON.stringify({
      e: "fetch",
      t: 1,
      v: {},
      b: [],
      c: ["a", "a", 0],
      p: {},
      m: 1 << 20,
      r: ["GET", "https://bench.test/", ["accept", "*/*"]],
    });
    const result = context.run(meta, ns, null, null);
    result.value.dispose();
    slot.runtime.executePendingJobs();
    if (!responded) throw new Error("no response");
    phases["call + Response + serialize"].push(performance.now() - t);
    ns.dispose();
    context.current = null;
    t = performance.now();
    context.dispose();
    phases["dispose context (+GC share)"].push(performance.now() - t);
  }
  console.log("\nFresh-context breakdown (one runtime reused, as the pool does):");
  let total = 0;
  for (const [label, samples] of Object.entries(phases)) {
    const s = report(`  ${label}`, samples.slice(100));
    if (label !== "new runtime") total += s.p50;
  }
  console.log(`  ${"sum of p50 (without new runtime)".padEnd(44)} ${fmt(total)} µs`);
  engine.dispose();
}

async function prototype() {
  // The approach the design started from: a new runtime + context per request, everything eager.
  const engine = new Engine(undefined, 512 << 20);
  const generation = await engine.generation();
  const prelude = await loadPrelude();
  const everything = Object.keys(prelude.pieces);
  const globals = ALL_GLOBALS.split(";");
  const samples = [];
  const c0 = cpuNow();
  for (let i = 0; i < Math.min(N, 500); i++) {
    const t = performance.now();
    const slot = new RuntimeSlot(generation);
    const context = new GuestContext(slot, prelude, dispatch, globals);
    const vm = context.vm;
    const ns = vm.unwrapResult(vm.evalCode(HELLO, "script.js", { type: "module" }));
    context.current = { respond() {}, log() {}, fail() {} };
    context.begin(1, "");
    const meta = JSON.stringify({
      e: "fetch",
      t: 1,
      v: {},
      b: [],
      c: ["a", "a", 0],
      p: {},
      m: 1 << 20,
      r: ["GET", "https://bench.test/", []],
    });
    context.run(meta, ns, null, null).value.dispose();
    slot.runtime.executePendingJobs();
    ns.dispose();
    context.current = null;
    context.dispose();
    slot.runtime.dispose();
    samples.push(performance.now() - t);
  }
  const cpu = ((cpuNow() - c0) / Math.min(N, 500)) * 1000;
  engine.dispose();
  return { samples, cpu, pieces: everything.length };
}

async function main() {
  console.log(
    `Sandbox benchmark — ${N} executions per scenario, Node ${process.version}, ${new Date().toISOString()}\n`,
  );

  const plain = [];
  const handler = (req) => ({
    status: 200,
    statusText: "",
    headers: [["content-type", "text/plain;charset=UTF-8"]],
    body: new TextEncoder().encode(`hello ${req.method}`.slice(0, 5)),
  });
  for (let i = 0; i < N * 10; i++) {
    const t = performance.now();
    handler(REQUEST);
    plain.push(performance.now() - t);
  }
  const base = report("baseline: plain JS function", plain);

  const node = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    const res = new Response("hello");
    await res.arrayBuffer();
    node.push(performance.now() - t);
  }
  const nodeStats = report("baseline: Node's Response + arrayBuffer()", node);

  const proto = await prototype();
  const protoStats = report(
    `baseline: prototype (new rt+ctx, ${proto.pieces} pieces eager)`,
    proto.samples,
    proto.cpu,
  );

  const host = createSandboxHost({ maxConcurrent: 1 });
  await host.warm(1);
  const paced = await sandboxRun(host, HELLO, "none", { paced: true, versionId: "fresh" });
  const fresh = report("sandbox: fresh context, paced (request path)", paced.samples, paced.cpuPerOp);
  const saturated = await sandboxRun(host, HELLO, "none", { paced: false, versionId: "fresh" });
  const sat = report("sandbox: fresh context, back to back", saturated.samples, saturated.cpuPerOp);
  const reused = await sandboxRun(host, HELLO, "script", { paced: false, versionId: "reused" });
  const script = report('sandbox: isolation = "script"', reused.samples, reused.cpuPerOp);

  const hono = await build({
    stdin: {
      contents: `import { Hono } from "hono"; const app = new Hono(); app.get("/", (c) => c.text("hello")); export default app;`,
      resolveDir: process.cwd(),
      loader: "js",
    },
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    minify: true,
    write: false,
    logLevel: "silent",
  });
  const honoSource = hono.outputFiles[0].text;
  const honoFresh = await sandboxRun(host, honoSource, "none", { paced: true, versionId: "hono-fresh" });
  report(
    `sandbox: Hono app (${(honoSource.length / 1024).toFixed(0)} KiB), fresh, paced`,
    honoFresh.samples,
    honoFresh.cpuPerOp,
  );
  const honoScript = await sandboxRun(host, honoSource, "script", { paced: false, versionId: "hono-script" });
  report('sandbox: Hono app, isolation = "script"', honoScript.samples, honoScript.cpuPerOp);
  host.dispose();

  await breakdown();

  console.log("\nRatios (p50):");
  console.log(`  fresh paced / plain JS function      ${(fresh.p50 / base.p50).toFixed(0)}×`);
  console.log(`  fresh paced / Node Response          ${(fresh.p50 / nodeStats.p50).toFixed(1)}×`);
  console.log(`  fresh paced / prototype              ${(fresh.p50 / protoStats.p50).toFixed(2)}×`);
  console.log(`  fresh back-to-back / prototype       ${(sat.p50 / protoStats.p50).toFixed(2)}×`);
  console.log(`  script mode / prototype              ${(script.p50 / protoStats.p50).toFixed(3)}×`);
  console.log(`  script mode / Node Response          ${(script.p50 / nodeStats.p50).toFixed(1)}×`);
}

await main();
