/**
 * Host bindings (env.<name>) and the guest's fetch, as a script sees them:
 * lazy evaluation, promise-bridged calls, error classes, binary values,
 * cancellation when the execution ends, and stale handles in reused contexts.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { BindingDefinition, HostRequest, HostValue, SandboxHost, SandboxHostOptions } from "./index.js";
import { createSandboxHost, createThreadedSandboxHost, HostCallError } from "./index.js";
import { ATTEMPT, inGuest, runFetch, TEST_LIMITS } from "./testing/jobs.js";

const logged: { o: object; msg: string }[] = [];
const options: SandboxHostOptions = {
  maxConcurrent: 2,
  logger: { warn: () => {}, error: (o, msg) => logged.push({ o, msg }) },
};
// The same guest-visible behaviour whether the sandbox runs here or on a worker thread, where every
// binding and fetch call crosses to the main thread and back.
const HOSTS: [string, () => SandboxHost][] = [
  ["in this thread", () => createSandboxHost(options)],
  ["on a worker thread", () => createThreadedSandboxHost({ ...options, threads: 1 })],
];

const KV_SOURCE = `(call) => ({
  get: (key) => call("get", key),
  put: (key, value) => call("put", key, value),
  echo: (...args) => call("echo", ...args),
  fail: (kind) => call("fail", kind),
  hang: () => call("hang"),
})`;

function kv(store = new Map<string, HostValue>(), seen: { signal?: AbortSignal } = {}): BindingDefinition {
  return {
    name: "KV",
    guestSource: KV_SOURCE,
    methods: {
      get: async ([key]) => {
        if (typeof key !== "string") throw new HostCallError("TypeError", "key must be a string");
        if (!store.has(key)) throw new HostCallError("NotFoundError", `no key ${key}`);
        return store.get(key)!;
      },
      put: async ([key, value]) => {
        store.set(String(key), value!);
        return null;
      },
      echo: async (args) => args,
      fail: async ([kind]) => {
        if (kind === "range") throw new HostCallError("RangeError", "too big");
        if (kind === "plain") throw new HostCallError("Error", "storage is down");
        throw new Error("secret database detail");
      },
      hang: (_args, signal) => {
        seen.signal = signal;
        return new Promise(() => {});
      },
    },
  };
}

describe.each(HOSTS)("a sandbox %s", (_where, make) => {
  const host = make();
  afterAll(() => host.dispose());

  describe("bindings", () => {
    it("calls host methods through promises and returns their values", async () => {
      const store = new Map<string, HostValue>();
      const result = await inGuest(
        host,
        `await env.KV.put("k", { n: 1, list: [true, null, "s"] });
         return [await env.KV.get("k"), typeof env.KV.get, Object.keys(env)]`,
        { bindings: [kv(store)], vars: { V: "1" } },
      );
      expect(result).toEqual([{ n: 1, list: [true, null, "s"] }, "function", ["V", "KV"]]);
      expect(store.get("k")).toEqual({ n: 1, list: [true, null, "s"] });
    });

    it("evaluates a binding's guest source only when the script touches it", async () => {
      const binding: BindingDefinition = {
        name: "LAZY",
        guestSource: `(call) => { console.log("binding evaluated"); return { ping: () => call("ping") } }`,
        methods: { ping: async () => "pong" },
      };
      const untouched = await runFetch(host, `export default { fetch() { return new Response("x") } }`, {
        bindings: [binding],
      });
      expect(untouched.finished.logs).toEqual([]);
      const touched = await runFetch(
        host,
        `export default { async fetch(req, env) { const a = await env.LAZY.ping(); const b = await env.LAZY.ping(); return new Response(a + b) } }`,
        { bindings: [binding] },
      );
      expect(touched.text).toBe("pongpong");
      expect(touched.finished.logs.map((l) => l.message)).toEqual(["binding evaluated"]);
    });

    it("maps HostCallError to the guest error class and hides other errors", async () => {
      logged.length = 0;
      const result = await inGuest(
        host,
        `const describe = async (p) => { try { await p; return "no error" } catch (e) { return [e.constructor.name, e.name, e.message, e instanceof Error] } };
         return [await describe(env.KV.get(42)), await describe(env.KV.get("nope")), await describe(env.KV.fail("range")),
           await describe(env.KV.fail("plain")), await describe(env.KV.fail("other")), await describe(env.KV.missing?.()),
           await describe(env.KV.echo(() => 1))]`,
        { bindings: [kv()], executionId: "exec-bindings" },
      );
      expect(result).toEqual([
        ["TypeError", "TypeError", "key must be a string", true],
        ["Error", "NotFoundError", "no key nope", true],
        ["RangeError", "RangeError", "too big", true],
        ["Error", "Error", "storage is down", true],
        ["Error", "Error", "internal error in KV.fail", true],
        "no error",
        ["TypeError", "TypeError", "KV.echo(): a function cannot be passed to the host", true],
      ]);
      await expect.poll(() => logged.length).toBe(1);
      expect(logged[0]!.o).toMatchObject({ executionId: "exec-bindings", call: "KV.fail" });
      expect(JSON.stringify(logged[0]!.o)).toContain("secret database detail");
    });

    it("refuses methods the binding does not define", async () => {
      const binding: BindingDefinition = { name: "B", guestSource: `(call) => ({ call })`, methods: {} };
      const result = await inGuest(host, `${ATTEMPT} return attemptAsync(() => env.B.call("toString"))`, {
        bindings: [binding],
      });
      expect(result).toBe("TypeError: env.B.toString is not a function");
    });

    it("round-trips all 256 byte values in arguments and results", async () => {
      const result = await inGuest(
        host,
        `const bytes = new Uint8Array(256).map((_, i) => i);
         const [back, nested] = await env.KV.echo(bytes, { inner: [bytes.subarray(250)] });
         return [back instanceof Uint8Array, [...back].every((b, i) => b === i), back.length, [...nested.inner[0]]]`,
        { bindings: [kv()] },
      );
      expect(result).toEqual([true, true, 256, [250, 251, 252, 253, 254, 255]]);
    });

    it("aborts the host call's signal when the execution ends, and times out a call that never settles", async () => {
      const seen: { signal?: AbortSignal } = {};
      const r = await runFetch(
        host,
        `export default { async fetch(req, env) { await env.KV.hang(); return new Response("no") } }`,
        {
          bindings: [kv(new Map(), seen)],
          limits: { ...TEST_LIMITS, wallTimeMs: 100 },
        },
      );
      expect(r.outcome).toEqual({ status: "timeout" });
      expect(seen.signal?.aborted).toBe(true);
    });

    it("refuses an env captured by a reused context in a later execution", async () => {
      const source = `let saved; export default { async fetch(req, env) {
        if (!saved) { saved = env; return new Response("saved") }
        try { await saved.KV.get("k"); return new Response("leaked") } catch (e) { return new Response(e.message) } } }`;
      const script = { versionId: "stale-env", source, isolation: "script" as const };
      const first = await runFetch(host, "", { script, bindings: [kv(new Map([["k", "v"]]))] });
      const second = await runFetch(host, "", { script, bindings: [kv(new Map([["k", "v"]]))] });
      expect([first.text, second.text]).toEqual(["saved", "env.KV was used after its execution ended"]);
    });
  });

  describe("fetch", () => {
    it('rejects with TypeError("fetch is not available") when the host gives none', async () => {
      const result = await inGuest(host, `${ATTEMPT} return attemptAsync(() => fetch("https://a.test/"))`);
      expect(result).toBe("TypeError: fetch is not available");
    });

    it("sends a HostRequest and turns the answer into a Response", async () => {
      const requests: HostRequest[] = [];
      const result = await inGuest(
        host,
        `${ATTEMPT}
         const res = await fetch("https://api.test/items?x=1", { method: "POST", headers: { "X-Key": "k" }, body: new Uint8Array([0, 255]), redirect: "manual" });
         return [res.status, res.statusText, res.headers.get("content-type"), res.url, res.redirected, await res.text(), attempt(() => res.headers.set("a", "b")), res.ok]`,
        {
          fetch: async (req) => {
            requests.push(req);
            return {
              status: 201,
              statusText: "Created",
              headers: [["Content-Type", "text/plain"]],
              body: new TextEncoder().encode("made"),
              url: "https://api.test/items/1",
              redirected: true,
            };
          },
        },
      );
      expect(result).toEqual([
        201,
        "Created",
        "text/plain",
        "https://api.test/items/1",
        true,
        "made",
        expect.stringMatching(/^TypeError/),
        true,
      ]);
      expect(requests).toHaveLength(1);
      expect(requests[0]).toMatchObject({
        method: "POST",
        url: "https://api.test/items?x=1",
        redirect: "manual",
      });
      expect(requests[0]!.headers).toEqual([["x-key", "k"]]);
      expect([...requests[0]!.body!]).toEqual([0, 255]);
    });

    it("maps host failures: HostCallError passes through, anything else is 'fetch failed'", async () => {
      const result = await inGuest(
        host,
        `${ATTEMPT} return [await attemptAsync(() => fetch("https://a.test/denied")), await attemptAsync(() => fetch("https://a.test/boom")), await attemptAsync(() => fetch("ftp://a.test/"))]`,
        {
          fetch: async (req) => {
            if (req.url.endsWith("/denied")) throw new HostCallError("TypeError", "destination not allowed");
            throw new Error("ECONNRESET at 10.0.0.1");
          },
        },
      );
      expect(result).toEqual([
        "TypeError: destination not allowed",
        "TypeError: fetch failed",
        "TypeError: fetch: unsupported URL scheme ftp:",
      ]);
    });

    it("aborts the host request when the script's AbortSignal fires", async () => {
      let hostSignal: AbortSignal | undefined;
      const result = await inGuest(
        host,
        `const c = new AbortController();
         const pending = fetch("https://slow.test/", { signal: c.signal });
         setTimeout(() => c.abort(), 5);
         try { await pending; return "finished" } catch (e) { return e.name }`,
        {
          fetch: (_req, signal) => {
            hostSignal = signal;
            return new Promise(() => {});
          },
        },
      );
      expect(result).toBe("AbortError");
      expect(hostSignal?.aborted).toBe(true);
    });
  });
});
