/**
 * Snapshot sandboxes: every execution starts from the state right after its
 * module was evaluated, and each pitfall of restoring a wasm memory snapshot
 * (memory-snapshot.ts) is checked here with the real QuickJS build.
 */
import { afterAll, describe, expect, it } from "vitest";
import { ContextPool } from "../context-pool.js";
import { hostCalls } from "../host-ops.js";
import type { BindingDefinition } from "../host-types.js";
import { createSandboxHost } from "../index.js";
import { loadPrelude } from "../prelude-source.js";
import { fetchJob, run, runFetch, TEST_LIMITS } from "../testing/jobs.js";
import { SnapshotPool } from "./snapshot-pool.js";
import { NotSnapshottable, SnapshotSandbox } from "./snapshot-sandbox.js";
import { stackFunctions } from "./wasm-layout.js";

// snapshotAfter 0: every version gets its sandbox on its first execution, so each test sees one.
const host = createSandboxHost({ maxConcurrent: 2, snapshotAfter: 0 });
afterAll(() => host.dispose());

let versions = 0;
/** A job for `source` as a new version of its own. */
function version(source: string) {
  const versionId = `snap-${++versions}`;
  return (patch: Parameters<typeof fetchJob>[1] = {}) =>
    run(host, fetchJob(source, { script: { versionId, scriptId: versionId, source }, ...patch }));
}

async function sandboxFor(source: string): Promise<SnapshotSandbox> {
  return SnapshotSandbox.create({
    script: { versionId: `direct-${++versions}`, source },
    prelude: await loadPrelude(),
    dispatch: hostCalls(undefined),
    logger: undefined,
    maxHeapBytes: 256 * 1024 * 1024,
    watch: null,
    wallTimeMs: 2_000,
    memoryBytes: 32 * 1024 * 1024,
    stackBytes: 320 * 1024,
  });
}

describe("a fresh state for every execution", () => {
  it("forgets globals, prototype changes, module variables and a hijacked handler", async () => {
    const ask = version(`let count = 0;
      const handler = { fetch() {
        count++;
        const seen = { count, global: globalThis.leak ?? null, proto: Array.prototype.leak ?? null,
          parse: JSON.parse === JSON_PARSE, frozen: Object.isFrozen(Array.prototype), random: Math.random() };
        globalThis.leak = "left over";
        Array.prototype.leak = "left over";
        JSON.parse = () => "hijacked";
        Object.freeze(Array.prototype);
        handler.fetch = () => new Response("hijacked");
        return new Response(JSON.stringify(seen));
      } };
      const JSON_PARSE = JSON.parse;
      export default handler;`);
    const first = JSON.parse((await ask()).text);
    const second = JSON.parse((await ask()).text);
    const third = JSON.parse((await ask()).text);
    for (const seen of [first, second, third])
      expect(seen).toMatchObject({ count: 1, global: null, proto: null, parse: true, frozen: false });
    expect(new Set([first.random, second.random, third.random]).size).toBe(3);
    expect(host.stats().snapshotRestores).toBeGreaterThanOrEqual(2);
  });

  it("gives two sandboxes of one version different Math.random sequences", async () => {
    const a = await sandboxFor(`export default {}`);
    const b = await sandboxFor(`export default {}`);
    const draw = (sandbox: SnapshotSandbox) => {
      sandbox.restore();
      const vm = sandbox.context.vm;
      const handle = vm.unwrapResult(vm.evalCode("Math.random()"));
      return vm.getNumber(handle);
    };
    const values = [draw(a), draw(b), draw(a), draw(b)];
    expect(new Set(values).size).toBe(4);
    a.drop();
    b.drop();
  });

  it("gives code run through eval and new Function every Web global, named in the source or not", async () => {
    const ask = version(`export default { fetch() {
      const names = ["Text" + "Encoder", "URL" + "SearchParams", "Abort" + "Controller", "structured" + "Clone"];
      return new Response(JSON.stringify([
        ...names.map((n) => new Function("return typeof " + n)()),
        (0, eval)("typeof " + "Head" + "ers"),
      ]));
    } }`);
    expect(JSON.parse((await ask()).text)).toEqual([
      "function",
      "function",
      "function",
      "function",
      "function",
    ]);
  });

  it("drops what an async handler left queued, and serves the next request", async () => {
    const ask = version(`let n = 0;
      export default { async fetch(request, env, ctx) {
        n++;
        Promise.resolve().then(() => { globalThis.late = "ran"; });
        await new Promise((resolve) => setTimeout(resolve, 5));
        return new Response(JSON.stringify({ n, late: globalThis.late ?? null }));
      } }`);
    expect(JSON.parse((await ask()).text)).toEqual({ n: 1, late: "ran" });
    expect(JSON.parse((await ask()).text)).toEqual({ n: 1, late: "ran" });
  });
});

