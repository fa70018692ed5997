/**
 * The rest of the guest globals: base64, crypto, structuredClone, events and
 * abort signals, timers, streams, Blob/File/FormData, names (encoding is in
 * web-encoding.test.ts).
 */
import { afterAll, describe, expect, it } from "vitest";
import { createSandboxHost } from "./index.js";
import { ATTEMPT, inGuest } from "./testing/jobs.js";

const host = createSandboxHost({ maxConcurrent: 2 });
afterAll(() => host.dispose());

describe("atob / btoa", () => {
  it("encodes Latin-1 and decodes forgivingly", async () => {
    const result = await inGuest(
      host,
      `${ATTEMPT} return [btoa("hello"), atob("aGVsbG8="), atob(" aGVs bG8 "), atob("aGVsbG8"), btoa("\\u00ff\\u0000"), atob(btoa("\\u0000\\u00ff")).length,
        attempt(() => btoa("€")), attempt(() => atob("a")), attempt(() => atob("!!!!"))]`,
    );
    expect(result).toEqual([
      "aGVsbG8=",
      "hello",
      "hello",
      "hello",
      "/wA=",
      2,
      "InvalidCharacterError: btoa: the string contains characters outside of the Latin1 range",
      expect.stringMatching(/^InvalidCharacterError/),
      expect.stringMatching(/^InvalidCharacterError/),
    ]);
  });
});

