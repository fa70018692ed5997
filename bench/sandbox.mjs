/**
 * Sandbox overhead benchmark. Run `npm run build` first (it imports dist/), then:
 *
 *   node bench/sandbox.mjs [iterations=3000] [--compare <other dist/runtime dir>]
 *
 * Prints p50/p99 µs per hello-world execution for fresh contexts (paced, so
 * contexts are prepared off the request path, and saturated, back to back) and
 * for isolation = "script", the CPU each execution costs (process CPU time,
 * the number to trust on a shared machine), a breakdown of where a fresh
 * execution's time goes, and ratios against baselines measured in the same
 * run: a plain JS function building the same response, Node's own Response,
 * and a new runtime per request (shared realm booted every time).
 *
 * --compare runs the sandbox scenarios of another build (e.g. the previous
 * commit's dist/runtime, built into a scratch directory) interleaved with this
 * one, so before/after numbers share the machine's load.
 */
import { build } from "esbuild";
import { Engine } from "../dist/runtime/engine.js";
import { GuestContext, RuntimeSlot } from "../dist/runtime/guest-context.js";
import { dispatch } from "../dist/runtime/host-ops.js";
import { createSandboxHost } from "../dist/runtime/index.js";
import { loadPrelude } from "../dist/runtime/prelude-source.js";
import { SnapshotSandbox } from "../dist/runtime/snapshot/snapshot-sandbox.js";

const args = process.argv.slice(2);
const compareAt = args.indexOf("--compare");
const compareDir = compareAt >= 0 ? args.splice(compareAt, 2)[1] : undefined;
const N = Number(args[0] ?? 3000);
const HELLO = `export default { fetch(request) { return new Response("hello") } }`;
const LIMITS = {
  wallTimeMs: 5000,
  memoryBytes: 64 << 20,
  stackBytes: 192 << 10,
  maxResponseBytes: 1 << 20,
  maxLogBytes: 1 << 16,
};
const REQUEST = { method: "GET", url: "https://bench.test/", headers: [["accept", "*/*"]], body: null };
const META = JSON.stringify({
  e: "fetch",
  t: 1,
  v: {},
  b: [],
  x: { executionId: "a", rootExecutionId: "a", depth: 0, params: {} },
  m: 1 << 20,
  r: ["GET", "https://bench.test/", ["accept", "*/*"]],
});