describe("limits keep their outcome, and the sandbox serves the next execution", () => {
  it.each([
    ["timeout", `for (;;) {}`, "timeout"],
    ["memory", `const a = []; for (;;) a.push("x".repeat(1000) + a.length);`, "memory"],
    ["stack overflow", `const f = () => f() + 1; f();`, "error"],
    ["thrown error", `throw new TypeError("boom")`, "error"],
  ])("%s", async (_name, body, status) => {
    const ask = version(`let n = 0;
      export default { fetch(request) {
        n++;
        if (new URL(request.url).pathname === "/bad") { ${body} }
        return new Response(String(n));
      } }`);
    const taken = host.stats().snapshotsTaken ?? 0;
    expect((await ask()).text).toBe("1");
    const bad = await ask({
      input: { request: { method: "GET", url: "https://a.example/bad", headers: [], body: null } },
    });
    expect(bad.outcome.status).toBe(status);
    expect((await ask()).text).toBe("1");
    expect((await ask()).text).toBe("1");
    expect((host.stats().snapshotsTaken ?? 0) - taken).toBeLessThanOrEqual(2);
  });

  it("holds a large graph of globals without aborting the module (the old list_empty(&rt->gc_obj_list))", async () => {
    const ask = version(`export default { fetch() {
      globalThis.keep = []; for (let i = 0; i < 400000; i++) keep.push({ i, s: "x" + i });
      return new Response(String(keep.length));
    } }`);
    const limits = { ...TEST_LIMITS, memoryBytes: 128 << 20, wallTimeMs: 10_000 };
    const reloads = host.stats().moduleReloads;
    for (let i = 0; i < 3; i++) expect((await ask({ limits })).text).toBe("400000");
    expect(host.stats().moduleReloads).toBe(reloads);
    // The classic pool frees such runtimes: the context quickjs-emscripten used to leak in
    // executePendingJobs (see heap-views.ts) made that abort; it must not any more.
    const classic = createSandboxHost({ maxConcurrent: 1, snapshots: false });
    try {
      const source = `export default { fetch() {
        globalThis.keep = []; for (let i = 0; i < 400000; i++) keep.push({ i, s: "x" + i });
        return new Response(String(keep.length)) } }`;
      for (let i = 0; i < 3; i++) expect((await runFetch(classic, source, { limits })).text).toBe("400000");
      expect(classic.stats().moduleReloads).toBe(0);
    } finally {
      classic.dispose();
    }
  }, 60_000);
});

