// Memory of snapshot sandboxes: 100 script versions, each run once, then left
// idle past the eviction time. Prints RSS before, with the 100 sandboxes idle,
// and after eviction (each after a full GC), per-sandbox cost and the ratio of
// the final RSS to the one before. Runs the sandbox host in this process.
// Needs `npm run build`.   node --expose-gc bench/snapshot-memory.mjs [scripts=100]
import { createSandboxHost } from "../dist/runtime/index.js";

const SCRIPTS = Number(process.argv[2] ?? 100);
// Longer than preparing all the sandboxes takes (on a loaded machine too), so none is evicted
// before the measurement.
const IDLE_MS = 15_000;
const LIMITS = {
  wallTimeMs: 5000,
  memoryBytes: 64 << 20,
  stackBytes: 192 << 10,
  maxResponseBytes: 1 << 20,
  maxLogBytes: 1 << 16,
};
const REQUEST = { method: "GET", url: "https://bench.test/", headers: [], body: null };
const mib = (b) => (b / 1024 / 1024).toFixed(1);
const settle = async () => {
  for (let i = 0; i < 4; i++) {
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 100));
  }
  return process.memoryUsage().rss;
};

// snapshotAfter 0: each version gets its sandbox on its first execution (the measured thing).
const host = createSandboxHost({
  maxConcurrent: 4,
  sandboxIdleMs: IDLE_MS,
  sandboxMemoryBytes: 1024 << 20,
  snapshotAfter: 0,
});
await host.warm(1);
// One version run and evicted first, so the baseline includes what every sandbox shares (the
// compiled wasm, the prelude's source) and the comparison is about sandboxes alone.
const run = async (i) => {
  const source = `const id = ${i}; export default { fetch() { return new Response("script " + id) } }`;
  const permit = await host.gate.acquire();
  const running = host.start(
    {
      executionId: `e${i}`,
      rootExecutionId: `e${i}`,
      depth: 0,
      script: { versionId: `v${i}`, scriptId: `s${i}`, source },
      entry: "fetch",
      input: { request: REQUEST },
      vars: {},
      limits: LIMITS,
    },
    permit,
  );
  const outcome = await running.result;
  await running.finished;
  if (outcome.status !== "ok") throw new Error(JSON.stringify(outcome));
};
await run(-1);
await new Promise((r) => setTimeout(r, IDLE_MS + 1_500));
const before = await settle();
const t0 = performance.now();
for (let i = 0; i < SCRIPTS; i++) await run(i);
const loadMs = performance.now() - t0;
const loaded = await settle();
const stats = host.stats();
if (stats.snapshotSandboxes !== SCRIPTS)
  console.error(`warning: ${stats.snapshotSandboxes} of ${SCRIPTS} sandboxes were idle at the measurement`);
await new Promise((r) => setTimeout(r, IDLE_MS + 1_500));
const after = await settle();
const evicted = host.stats();
host.dispose();

console.log(`snapshot sandboxes, ${SCRIPTS} script versions run once each (Node ${process.version})`);
console.log(`| moment | RSS MiB | sandboxes | counted MiB |`);
console.log(`| --- | ---: | ---: | ---: |`);
console.log(`| before | ${mib(before)} | 0 | 0 |`);
console.log(
  `| ${SCRIPTS} sandboxes idle | ${mib(loaded)} | ${stats.snapshotSandboxes} | ${mib(stats.snapshotBytes)} |`,
);
console.log(
  `| after ${IDLE_MS / 1000} s idle (evicted) | ${mib(after)} | ${evicted.snapshotSandboxes} | ${mib(evicted.snapshotBytes)} |`,
);
console.log(
  `\nper idle sandbox: ${mib((loaded - before) / stats.snapshotSandboxes)} MiB RSS (counted ${mib(stats.snapshotBytes / stats.snapshotSandboxes)} MiB)`,
);
console.log(`preparing ${SCRIPTS} sandboxes on first request: ${(loadMs / SCRIPTS).toFixed(1)} ms each`);
console.log(`RSS after eviction / before: ${(after / before).toFixed(2)}×`);
