/**
 * A script that hits the stack or memory limit, or keeps many objects, costs
 * only its own execution: the QuickJS module is kept (no "QuickJS module
 * aborted; loading a fresh one", SandboxStats.moduleReloads unchanged) and
 * the next execution runs on it. One execution at a time, so each scenario
 * reuses the runtime of the one before and the runtimes it retires are freed
 * while the module is idle (where an abort would show).
 */
import { afterAll, describe, expect, it } from "vitest";
import type { EntryOutcome, ScriptSource } from "./index.js";
import { createSandboxHost } from "./index.js";
import { runFetch, TEST_LIMITS } from "./testing/jobs.js";

const aborts: string[] = [];
const host = createSandboxHost({
  maxConcurrent: 1,
  logger: {
    warn: () => {},
    error: (o, message) => {
      if (/aborted/.test(message)) aborts.push(`${message} ${JSON.stringify(o)}`);
    },
  },
});
afterAll(() => host.dispose());

const fetchOf = (body: string) => `export default { async fetch(request, env, ctx) { ${body} } }`;
const limits = { ...TEST_LIMITS, memoryBytes: 64 * 1024 * 1024, wallTimeMs: 5_000 };
let version = 0;

/** Runs `source`, then a plain script; returns the first outcome and asserts the module was kept. */
async function onTheSameModule(
  source: string,
  isolation: ScriptSource["isolation"] = "none",
  patch = limits,
): Promise<EntryOutcome> {
  const reloads = host.stats().moduleReloads;
  const logged = aborts.length;
  const script = { versionId: `v${++version}`, source, isolation };
  const ran = await runFetch(host, source, { script, limits: patch });
  const next = await runFetch(host, fetchOf(`return new Response("next")`));
  expect(next.text).toBe("next");
  expect(aborts.slice(logged)).toEqual([]);
  expect(host.stats().moduleReloads).toBe(reloads);
  return ran.outcome;
}

function errorOf(outcome: EntryOutcome): { name: string; message: string } {
  if (outcome.status !== "error") throw new Error(`expected an error, got ${JSON.stringify(outcome)}`);
  return outcome.error;
}

describe("a stack overflow is an ordinary error of its execution", () => {
  it.each([
    ["plain recursion", `function f() { return f() } return f()`],
    ["a toString chain", `const o = { toString() { return String(o) } }; return new Response(String(o))`],
    ["a valueOf chain", `const o = { valueOf() { return +o } }; return new Response(String(+o))`],
    ["an Array.prototype.sort comparator", `const s = () => [3, 2, 1].sort(() => { s(); return 0 }); s()`],
    [
      "a Proxy trap",
      `const p = new Proxy({}, { get(t, k) { return p[k] } }); return new Response(String(p.x))`,
    ],
    ["async recursion in promise jobs", `const a = async (n) => a(n + 1); await a(0)`],
    [
      "nested arrays joined",
      `let o = []; for (let i = 0; i < 100000; i++) o = [o]; return new Response(String(o))`,
    ],
  ])("%s", async (_label, body) => {
    for (const isolation of ["none", "script"] as const) {
      const error = errorOf(await onTheSameModule(fetchOf(body), isolation));
      expect(error.name).toMatch(/InternalError|RangeError/);
      expect(error.message).toMatch(/stack overflow/);
    }
  });

  it("recursion that catches its own overflow and recurses again ends at the time limit", async () => {
    const body = `function g(d) { try { return g(d + 1) } catch (e) { return g(d + 1) } } return g(0)`;
    const outcome = await onTheSameModule(fetchOf(body), "none", { ...limits, wallTimeMs: 200 });
    expect(["timeout", "error"]).toContain(outcome.status);
  });
});

describe("many kept objects", () => {
  const keep = `globalThis.keep = []; for (let i = 0; i < 400000; i++) keep.push({ i, s: "x" + i }); return new Response("ok")`;

  it.each([
    ["synchronously", keep],
    ["after an await (in a promise job)", `await null; ${keep}`],
  ])("kept %s: 200, then a memory-limit hit on the same runtime frees it cleanly", async (_label, body) => {
    for (const isolation of ["none", "script"] as const) {
      const outcome = await onTheSameModule(fetchOf(body), isolation);
      expect(outcome.status).toBe("ok");
      const hog = fetchOf(`await null; const a = []; for (;;) a.push({ i: a.length, s: "yyyyyyyy" });`);
      expect(await onTheSameModule(hog, isolation)).toEqual({ status: "memory" });
    }
  });

  it("kept beyond the memory limit: 507, module kept", async () => {
    for (const isolation of ["none", "script"] as const) {
      const outcome = await onTheSameModule(fetchOf(keep), isolation, {
        ...limits,
        memoryBytes: 16 * 1024 * 1024,
      });
      expect(outcome).toEqual({ status: "memory" });
    }
  });
});