describe("the pitfalls of restoring memory", () => {
  it("resets the stack pointer a trap left low", async () => {
    const sandbox = await sandboxFor(`export default {}`);
    const instance = sandbox.generation.instance!;
    const layout = instance.build.layout!;
    const emscripten = (instance.module as unknown as { module: Record<string, unknown> }).module;
    const named = new Set(
      Object.entries(emscripten)
        .filter(([k]) => k.startsWith("_"))
        .map(([, v]) => v),
    );
    const stack = stackFunctions(layout, instance.exports, named);
    stack.stackRestore(layout.spInit - 4096);
    sandbox.restore();
    expect(stack.stackSave()).toBe(layout.spInit);
    expect(sandbox.snapshot.stats.stackResets).toBe(1);
    sandbox.drop();
  });

  it("zeroes the heap an execution took beyond the snapshot", async () => {
    const sandbox = await sandboxFor(`export default {}`);
    const vm = sandbox.context.vm;
    const before = sandbox.snapshot.snapshotBreak;
    vm.unwrapResult(vm.evalCode(`globalThis.big = "secret".repeat(1 << 20)`)).dispose();
    const reached = sandbox.snapshot.currentBreak;
    expect(reached).toBeGreaterThan(before + 4 * 1024 * 1024);
    sandbox.restore();
    const memory = new Uint8Array(instance(sandbox).memory.buffer);
    expect(memory.subarray(before, reached).every((b) => b === 0)).toBe(true);
    expect(sandbox.snapshot.stats.zeroedBytes).toBe(reached - before);
    const after = vm.unwrapResult(vm.evalCode(`typeof globalThis.big`));
    expect(vm.getString(after)).toBe("undefined");
    sandbox.drop();
  });

  it("puts back the host-function registry and the lazy handle caches", async () => {
    const sandbox = await sandboxFor(`export default {}`);
    const vm = sandbox.context.vm;
    const fn = vm.newFunction("made during a request", () => vm.newNumber(1));
    vm.setProp(vm.global, "madeDuringRequest", fn);
    vm.newBigInt(1n); // fills the lazy _BigInt cache with a handle into this request's heap
    sandbox.restore();
    expect(sandbox.snapshot.stats.registryResets).toBe(1);
    expect((vm as unknown as { _BigInt: unknown })._BigInt).toBeUndefined();
    const check = vm.unwrapResult(vm.evalCode(`typeof globalThis.madeDuringRequest`));
    expect(vm.getString(check)).toBe("undefined");
    // The prelude's own host function (made before the snapshot) still answers.
    sandbox.context.begin(1, "*");
    const url = vm.unwrapResult(vm.evalCode(`new URL("https://x.example/a?b=1").searchParams.get("b")`));
    expect(vm.getString(url)).toBe("1");
    sandbox.context.end();
    sandbox.drop();
  });

  it("ignores a host call that settles after its execution ended (a stale callback)", async () => {
    let release: (value: string) => void = () => {};
    const slow: BindingDefinition = {
      name: "SLOW",
      guestSource: `(call) => ({ wait: () => call("wait") })`,
      methods: { wait: () => new Promise<string>((resolve) => (release = resolve)) },
    };
    const ask = version(`let n = 0; export default { async fetch(request, env) {
      n++;
      if (new URL(request.url).pathname === "/slow") globalThis.got = await env.SLOW.wait();
      return new Response(JSON.stringify({ n, got: globalThis.got ?? null }));
    } }`);
    const slowRun = ask({
      bindings: [slow],
      limits: { ...TEST_LIMITS, wallTimeMs: 200 },
      input: { request: { method: "GET", url: "https://a.example/slow", headers: [], body: null } },
    });
    expect((await slowRun).outcome.status).toBe("timeout");
    release("late answer");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(JSON.parse((await ask({ bindings: [slow] })).text)).toEqual({ n: 1, got: null });
  });
});

describe("what cannot be snapshotted runs the classic way", () => {
  it.each([
    ["console", `console.log("loaded");`, "console"],
    ["a timer", `setTimeout(() => {}, 1);`, "a timer"],
    ["a top-level await on the host", `await new Promise((r) => setTimeout(r, 1));`, "a timer"],
  ])("%s at top level", async (_name, top, reason) => {
    const source = `${top}\nexport default { fetch() { return new Response("ok") } }`;
    await expect(sandboxFor(source)).rejects.toThrow(NotSnapshottable);
    await expect(sandboxFor(source)).rejects.toThrow(reason);
    const ask = version(source);
    const ran = await ask();
    expect(ran.text).toBe("ok");
  });

  it("reports a module that throws at top level on every execution", async () => {
    const ask = version(`throw new Error("broken module"); export default {}`);
    for (let i = 0; i < 2; i++) {
      const ran = await ask();
      expect(ran.outcome).toMatchObject({ status: "error", error: { message: "broken module" } });
    }
  });
});

describe("warm-up", () => {
  it("builds a router's lazy state before the snapshot without running a route", async () => {
    const ask = version(`let built = 0, routed = 0;
      const app = {
        router: { match(method, path) { built++; this.ready = true; return []; } },
        fetch(request) { routed++; return new Response(JSON.stringify({ built, routed, ready: app.router.ready === true })); },
      };
      export default app;`);
    expect(JSON.parse((await ask()).text)).toEqual({ built: 1, routed: 1, ready: true });
    expect(JSON.parse((await ask()).text)).toEqual({ built: 1, routed: 1, ready: true });
  });
});

