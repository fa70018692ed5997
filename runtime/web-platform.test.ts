/**
 * The rest of the guest globals: encoding, base64, crypto, structuredClone,
 * events and abort signals, timers, streams, Blob/File/FormData.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createSandboxHost } from "./index.js";
import { ATTEMPT, inGuest } from "./testing/jobs.js";

const host = createSandboxHost({ maxConcurrent: 2 });
afterAll(() => host.dispose());

/** Both isolation modes: snapshot sandboxes (the default) and classic contexts. */
const MODES = [
  ["snapshot sandboxes", host],
  ["classic contexts", createSandboxHost({ maxConcurrent: 2, snapshots: false })],
] as const;
afterAll(() => MODES[1][1].dispose());

describe.each(MODES)("TextDecoder, legacy encodings (%s)", (_mode, modeHost) => {
  it("resolves every kind of label to its canonical encoding name", async () => {
    const result = await inGuest(
      modeHost,
      `return ["latin1", "ascii", "UTF-16", "utf-16be", "unicode-1-1-utf-8", "GBK", "gb2312", "gb18030", "big5-hkscs",
        "x-euc-jp", "csiso2022jp", "sjis", "ks_c_5601-1987", "koi8-r", "iso-8859-2", "windows-1251", "x-mac-cyrillic",
        "x-user-defined", " \\t\\n\\f\\rcp1252\\r\\n "].map((l) => new TextDecoder(l).encoding)`,
    );
    expect(result).toEqual([
      "windows-1252",
      "windows-1252",
      "utf-16le",
      "utf-16be",
      "utf-8",
      "gbk",
      "gbk",
      "gb18030",
      "big5",
      "euc-jp",
      "iso-2022-jp",
      "shift_jis",
      "euc-kr",
      "koi8-r",
      "iso-8859-2",
      "windows-1251",
      "x-mac-cyrillic",
      "x-user-defined",
      "windows-1252",
    ]);
  });

  it("rejects labels padded with anything but ASCII whitespace, the replacement labels and unknown ones", async () => {
    const result = await inGuest(
      modeHost,
      `${ATTEMPT} return ["\\vutf-8", "utf-8\\v", "\\u00a0utf-8", "utf-8\\u00a0", "\\u2028latin1", "utf-8\\0", "replacement",
        "iso-2022-kr", "hz-gb-2312", "utf-7", "x-unknown", ""].map((l) => attempt(() => new TextDecoder(l).encoding).split(":")[0])`,
    );
    expect(result).toEqual(Array(12).fill("RangeError"));
  });

  it("decodes the single-byte encodings with their tables", async () => {
    const result = await inGuest(
      modeHost,
      `const bytes = new Uint8Array([0x41, 0x80, 0x92, 0x9f, 0xa4, 0xe9]);
       return ["windows-1252", "iso-8859-2", "iso-8859-15", "windows-1251", "koi8-r", "ibm866", "macintosh", "x-user-defined"]
         .map((e) => [...new TextDecoder(e).decode(bytes)].map((c) => c.codePointAt(0).toString(16)).join(" "))`,
    );
    expect(result).toEqual([
      "41 20ac 2019 178 a4 e9",
      "41 80 92 9f a4 e9",
      "41 80 92 9f 20ac e9",
      "41 402 2019 45f a4 439",
      "41 2500 2593 f7 2553 418",
      "41 410 422 42f 434 449",
      "41 c4 ed fc a7 c8",
      "41 f780 f792 f79f f7a4 f7e9",
    ]);
  });

  it("decodes UTF-16LE/BE with and without a byte order mark, honouring ignoreBOM", async () => {
    const result = await inGuest(
      modeHost,
      `const le = new Uint8Array([0xff, 0xfe, 0x41, 0x00, 0x3d, 0xd8, 0x00, 0xde]);
       const be = new Uint8Array([0xfe, 0xff, 0x00, 0x41, 0xd8, 0x3d, 0xde, 0x00]);
       return [new TextDecoder("utf-16le").decode(le), new TextDecoder("utf-16be").decode(be),
         new TextDecoder("utf-16le", { ignoreBOM: true }).decode(le).charCodeAt(0).toString(16),
         new TextDecoder("utf-16be").decode(new Uint8Array([0xd8, 0x00])).codePointAt(0).toString(16),
         new TextDecoder("utf-16le").decode(new Uint8Array([0x41])).codePointAt(0).toString(16)]`,
    );
    expect(result).toEqual(["A😀", "A😀", "feff", "fffd", "fffd"]);
  });

  it("decodes the CJK encodings (the examples of the Encoding Standard's indexes)", async () => {
    const result = await inGuest(
      modeHost,
      `const d = (e, b) => new TextDecoder(e).decode(new Uint8Array(b));
       return [d("gbk", [0xc4, 0xe3, 0xba, 0xc3]), d("gb18030", [0x81, 0x30, 0x81, 0x30, 0x80]), d("big5", [0xa4, 0xa4, 0xa4, 0xe5]),
         d("euc-jp", [0xc6, 0xfc, 0xcb, 0xdc, 0x8e, 0xb1]), d("shift_jis", [0x93, 0xfa, 0x96, 0x7b, 0xb1]),
         d("iso-2022-jp", [0x1b, 0x24, 0x42, 0x46, 0x7c, 0x4b, 0x5c, 0x1b, 0x28, 0x42, 0x41]), d("euc-kr", [0xc7, 0xd1, 0xb1, 0xdb])]`,
    );
    expect(result).toEqual(["你好", "\u0080€", "中文", "日本ｱ", "日本ｱ", "日本A", "한글"]);
  });

  it("keeps an incomplete sequence, and the ISO-2022-JP mode, across streaming calls", async () => {
    const result = await inGuest(
      modeHost,
      `const parts = (e, chunks) => { const d = new TextDecoder(e); const out = chunks.map((c) => d.decode(new Uint8Array(c), { stream: true })); out.push(d.decode()); return out; };
       return [parts("shift_jis", [[0x93], [0xfa, 0x96], [0x7b]]), parts("utf-16le", [[0x3d], [0xd8, 0x00], [0xde]]),
         parts("iso-2022-jp", [[0x1b, 0x24], [0x42, 0x46], [0x7c], [0x4b, 0x5c]]), parts("gb18030", [[0x81, 0x30], [0x81], [0x30]]),
         parts("euc-kr", [[0xc7]])]`,
    );
    expect(result).toEqual([
      ["", "日", "本", ""],
      ["", "", "😀", ""],
      ["", "", "日", "本", ""],
      ["", "", "\u0080", ""],
      ["", "\uFFFD"],
    ]);
  });

  it("throws a TypeError on invalid input when fatal, and replaces it otherwise", async () => {
    const result = await inGuest(
      modeHost,
      `${ATTEMPT} const bad = { "windows-874": [0x41, 0xdb], "shift_jis": [0x82], "euc-kr": [0xc7], "utf-16be": [0xdc, 0x00], "iso-8859-3": [0xa5], "big5": [0x41, 0xa4], "iso-2022-jp": [0x1b, 0x24, 0x42, 0x7f] };
       return Object.entries(bad).map(([e, b]) => [attempt(() => new TextDecoder(e, { fatal: true }).decode(new Uint8Array(b))).split(":")[0],
         new TextDecoder(e).decode(new Uint8Array(b)).includes("\\uFFFD")])`,
    );
    expect(result).toEqual(Array(7).fill(["TypeError", true]));
  });

  it("a stream left open by one execution is not seen by the next one on the same sandbox", async () => {
    const body = `const d = new TextDecoder("shift_jis"); return d.decode(new Uint8Array([0x41]), { stream: true }) + d.decode(new Uint8Array([0x93]), { stream: true })`;
    const first = await inGuest(modeHost, body);
    const second = await inGuest(
      modeHost,
      `const d = new TextDecoder("shift_jis"); return d.decode(new Uint8Array([0xfa]))`,
    );
    expect([first, second]).toEqual(["A", "\uFFFD"]);
  });

  it("decoders are independent and reusable after a stream ends", async () => {
    const result = await inGuest(
      modeHost,
      `const a = new TextDecoder("big5"); const b = new TextDecoder("big5");
       const first = [a.decode(new Uint8Array([0xa4]), { stream: true }), b.decode(new Uint8Array([0xa4]), { stream: true }),
         a.decode(new Uint8Array([0xa4])), b.decode(new Uint8Array([0xe5]))];
       return [...first, a.decode(new Uint8Array([0xa4, 0xe5]), { stream: true }), a.fatal, a.ignoreBOM, Object.prototype.toString.call(a)]`,
    );
    expect(result).toEqual(["", "", "中", "文", "文", false, false, "[object TextDecoder]"]);
  });
});

