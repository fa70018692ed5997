/**
 * The shared prelude realm (prelude-realm.ts, prelude/core.ts): one per QuickJS
 * runtime, used by every execution on it. With one concurrent execution all
 * scripts here run on the same runtime, so whatever one of them could change in
 * the shared realm the next one would see: these tests try, as hostile
 * scripts of different apps, and check that nothing carries over; that values
 * the prelude hands to a script belong to the script's own realm; that
 * per-execution state starts over; and that limits still apply while the
 * guest is inside shared code. Snapshot sandboxes give each version its own
 * instance; these tests run the classic pool (snapshots off), where all
 * scripts share one runtime: the harder case.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createSandboxHost } from "./index.js";
import { ATTEMPT, runFetch, TEST_LIMITS } from "./testing/jobs.js";

const host = createSandboxHost({ maxConcurrent: 1, snapshots: false });
afterAll(() => host.dispose());

let apps = 0;

/** Runs `body` (an async function body) as the fetch handler of a new script of a new app. */
async function runApp<T>(body: string): Promise<{ value: T; logs: string[] }> {
  const n = ++apps;
  const source = `export default { async fetch(request, env, ctx) {
    const result = await (async () => { ${body} })();
    return new Response(JSON.stringify(result === undefined ? null : result));
  } }`;
  const ran = await runFetch(host, source, {
    script: { versionId: `app-${n}-v1`, source },
    vars: { APP: `app-${n}` },
  });
  if (ran.outcome.status !== "ok") throw new Error(`guest failed: ${JSON.stringify(ran.outcome)}`);
  return { value: JSON.parse(ran.text) as T, logs: ran.finished.logs.map((line) => line.message) };
}

async function asNewApp<T>(body: string): Promise<T> {
  return (await runApp<T>(body)).value;
}

describe("one runtime serves every script here", () => {
  it("keeps a single runtime between executions of different scripts", async () => {
    await asNewApp(`return 1`);
    const before = host.stats();
    await asNewApp(`return 2`);
    await asNewApp(`return 3`);
    const after = host.stats();
    expect(after.generation).toBe(before.generation);
    expect(after.idleRuntimes).toBe(1);
  });
});