const stats = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
  return { p50: at(0.5) * 1000, p99: at(0.99) * 1000 };
};
const fmt = (n) => n.toFixed(0).padStart(7);
const report = (label, samples, cpuPerOp) => {
  const s = stats(samples);
  console.log(
    `${label.padEnd(52)} p50 ${fmt(s.p50)} µs   p99 ${fmt(s.p99)} µs   cpu/exec ${cpuPerOp === undefined ? "      -" : fmt(cpuPerOp)} µs`,
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

async function sandboxRun(host, source, isolation, { paced, versionId, n = N }) {
  const samples = [];
  const warm = Math.min(300, n / 5);
  let cpu = 0;
  for (let i = 0; i < n + warm; i++) {
    const permit = host.gate.tryAcquire();
    const c0 = cpuNow();
    const t0 = performance.now();
    const running = host.start(job(source, isolation, versionId), permit);
    const outcome = await running.result;
    const t1 = performance.now();
    if (outcome.status !== "ok") throw new Error(JSON.stringify(outcome));
    await running.finished;
    // Paced: lets the next context be prepared off the request path. Warm-up is always paced, so a
    // version's snapshot sandbox (prepared in the background after its first executions) is ready.
    if (paced || i < warm) await tick();
    const c1 = cpuNow();
    if (i >= warm) {
      samples.push(t1 - t0);
      cpu += c1 - c0;
    }
  }
  return { samples, cpuPerOp: (cpu / n) * 1000 };
}

/** Where a fresh execution's time goes, phase by phase, on one runtime reused as the pool does. */
async function breakdown() {
  const engine = new Engine(undefined, 512 << 20);
  const generation = await engine.generation();
  const prelude = await loadPrelude();
  const phases = {
    "new runtime": [],
    "shared realm boot (once per runtime)": [],
    "new context + adopt": [],
    "begin (bind realm, define Response)": [],
    "script eval (module)": [],
    "call + Response + serialize": [],
    "end + dispose context (+GC share)": [],
  };
  for (let i = 0; i < 40; i++) {
    let t = performance.now();
    const slot = new RuntimeSlot(generation);
    phases["new runtime"].push(performance.now() - t);
    t = performance.now();
    slot.ensureRealm(prelude, () => undefined);
    phases["shared realm boot (once per runtime)"].push(performance.now() - t);
    slot.disposeRealm();
    slot.runtime.dispose();
  }
  const slot = new RuntimeSlot(generation);
  const serve = (s, handles) => dispatch(s.current, handles);
  for (let i = 0; i < Math.min(N, 1500) + 100; i++) {
    let t = performance.now();
    const context = new GuestContext(slot, prelude, serve);
    phases["new context + adopt"].push(performance.now() - t);
    const vm = context.vm;
    let responded = false;
    context.current = {
      respond: () => (responded = true),
      log() {},
      fail: (n, m) => {
        throw new Error(`${n}: ${m}`);
      },
    };
    t = performance.now();
    context.begin(1, "Response");
    phases["begin (bind realm, define Response)"].push(performance.now() - t);
    t = performance.now();
    const ns = vm.unwrapResult(vm.evalCode(HELLO, "script.js", { type: "module" }));
    phases["script eval (module)"].push(performance.now() - t);
    t = performance.now();
    const result = context.run(META, ns, null, null);
    result.value.dispose();
    slot.runtime.executePendingJobs();
    if (!responded) throw new Error("no response");
    phases["call + Response + serialize"].push(performance.now() - t);
    ns.dispose();
    context.current = null;
    t = performance.now();
    context.end();
    context.dispose();
    phases["end + dispose context (+GC share)"].push(performance.now() - t);
  }
  console.log("\nFresh-execution breakdown (one runtime reused, as the pool does):");
  let total = 0;
  for (const [label, samples] of Object.entries(phases)) {
    const s = report(`  ${label}`, samples.length > 100 ? samples.slice(100) : samples.slice(5));
    if (!label.startsWith("new runtime") && !label.startsWith("shared realm")) total += s.p50;
  }
  console.log(`  ${"sum of p50 per execution (context → dispose)".padEnd(50)} ${fmt(total)} µs`);
  slot.disposeRealm();
  engine.dispose();
}

/** A new runtime (and so a freshly booted shared realm) for every request. */
async function runtimePerRequest() {
  const engine = new Engine(undefined, 512 << 20);
  const generation = await engine.generation();
  const prelude = await loadPrelude();
  const samples = [];
  const n = Math.min(N, 200);
  const c0 = cpuNow();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const slot = new RuntimeSlot(generation);
    const context = new GuestContext(slot, prelude, (s, handles) => dispatch(s.current, handles));
    const vm = context.vm;
    const ns = vm.unwrapResult(vm.evalCode(HELLO, "script.js", { type: "module" }));
    context.current = { respond() {}, log() {}, fail() {} };
    context.begin(1, "Response");
    context.run(META, ns, null, null).value.dispose();
    slot.runtime.executePendingJobs();
    ns.dispose();
    context.current = null;
    context.end();
    context.dispose();
    slot.disposeRealm();
    slot.runtime.dispose();
    samples.push(performance.now() - t);
  }
  const cpu = ((cpuNow() - c0) / n) * 1000;
  engine.dispose();
  return { samples, cpu };
}

async function honoSource() {
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
  return hono.outputFiles[0].text;
}

/** The sandbox scenarios for one build (`create` = its createSandboxHost). */
async function scenarios(create, tag, hono) {
  // The default host (snapshot sandboxes) and a classic one (a fresh context per execution).
  const host = create({ maxConcurrent: 1 });
  const classic = create({ maxConcurrent: 1, snapshots: false });
  await Promise.all([host.warm(1), classic.warm(1)]);
  const out = {};
  const row = (label, r) => (out[label] = report(`${tag}${label}`, r.samples, r.cpuPerOp));
  row(
    "snapshot sandbox (default), paced",
    await sandboxRun(host, HELLO, "none", { paced: true, versionId: "n" }),
  );
  row(
    "snapshot sandbox, back to back",
    await sandboxRun(host, HELLO, "none", { paced: false, versionId: "n" }),
  );
  row(
    "classic fresh context, paced (request path)",
    await sandboxRun(classic, HELLO, "none", { paced: true, versionId: "f" }),
  );
  row(
    "classic fresh context, back to back",
    await sandboxRun(classic, HELLO, "none", { paced: false, versionId: "f" }),
  );
  row('isolation = "script"', await sandboxRun(host, HELLO, "script", { paced: false, versionId: "s" }));
  const honoN = Math.min(N, 1000);
  row(
    `Hono app (${(hono.length / 1024).toFixed(0)} KiB), snapshot sandbox`,
    await sandboxRun(host, hono, "none", { paced: false, versionId: "hn", n: honoN }),
  );
  row(
    "Hono app, classic fresh context, paced",
    await sandboxRun(classic, hono, "none", { paced: true, versionId: "hf", n: Math.min(honoN, 300) }),
  );
  row(
    'Hono app, isolation = "script"',
    await sandboxRun(host, hono, "script", { paced: false, versionId: "hs", n: honoN }),
  );
  host.dispose();
  classic.dispose();
  return out;
}

/** Where a snapshot sandbox's execution goes, phase by phase (restore + begin + call + end). */
async function snapshotBreakdown(source, label) {
  const prelude = await loadPrelude();
  const sandbox = await SnapshotSandbox.create({
    script: { versionId: "breakdown", source },
    prelude,
    dispatch: (s, handles) => dispatch(s.current, handles),
    logger: undefined,
    maxHeapBytes: 256 << 20,
    watch: null,
    wallTimeMs: 5000,
    memoryBytes: 64 << 20,
    stackBytes: 192 << 10,
  });
  const phases = {
    restore: [],
    "begin (bind realm)": [],
    "call + Response + serialize": [],
    end: [],
    total: [],
  };
  const context = sandbox.context;
  const cpu0 = cpuNow();
  const n = Math.min(N, 2000) + 100;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    sandbox.restore();
    const t1 = performance.now();
    let responded = false;
    context.current = {
      respond: () => (responded = true),
      log() {},
      fail: (name, message) => {
        throw new Error(`${name}: ${message}`);
      },
    };
    context.begin(1, "Response");
    const t2 = performance.now();
    context.run(META, context.ns, null, null);
    context.slot.runtime.executePendingJobs();
    if (!responded) throw new Error("no response");
    const t3 = performance.now();
    context.current = null;
    context.end();
    const t4 = performance.now();
    if (i >= 100) {
      phases.restore.push(t1 - t0);
      phases["begin (bind realm)"].push(t2 - t1);
      phases["call + Response + serialize"].push(t3 - t2);
      phases.end.push(t4 - t3);
      phases.total.push(t4 - t0);
    }
  }
  const cpu = ((cpuNow() - cpu0) / n) * 1000;
  console.log(
    `\nSnapshot sandbox breakdown, ${label} (copy ${(sandbox.snapshot.bytes / 1024).toFixed(0)} KiB, ${n} executions):`,
  );
  for (const [phase, samples] of Object.entries(phases))
    report(`  ${phase}`, samples, phase === "total" ? cpu : undefined);
  sandbox.drop();
  return stats(phases.total);
}