describe("pools", () => {
  it("runs a version's first executions the classic way and prepares its sandbox in the background", async () => {
    const pooled = createSandboxHost({ maxConcurrent: 1 });
    try {
      const source = `let n = 0; export default { fetch() { n++; return new Response(String(n)) } }`;
      const ask = () => runFetch(pooled, source, { script: { versionId: "background", source } });
      expect((await ask()).text).toBe("1");
      expect(pooled.stats().snapshotsTaken).toBe(0);
      expect((await ask()).text).toBe("1");
      await expect.poll(() => pooled.stats().snapshotsTaken).toBe(1);
      for (let i = 0; i < 3; i++) expect((await ask()).text).toBe("1");
      expect(pooled.stats().snapshotRestores).toBeGreaterThanOrEqual(2);
      expect(pooled.stats().snapshotsTaken).toBe(1);
    } finally {
      pooled.dispose();
    }
  });

  it("drops an old version's sandboxes when a new version of the script runs", async () => {
    const pooled = createSandboxHost({ maxConcurrent: 1, snapshotAfter: 0 });
    try {
      const job = (versionId: string, text: string) =>
        fetchJob(`export default { fetch() { return new Response("${text}") } }`, {
          script: {
            versionId,
            scriptId: "s1",
            source: `export default { fetch() { return new Response("${text}") } }`,
          },
        });
      expect((await run(pooled, job("v1", "one"))).text).toBe("one");
      expect(pooled.stats().snapshotSandboxes).toBe(1);
      expect((await run(pooled, job("v2", "two"))).text).toBe("two");
      expect(pooled.stats().snapshotSandboxes).toBe(1);
    } finally {
      pooled.dispose();
    }
  });

  it("evicts the least recently used idle sandboxes past the memory budget, and idle ones after the idle time", async () => {
    const pooled = createSandboxHost({
      maxConcurrent: 1,
      // Under what four sandboxes take (each ~0.8 MiB: its heap, and the pages it does not share).
      sandboxMemoryBytes: 2 * 1024 * 1024,
      sandboxIdleMs: 60_000,
      snapshotAfter: 0,
    });
    try {
      for (let i = 0; i < 4; i++)
        expect(
          (
            await runFetch(pooled, `export default { fetch() { return new Response("${i}") } }`, {
              script: {
                versionId: `budget-${i}`,
                source: `export default { fetch() { return new Response("${i}") } }`,
              },
            })
          ).text,
        ).toBe(String(i));
      const stats = pooled.stats();
      expect(stats.snapshotBytes).toBeLessThanOrEqual(2 * 1024 * 1024);
      expect(stats.snapshotEvictions).toBeGreaterThan(0);
      expect(stats.snapshotsTaken).toBe(4);
    } finally {
      pooled.dispose();
    }
    const idle = createSandboxHost({ maxConcurrent: 1, sandboxIdleMs: 50, snapshotAfter: 0 });
    try {
      await runFetch(idle, `export default { fetch() { return new Response("x") } }`);
      expect(idle.stats().snapshotSandboxes).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 1_300));
      expect(idle.stats().snapshotSandboxes).toBe(0);
    } finally {
      idle.dispose();
    }
  });
  it("keeps a version whose sandbox is being prepared, so the sandbox is counted and evicted", async () => {
    const classic = new ContextPool(1, undefined, 256 * 1024 * 1024, null);
    const pool = new SnapshotPool(classic, {
      logger: undefined,
      watch: null,
      maxHeapBytes: 256 * 1024 * 1024,
      memoryBudgetBytes: 256 * 1024 * 1024,
      idleMs: 60_000,
      snapshotAfter: 0,
    });
    try {
      const source = `export default { fetch() { return new Response("prepared") } }`;
      const preparing = pool.prepare({ versionId: "prepared", source }, TEST_LIMITS);
      // The idle sweep runs while the sandbox is prepared: the version has nothing idle or leased yet.
      pool.evictIdle(performance.now() + 120_000);
      await preparing;
      expect(pool.stats().snapshotIdle).toBe(1);
      pool.evictIdle(performance.now() + 120_000);
      expect(pool.stats()).toMatchObject({ snapshotSandboxes: 0, snapshotBytes: 0, snapshotEvictions: 1 });
    } finally {
      pool.dispose();
      classic.dispose();
    }
  });
});

function instance(sandbox: SnapshotSandbox) {
  return sandbox.generation.instance!;
}