describe("a script cannot change what the next script sees", () => {
  const attacks = `${ATTEMPT}
    const change = (fn) => attempt(() => { fn(); return "changed" });
    const sharedObjectPrototype = Object.getPrototypeOf(Response.prototype);
    const sharedFunctionPrototype = Object.getPrototypeOf(Headers.prototype.append);
    const internalList = new Headers({ a: "1" })[Symbol.for("picloud.headers")];
    const sharedArrayPrototype = Object.getPrototypeOf(internalList);
    const internalState = new Response("x")[Symbol.for("picloud.response")];
    return {
      addToResponsePrototype: change(() => { Response.prototype.leak = 1 }),
      replaceResponseText: change(() => { Response.prototype.text = () => "pwned" }),
      deleteResponseText: change(() => { "use strict"; if (!delete Response.prototype.text) throw new TypeError("not deleted") }),
      redefineStatus: change(() => { Object.defineProperty(Response.prototype, "status", { get: () => 999 }) }),
      reparentResponsePrototype: change(() => { Object.setPrototypeOf(Response.prototype, {}) }),
      pollutePrototypeOfResponsePrototype: change(() => { sharedObjectPrototype.leak = 1 }),
      replaceSharedToString: change(() => { sharedObjectPrototype.toString = () => "pwned" }),
      replaceHeadersAppend: change(() => { Headers.prototype.append = function () {} }),
      replaceSharedArrayPush: change(() => { sharedArrayPrototype.push = () => 0 }),
      polluteSharedArrayPrototype: change(() => { sharedArrayPrototype.leak = 1 }),
      polluteSharedFunctionPrototype: change(() => { sharedFunctionPrototype.leak = 1 }),
      replaceSharedCall: change(() => { sharedFunctionPrototype.call = () => "pwned" }),
      addStatic: change(() => { Response.leak = 1 }),
      replaceStatic: change(() => { Response.json = () => "pwned" }),
      definePropertyOnFetch: change(() => { Object.defineProperty(fetch, "leak", { value: 1 }) }),
      addToCrypto: change(() => { crypto.leak = 1 }),
      replaceDigest: change(() => { crypto.subtle.digest = () => "pwned" }),
      replaceUserAgent: change(() => { navigator.userAgent = "pwned" }),
      replacePerformanceNow: change(() => { performance.now = () => 0 }),
      polluteThroughInternalState: change(() => { Object.getPrototypeOf(internalState).leak = 1 }),
      replaceArrayGuard: change(() => { Array.prototype.map.leak = 1 }),
      replaceUrlSearchParamsGet: change(() => { URLSearchParams.prototype.get = () => "pwned" }),
      replaceTextEncoderEncode: change(() => { TextEncoder.prototype.encode = () => "pwned" }),
      reparentBlob: change(() => { Object.setPrototypeOf(Blob.prototype, null) }),
      replaceEventTargetDispatch: change(() => { EventTarget.prototype.dispatchEvent = () => true }),
    };`;

  const checks = `
    const sharedObjectPrototype = Object.getPrototypeOf(Response.prototype);
    const sharedArrayPrototype = Object.getPrototypeOf(new Headers({ a: "1" })[Symbol.for("picloud.headers")]);
    const res = new Response("ok", { headers: { a: "1" } });
    return [
      "leak" in Response.prototype, "leak" in sharedObjectPrototype, "leak" in sharedArrayPrototype,
      "leak" in Response, "leak" in fetch, "leak" in crypto, "leak" in Object.getPrototypeOf(Headers.prototype.append),
      String(sharedObjectPrototype.toString === Object.getPrototypeOf(sharedObjectPrototype)),
      Object.getPrototypeOf(Response.prototype) === sharedObjectPrototype,
      res.status, await res.text(), res.headers.get("a"),
      typeof Response.json, typeof crypto.subtle.digest, navigator.userAgent, typeof performance.now(),
      new URLSearchParams("q=1").get("q"), new TextEncoder().encode("é").length,
      [1, 2].map((x) => x * 2).join(), ({}).leak, [].leak,
    ];`;

  it("refuses every change to shared prelude objects and their intrinsics", async () => {
    const results = await asNewApp<Record<string, string>>(attacks);
    const refused = Object.entries(results).filter(([, result]) => !String(result).startsWith("TypeError"));
    expect(refused).toEqual([]);
  });

  it("leaves the next script of another app with pristine shared objects", async () => {
    await asNewApp(attacks);
    const seen = await asNewApp(checks);
    expect(seen).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
      false,
      "false",
      true,
      200,
      "ok",
      "1",
      "function",
      "function",
      "PiCloud",
      "number",
      "1",
      2,
      "2,4",
      null,
      null,
    ]);
  });

  it("forgets what a script did to its own globals and intrinsics", async () => {
    // The script breaks its own execution (its promises never settle), not the next one.
    await runFetch(
      host,
      `Object.prototype.polluted = "yes"; Array.prototype.map = () => "pwned"; JSON.parse = () => "pwned";
      Promise.prototype.then = () => "pwned"; Uint8Array.prototype.set = () => {}; globalThis.Response = null;
      console.log = () => {}; globalThis.leaked = 1;
      export default { fetch() { return 1 } }`,
      { limits: { ...TEST_LIMITS, wallTimeMs: 300 } },
    );
    const seen = await asNewApp(`
      return [({}).polluted ?? null, [1].map((x) => x + 1), JSON.parse("[1]"), await Promise.resolve(2),
        typeof Response, typeof globalThis.leaked, typeof console.log, await new Response("r").text(),
        Object.keys(await new Response('{"a":1}').json())]`);
    expect(seen).toEqual([null, [2], [1], 2, "function", "undefined", "function", "r", ["a"]]);
  });

  it("cannot compile code in the shared realm (its Function constructors are gone)", async () => {
    const results = await asNewApp<string[]>(`${ATTEMPT}
      const sharedFunction = Headers.prototype.get;
      return [
        attempt(() => Response.constructor("return globalThis")()),
        attempt(() => sharedFunction.constructor("return 1")()),
        attempt(() => new (Object.getPrototypeOf(sharedFunction).constructor)("return 1")),
        attempt(() => Object.getPrototypeOf(sharedFunction).constructor.call(null, "return 1")),
        attempt(() => sharedFunction.call.constructor("return 1")()),
      ]`);
    for (const result of results)
      expect(result).toBe("TypeError: code cannot be compiled in the shared prelude realm");
  });

  it("keeps a private field stamped on a shared object out of every later execution", async () => {
    const stamp = `
      class Base { constructor(o) { return o } }
      class Stamp extends Base { #mark = "secret"; static has(o) { return #mark in o } }
      const before = Stamp.has(Response.prototype);
      new Stamp(Response.prototype);
      return [before, Stamp.has(Response.prototype)]`;
    expect(await asNewApp(stamp)).toEqual([false, true]);
    expect(await asNewApp(stamp)).toEqual([false, true]);
  });
});