describe("crypto", () => {
  it("fills typed arrays, enforces the quota and makes v4 UUIDs", async () => {
    const result = await inGuest(
      host,
      `${ATTEMPT}
       const a = crypto.getRandomValues(new Uint8Array(64));
       const b = crypto.getRandomValues(new Uint32Array(4));
       return [a.some((x) => x !== 0), b.length, attempt(() => crypto.getRandomValues(new Uint8Array(65537))),
         attempt(() => crypto.getRandomValues(new Float64Array(2))), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()),
         crypto.randomUUID() !== crypto.randomUUID(), crypto instanceof Crypto]`,
    );
    expect(result).toEqual([
      true,
      4,
      expect.stringMatching(/^QuotaExceededError/),
      expect.stringMatching(/^TypeMismatchError/),
      true,
      true,
      true,
    ]);
  });

  it("digests with SHA-1/256/384/512 (FIPS 180 'abc' vectors)", async () => {
    const result = await inGuest(
      host,
      `const hex = (b) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");
       const data = new TextEncoder().encode("abc");
       return Promise.all(["SHA-1", "SHA-256", { name: "sha-384" }, "SHA-512"].map(async (a) => hex(await crypto.subtle.digest(a, data))))`,
    );
    expect(result).toEqual([
      "a9993e364706816aba3e25717850c26c9cd0d89d",
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
      "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    ]);
  });

  it("signs and verifies HMAC (RFC 4231 test case 2) and round-trips keys", async () => {
    const result = await inGuest(
      host,
      `${ATTEMPT}
       const enc = new TextEncoder();
       const hex = (b) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");
       const key = await crypto.subtle.importKey("raw", enc.encode("Jefe"), { name: "HMAC", hash: "SHA-256" }, true, ["sign", "verify"]);
       const data = enc.encode("what do ya want for nothing?");
       const sig = await crypto.subtle.sign("HMAC", key, data);
       const ok = await crypto.subtle.verify("HMAC", key, sig, data);
       const bad = await crypto.subtle.verify({ name: "HMAC" }, key, sig, enc.encode("tampered"));
       const jwk = await crypto.subtle.exportKey("jwk", key);
       const again = await crypto.subtle.importKey("jwk", jwk, { name: "HMAC", hash: { name: "SHA-256" } }, false, ["sign"]);
       const generated = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-512" }, true, ["sign"]);
       return [hex(sig), ok, bad, key.type, key.algorithm.hash.name, key.algorithm.length, jwk.k, jwk.alg, hex(await crypto.subtle.sign("HMAC", again, data)) === hex(sig),
         (await crypto.subtle.exportKey("raw", generated)).byteLength, await attemptAsync(() => crypto.subtle.exportKey("raw", again)),
         await attemptAsync(() => crypto.subtle.digest("MD5", data)), await attemptAsync(() => crypto.subtle.encrypt({ name: "AES-GCM" }, key, data)),
         await attemptAsync(() => crypto.subtle.sign("HMAC", again, "not bytes"))]`,
    );
    expect(result).toEqual([
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
      true,
      false,
      "secret",
      "SHA-256",
      32,
      "SmVmZQ",
      "HS256",
      true,
      128,
      expect.stringMatching(/^InvalidAccessError/),
      expect.stringMatching(/^NotSupportedError/),
      expect.stringMatching(/^NotSupportedError/),
      expect.stringMatching(/^TypeError/),
    ]);
  });
});

describe("structuredClone", () => {
  it("deep-copies supported types, keeping shared and cyclic references", async () => {
    const result = await inGuest(
      host,
      `${ATTEMPT}
       const shared = { n: 1 };
       const src = { d: new Date(0), r: /x/gi, m: new Map([["k", shared]]), s: new Set([1]), u: new Uint8Array([1, 2]), a: [shared, shared], e: new RangeError("boom") };
       src.self = src;
       const c = structuredClone(src);
       return [c !== src, c.self === c, c.a[0] === c.a[1], c.a[0] !== shared, c.m.get("k") === c.a[0], c.d.getTime(), c.r.flags, c.s.has(1), [...c.u],
         c.e instanceof RangeError, c.e.message, attempt(() => structuredClone(() => 1)), attempt(() => structuredClone({ f: Symbol("x") }))]`,
    );
    expect(result).toEqual([
      true,
      true,
      true,
      true,
      true,
      0,
      "gi",
      true,
      [1, 2],
      true,
      "boom",
      expect.stringMatching(/^DataCloneError/),
      expect.stringMatching(/^DataCloneError/),
    ]);
  });
});

describe("structuredClone of own __proto__ keys", () => {
  it("copies them as keys, leaving the copy's prototype alone", async () => {
    const result = await inGuest(
      host,
      `const c = structuredClone(JSON.parse('{"__proto__":{"admin":true},"b":1}'));
       return [JSON.stringify(c), Object.getPrototypeOf(c) === Object.prototype, c.admin === undefined]`,
    );
    expect(result).toEqual(['{"__proto__":{"admin":true},"b":1}', true, true]);
  });
});

describe("events and abort signals", () => {
  it("aborts with an AbortError DOMException and runs listeners once", async () => {
    const result = await inGuest(
      host,
      `const c = new AbortController(); const seen = [];
       c.signal.onabort = (e) => seen.push("onabort:" + e.type);
       c.signal.addEventListener("abort", () => seen.push("listener"), { once: true });
       c.abort(); c.abort();
       const r = c.signal.reason;
       let thrown; try { c.signal.throwIfAborted() } catch (e) { thrown = e === r }
       return [c.signal.aborted, r instanceof DOMException, r instanceof Error, r.name, r.code, seen, thrown, AbortSignal.abort("why").reason]`,
    );
    expect(result).toEqual([true, true, true, "AbortError", 20, ["onabort:abort", "listener"], true, "why"]);
  });

  it("AbortSignal.timeout and AbortSignal.any fire during the execution", async () => {
    const result = await inGuest(
      host,
      `const t = AbortSignal.timeout(10);
       const c = new AbortController();
       const any = AbortSignal.any([c.signal, t]);
       await new Promise((r) => t.addEventListener("abort", r));
       return [t.reason.name, any.aborted, any.reason === t.reason]`,
    );
    expect(result).toEqual(["TimeoutError", true, true]);
  });

  it("dispatches events with preventDefault and stopImmediatePropagation", async () => {
    const result = await inGuest(
      host,
      `const target = new EventTarget(); const seen = [];
       target.addEventListener("x", (e) => { seen.push(1); e.preventDefault(); });
       target.addEventListener("x", { handleEvent(e) { seen.push(2); e.stopImmediatePropagation(); } });
       target.addEventListener("x", () => seen.push(3));
       const notCancelled = target.dispatchEvent(new Event("x", { cancelable: true }));
       return [seen, notCancelled, new DOMException("m", "NotFoundError").code]`,
    );
    expect(result).toEqual([[1, 2], false, 8]);
  });
});

describe("timers", () => {
  it("orders timeouts, microtasks and intervals, and clears them", async () => {
    const result = await inGuest(
      host,
      `const order = [];
       setTimeout((a, b) => order.push("t20:" + a + b), 20, "x", "y");
       const cleared = setTimeout(() => order.push("never"), 5);
       clearTimeout(cleared);
       setTimeout(() => order.push("t0"), 0);
       queueMicrotask(() => order.push("micro"));
       let n = 0; const id = setInterval(() => { order.push("i" + ++n); if (n === 3) clearInterval(id); }, 1);
       const t0 = performance.now();
       await new Promise((r) => setTimeout(r, 40));
       return [order[0], order.includes("never"), order.filter((x) => x.startsWith("i")), order.includes("t20:xy"), performance.now() >= t0]`,
    );
    expect(result).toEqual(["micro", false, ["i1", "i2", "i3"], true, true]);
  });
});

describe("streams", () => {
  it("reads with readers and async iteration, tees and builds from iterables", async () => {
    const result = await inGuest(
      host,
      `let i = 0;
       const s = new ReadableStream({ pull(c) { if (i < 3) c.enqueue(i++); else c.close(); } });
       const [a, b] = s.tee();
       const fromA = []; for await (const x of a) fromA.push(x);
       const reader = b.getReader(); const fromB = [];
       for (;;) { const { value, done } = await reader.read(); if (done) break; fromB.push(value); }
       const fromIterable = []; for await (const x of ReadableStream.from(["p", "q"])) fromIterable.push(x);
       return [fromA, fromB, fromIterable, s.locked]`,
    );
    expect(result).toEqual([[0, 1, 2], [0, 1, 2], ["p", "q"], true]);
  });
});

describe("Blob, File and FormData", () => {
  it("concatenates parts, slices and reads", async () => {
    const result = await inGuest(
      host,
      `const blob = new Blob(["ab", new Uint8Array([99]), new Blob(["d"])], { type: "Text/Plain" });
       const file = new File(["x"], "f.txt", { type: "text/plain", lastModified: 5 });
       return [blob.size, blob.type, await blob.text(), await blob.slice(1, -1).text(), await blob.slice(-2).text(), file.name, file.lastModified, file instanceof Blob, [...new Uint8Array(await file.arrayBuffer())]]`,
    );
    expect(result).toEqual([4, "text/plain", "abcd", "bc", "cd", "f.txt", 5, true, [120]]);
  });

  it("keeps FormData entries in order with set/delete/getAll", async () => {
    const result = await inGuest(
      host,
      `const f = new FormData();
       f.append("a", "1"); f.append("b", new Blob(["z"])); f.append("a", "2"); f.set("c", "3"); f.set("a", "4");
       const b = f.get("b");
       f.delete("c");
       return [[...f.keys()], f.getAll("a"), f.has("c"), b instanceof File, b.name]`,
    );
    expect(result).toEqual([["a", "b"], ["4"], false, true, "blob"]);
  });
});

describe("globals", () => {
  it("installs the WinterTC globals lazily but visibly", async () => {
    const result = await inGuest(
      host,
      `const names = ["fetch", "Request", "Response", "Headers", "URL", "URLSearchParams", "TextEncoder", "TextDecoder", "atob", "btoa", "crypto",
         "structuredClone", "setTimeout", "clearTimeout", "setInterval", "clearInterval", "AbortController", "AbortSignal", "Event", "EventTarget",
         "console", "queueMicrotask", "Blob", "File", "FormData", "ReadableStream", "DOMException", "performance", "navigator"];
       return names.filter((n) => typeof globalThis[n] === "undefined")`,
    );
    expect(result).toEqual([]);
  });

  it("lets a script shadow or replace a lazy global", async () => {
    const result = await inGuest(
      host,
      `globalThis.URL = "mine"; const before = URL; delete globalThis.URL; return [before, typeof URL]`,
    );
    expect(result).toEqual(["mine", "undefined"]);
  });
});

describe("names of the Web globals", () => {
  it("carry their real names and toString tags", async () => {
    const names = [
      "URL",
      "URLSearchParams",
      "Headers",
      "Request",
      "Response",
      "fetch",
      "AbortController",
      "AbortSignal",
      "DOMException",
      "Event",
      "EventTarget",
      "TextEncoder",
      "TextDecoder",
      "Blob",
      "File",
      "FormData",
      "ReadableStream",
      "structuredClone",
      "atob",
      "btoa",
      "setTimeout",
      "queueMicrotask",
    ];
    const result = await inGuest(
      host,
      `const names = ${JSON.stringify(names)};
       return [names.filter((n) => globalThis[n].name !== n),
         String(new Headers()), String(new AbortController().signal),
         ["DOMException", "Event", "EventTarget", "AbortSignal", "AbortController", "SubtleCrypto"].filter(
           (n) => Object.prototype.toString.call(globalThis[n].prototype) !== "[object " + n + "]"),
         Object.prototype.toString.call(new Headers()), Object.prototype.toString.call(new URL("https://a.example/"))]`,
    );
    expect(result).toEqual([
      [],
      "[object Headers]",
      "[object AbortSignal]",
      [],
      "[object Headers]",
      "[object URL]",
    ]);
  });
});