describe("TextEncoder / TextDecoder", () => {
  it("round-trips UTF-8, replaces lone surrogates and handles the BOM", async () => {
    const result = await inGuest(
      host,
      `const enc = new TextEncoder();
       const s = "aé€😀";
       const bytes = enc.encode(s);
       return [enc.encoding, [...bytes], new TextDecoder().decode(bytes), [...enc.encode("\\uD800")],
         new TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])), new TextDecoder("utf-8", { ignoreBOM: true }).decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])).length,
         new TextDecoder().decode(new Uint8Array([0xff, 0x41])), new TextDecoder("UTF8").encoding]`,
    );
    expect(result).toEqual([
      "utf-8",
      [97, 195, 169, 226, 130, 172, 240, 159, 152, 128],
      "aé€😀",
      [239, 191, 189],
      "A",
      2,
      "\uFFFDA",
      "utf-8",
    ]);
  });

  it("throws on invalid input when fatal, and on unsupported labels", async () => {
    const result = await inGuest(
      host,
      `${ATTEMPT} return [attempt(() => new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([0xc3]))), attempt(() => new TextDecoder("x-unknown"))]`,
    );
    expect(result).toEqual([expect.stringMatching(/^TypeError/), expect.stringMatching(/^RangeError/)]);
  });

  it("decodes a stream split inside a multi-byte character", async () => {
    const result = await inGuest(
      host,
      `const d = new TextDecoder(); const b = new TextEncoder().encode("€😀");
       return d.decode(b.subarray(0, 2), { stream: true }) + "|" + d.decode(b.subarray(2, 5), { stream: true }) + "|" + d.decode(b.subarray(5))`,
    );
    expect(result).toBe("|€|😀");
  });

  it("encodeInto writes whole characters only", async () => {
    const result = await inGuest(
      host,
      `const out = new Uint8Array(4); const r = new TextEncoder().encodeInto("aé€", out); return [r.read, r.written, [...out]]`,
    );
    expect(result).toEqual([2, 3, [97, 195, 169, 0]]);
  });
});

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