describe("memory a script pins on a shared object", () => {
  // A private field added through a constructor's return value survives freezing: the string
  // stays reachable from the shared realm after its execution, and counts against later budgets.
  const pin = `export default { fetch() {
    class Base { constructor(o) { return o } }
    class Pin extends Base { #held = "p".repeat(24 << 20) }
    new Pin(Object.getPrototypeOf(Response.prototype));
    return new Response("pinned") } }`;
  // Allocates 20 MiB, then runs long enough for the periodic memory check to measure it.
  const victim = `export default { fetch() {
    const bytes = new Uint8Array(20 << 20); const until = Date.now() + 150; while (Date.now() < until) {}
    return new Response(String(bytes.length)) } }`;
  const paced = async (source: string) => {
    const ran = await runFetch(host, source);
    await new Promise((resolve) => setImmediate(resolve));
    return ran;
  };

  it("is released within 64 executions, when the pool audits the runtime", async () => {
    // A runtime whose execution grew the heap is measured when released (and replaced if it
    // holds too much); pinning into memory the heap already has is what the audit is for.
    await paced(
      `export default { fetch() { return new Response(String(new Uint8Array(28 << 20).length)) } }`,
    );
    expect((await paced(pin)).text).toBe("pinned");
    // Until then it counts against later budgets (a victim that hits its limit also gets the
    // runtime replaced, so light executions fill the window here).
    for (let i = 0; i < 64; i++) await paced(`export default { fetch() { return new Response("x") } }`);
    expect((await paced(victim)).text).toBe(String(20 << 20));
  });
});

