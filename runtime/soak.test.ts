/**
 * Soak: 10,000 executions (fresh and reused contexts, successes, errors,
 * timers, allocation) must not make memory grow. Compares the WebAssembly heap
 * and the process RSS after a warm-up with the end, with generous bounds; no
 * timing assertions.
 */
import { afterAll, expect, it } from "vitest";
import { createSandboxHost } from "./index.js";
import { fetchJob, request, TEST_LIMITS } from "./testing/jobs.js";

const logged: string[] = [];
const host = createSandboxHost({
  maxConcurrent: 4,
  logger: { warn: () => {}, error: (_o, m) => logged.push(m) },
});
afterAll(() => host.dispose());

const SCRIPTS = [
  `export default { fetch(req) { return new Response("hello " + new URL(req.url).pathname) } }`,
  `export default { async fetch(req, env, ctx) { ctx.waitUntil(new Promise((r) => setTimeout(r, 1))); return Response.json({ h: [...req.headers] }) } }`,
  `export default { fetch() { const a = []; for (let i = 0; i < 2000; i++) a.push({ i, s: "x" + i }); return new Response(String(a.length)) } }`,
  `export default { fetch() { throw new Error("expected failure") } }`,
  `export default { async fetch(req) { const b = new Uint8Array(await req.arrayBuffer()); return new Response(b) } }`,
];

const failures: string[] = [];

async function batch(count: number, offset: number): Promise<number> {
  let ok = 0;
  const running = new Set<Promise<void>>();
  for (let i = 0; i < count; i++) {
    const n = offset + i;
    const source = SCRIPTS[n % SCRIPTS.length]!;
    const job = fetchJob(source, {
      script: { versionId: `soak-${n % SCRIPTS.length}`, source, isolation: n % 2 === 0 ? "none" : "script" },
      input: {
        request: request(`https://soak.test/${n}`, {
          method: "POST",
          headers: [["x-n", String(n)]],
          body: new Uint8Array(64),
        }),
      },
      limits: TEST_LIMITS,
    });
    const permit = await host.gate.acquire();
    const p = host
      .start(job, permit)
      .finished.then((f) => {
        if (f.outcome.status === "ok" || (f.outcome.status === "error" && n % SCRIPTS.length === 3)) ok++;
        else failures.push(`${n}: ${JSON.stringify(f.outcome).slice(0, 200)}`);
      })
      .finally(() => running.delete(p));
    running.add(p);
  }
  await Promise.all(running);
  return ok;
}

function rssMiB(): number {
  return process.memoryUsage().rss / 1024 / 1024;
}

it("runs 10,000 executions without memory growth", async () => {
  // Loading the engine is not what this test measures: under a loaded machine it can take longer
  // than the first executions' time limit.
  await host.warm();
  const warm = await batch(1_000, 0);
  expect(failures).toEqual([]);
  expect(warm).toBe(1_000);
  const wasmWarm = host.stats().wasmBytes;
  const rssWarm = rssMiB();
  const ok = await batch(9_000, 1_000);
  expect(failures).toEqual([]);
  expect(ok).toBe(9_000);
  const wasmEnd = host.stats().wasmBytes;
  const rssEnd = rssMiB();
  console.info(
    `soak: WASM heap ${(wasmWarm / 2 ** 20).toFixed(0)} → ${(wasmEnd / 2 ** 20).toFixed(0)} MiB, RSS ${rssWarm.toFixed(0)} → ${rssEnd.toFixed(0)} MiB, generation ${host.stats().generation}`,
  );
  expect(wasmEnd - wasmWarm).toBeLessThanOrEqual(32 * 2 ** 20);
  expect(rssEnd - rssWarm).toBeLessThan(150);
  expect(logged).toEqual([]);
}, 600_000);