async function main() {
  const os = await import("node:os");
  console.log(
    `Sandbox benchmark — ${N} executions per scenario, Node ${process.version}, ${new Date().toISOString()}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}\n`,
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

  const perRuntime = await runtimePerRequest();
  const perRuntimeStats = report(
    "baseline: new runtime per request (realm boot each)",
    perRuntime.samples,
    perRuntime.cpu,
  );

  const hono = await honoSource();
  const current = await scenarios(createSandboxHost, "sandbox: ", hono);
  if (compareDir) {
    const other = await import(new URL(`file://${compareDir.replace(/\/$/, "")}/index.js`).href);
    console.log(`\n--compare ${compareDir} (same scenarios, run after this build's):`);
    await scenarios(other.createSandboxHost, "compared: ", hono);
    console.log("\nthis build again (load drifts):");
    await scenarios(createSandboxHost, "sandbox: ", hono);
  }

  await breakdown();
  const snapHello = await snapshotBreakdown(HELLO, "hello world");
  const snapHono = await snapshotBreakdown(hono, "Hono app");

  const snap = current["snapshot sandbox, back to back"];
  const fresh = current["classic fresh context, paced (request path)"];
  const script = current['isolation = "script"'];
  const honoSnap = current[Object.keys(current).find((k) => k.startsWith("Hono app ("))];
  const honoFresh = current["Hono app, classic fresh context, paced"];
  const honoScript = current['Hono app, isolation = "script"'];
  console.log("\nRatios (p50):");
  console.log(`  snapshot / classic fresh (hello)           ${(snap.p50 / fresh.p50).toFixed(3)}×`);
  console.log(`  snapshot / new runtime per request (hello) ${(snap.p50 / perRuntimeStats.p50).toFixed(3)}×`);
  console.log(`  snapshot / isolation = script (hello)      ${(snap.p50 / script.p50).toFixed(2)}×`);
  console.log(`  snapshot / classic fresh (Hono app)        ${(honoSnap.p50 / honoFresh.p50).toFixed(3)}×`);
  console.log(`  snapshot / isolation = script (Hono app)   ${(honoSnap.p50 / honoScript.p50).toFixed(2)}×`);
  console.log(
    `  snapshot sandbox internals p50: hello ${snapHello.p50.toFixed(0)} µs, Hono ${snapHono.p50.toFixed(0)} µs`,
  );
  console.log(`  snapshot / plain JS function               ${(snap.p50 / base.p50).toFixed(0)}×`);
  console.log(`  snapshot / Node Response                   ${(snap.p50 / nodeStats.p50).toFixed(1)}×`);
  console.log(
    `\nload average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
}

await main();