describe("values the prelude hands to a script belong to the script's realm", () => {
  it("passes instanceof and prototype checks against the script's own intrinsics", async () => {
    const results = await asNewApp<Record<string, boolean>>(`
      const json = await new Response('{"a":[1]}').json();
      const isTypeError = (fn) => { try { fn(); return false } catch (e) { return e instanceof TypeError } };
      const cloned = structuredClone({ a: [1], m: new Map([[1, 2]]) });
      const digest = crypto.subtle.digest("SHA-256", new Uint8Array(1));
      const key = await crypto.subtle.importKey("raw", new Uint8Array(8), { name: "HMAC", hash: "SHA-256" }, true, ["sign"]);
      const fetched = fetch("https://example.com/");
      return {
        jsonIsObject: json instanceof Object && Object.getPrototypeOf(json) === Object.prototype,
        jsonArray: json.a instanceof Array,
        bytes: (await new Response("x").bytes()) instanceof Uint8Array,
        arrayBuffer: (await new Response("x").arrayBuffer()) instanceof ArrayBuffer,
        textPromise: new Response("x").text() instanceof Promise,
        requestTextPromise: new Request("https://a.example/", { method: "POST", body: "x" }).text() instanceof Promise,
        encoded: new TextEncoder().encode("x") instanceof Uint8Array,
        encodeInto: Object.getPrototypeOf(new TextEncoder().encodeInto("x", new Uint8Array(4))) === Object.prototype,
        setCookies: new Headers([["set-cookie", "a"]]).getSetCookie() instanceof Array,
        headerPairs: [...new Headers({ a: "1" })][0] instanceof Array,
        headerKeys: Object.getPrototypeOf(new Headers({ a: "1" }).keys()) === Object.getPrototypeOf([][Symbol.iterator]()),
        searchParams: new URLSearchParams("a=1&a=2").getAll("a") instanceof Array,
        clonedObject: cloned instanceof Object && cloned.a instanceof Array && cloned.m instanceof Map,
        digestPromise: digest instanceof Promise,
        digestBuffer: (await digest) instanceof ArrayBuffer,
        keyAlgorithm: key.algorithm instanceof Object && key.usages instanceof Array,
        jwk: (await crypto.subtle.exportKey("jwk", key)) instanceof Object,
        domException: new DOMException("x") instanceof Error,
        abortReason: AbortSignal.abort().reason instanceof Error,
        preludeTypeError: isTypeError(() => new Headers({ "bad name": "x" })),
        blobPromise: new Blob(["x"]).text() instanceof Promise,
        blobBuffer: (await new Blob(["x"]).arrayBuffer()) instanceof ArrayBuffer,
        fetchPromise: fetched instanceof Promise,
        fetchRejection: await fetched.then(() => false, (e) => e instanceof TypeError),
        envAndCtx: env instanceof Object && ctx instanceof Object && Object.getPrototypeOf(ctx) === Object.prototype,
        hostError: (() => { try { crypto.getRandomValues(new Uint8Array(70000)) } catch (e) { return e instanceof Error } })(),
      };`);
    const wrong = Object.entries(results).filter(([, ok]) => ok !== true);
    expect(wrong).toEqual([]);
  });

  it("documents what differs: shared classes and their instances inherit from the shared realm", async () => {
    const result = await asNewApp(`
      const url = new URL(request.url);
      return [url instanceof URL, url instanceof Object, Object.getPrototypeOf(Response.prototype) === Object.prototype,
        Response instanceof Function, typeof Response, Object.prototype.toString.call(url)]`);
    expect(result).toEqual([true, false, false, false, "function", "[object URL]"]);
  });

  it("lets Hono-style promise checks see the prelude's promises", async () => {
    const result = await asNewApp(`
      const res = new Response('{"a":1}');
      const pending = res.json();
      return [pending instanceof Promise, (await pending).a]`);
    expect(result).toEqual([true, 1]);
  });
});

describe("per-execution state starts over for every execution", () => {
  const body = `
    console.count("n"); console.count("n"); console.group("g"); console.time("t");
    const id = setTimeout(() => {}, 1); clearTimeout(id);
    const origin = performance.timeOrigin;
    return [id, typeof origin]`;

  it("restarts console counters, groups and timer ids", async () => {
    const first = await runApp(body);
    const second = await runApp(body);
    expect(first.value).toEqual([1, "number"]);
    expect(second.value).toEqual([1, "number"]);
    expect(second.logs).toEqual(["n: 1", "n: 2", "g"]);
  });

  it("gives each execution its own DOMException class and console object", async () => {
    const [a, b] = await Promise.all([
      asNewApp(`globalThis.first = DOMException; console.marker = 1; return typeof console.marker`),
      asNewApp(
        `return [typeof globalThis.first, typeof console.marker, new DOMException("m", "AbortError").code]`,
      ),
    ]);
    expect(a).toBe("number");
    expect(b).toEqual(["undefined", "undefined", 20]);
  });
});

describe("limits hold while the guest is inside shared code", () => {
  const quick = { ...TEST_LIMITS, wallTimeMs: 300 };

  it.each([
    [
      "an endless iterable given to new Headers()",
      `new Headers({ [Symbol.iterator]: function* () { while (true) yield ["a", "b"] } })`,
    ],
    [
      "a callback that never returns, called by Headers.forEach",
      `new Headers({ a: "1" }).forEach(() => { while (true) {} })`,
    ],
    [
      "a getter that never returns, read by new URLSearchParams()",
      `new URLSearchParams({ get a() { while (true) {} } })`,
    ],
    [
      "an endless stream read by Response.text()",
      `await new Response(new ReadableStream({ pull(c) { c.enqueue("x") } })).text()`,
    ],
  ])("%s stops the execution and the runtime serves the next one", async (_name, code) => {
    const stopped = await runFetch(
      host,
      `export default { async fetch() { ${code}; return new Response("no") } }`,
      {
        limits: quick,
      },
    );
    expect(["timeout", "memory"]).toContain(stopped.outcome.status);
    const next = await runFetch(host, `export default { fetch() { return new Response("next") } }`);
    expect(next.text).toBe("next");
  });

  it("counts memory allocated by shared code against the script's budget", async () => {
    const big = await runFetch(
      host,
      `export default { async fetch() { const bytes = new Uint8Array(20 << 20); structuredClone([bytes, bytes.slice()]); return new Response("no") } }`,
    );
    expect(big.outcome.status).toBe("memory");
    const next = await runFetch(host, `export default { fetch() { return new Response("next") } }`);
    expect(next.text).toBe("next");
  });
});

describe("the seal covers everything a script can reach", () => {
  it("finds no unfrozen shared object reachable from the Web globals", async () => {
    const offenders = await asNewApp<string[]>(`
      const ownRoot = Object.prototype;
      const isOwn = (o) => { let p = o; for (;;) { const next = Object.getPrototypeOf(p); if (next === null) return p === ownRoot; p = next; } };
      const names = ["fetch", "Request", "Response", "Headers", "URL", "URLSearchParams", "TextEncoder", "TextDecoder", "atob", "btoa",
        "crypto", "Crypto", "CryptoKey", "SubtleCrypto", "structuredClone", "setTimeout", "clearTimeout", "setInterval", "clearInterval",
        "queueMicrotask", "AbortController", "AbortSignal", "Event", "EventTarget", "console", "Blob", "File", "FormData",
        "ReadableStream", "ReadableStreamDefaultReader", "DOMException", "performance", "navigator"];
      // [path, value, reached from an object of the script's own realm]
      const stack = names.map((n) => [n, globalThis[n], true]);
      stack.push(["Array.prototype", Array.prototype, true]);
      stack.push(["shared array prototype", Object.getPrototypeOf(new Headers({ a: "1" })[Symbol.for("picloud.headers")]), false]);
      const seen = new Set(); const out = [];
      while (stack.length) {
        const [path, o, fromOwn] = stack.pop();
        if ((typeof o !== "object" || o === null) && typeof o !== "function") continue;
        if (seen.has(o)) continue;
        seen.add(o);
        // A prototype-less object met under one of the script's own is the script's (Array.prototype[Symbol.unscopables]).
        const own = isOwn(o) || (fromOwn && Object.getPrototypeOf(o) === null);
        if (!own && !Object.isFrozen(o)) out.push(path);
        stack.push([path + ".__proto__", Object.getPrototypeOf(o), own]);
        for (const k of Reflect.ownKeys(o)) {
          const d = Object.getOwnPropertyDescriptor(o, k);
          const name = path + "." + String(k);
          stack.push([name, d.value, own], [name + "(get)", d.get, own], [name + "(set)", d.set, own]);
        }
      }
      return out`);
    expect(offenders).toEqual([]);
  });
});
