/**
 * Headers, Request and Response as scripts see them (Fetch standard): header
 * combining and case, set-cookie, iteration order, body extraction and
 * consumption, byte-exact binary bodies in both directions.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createSandboxHost } from "./index.js";
import { ATTEMPT, inGuest, request, runFetch } from "./testing/jobs.js";

const host = createSandboxHost({ maxConcurrent: 2 });
afterAll(() => host.dispose());

describe("Headers", () => {
  it("is case-insensitive and combines values with a comma and space", async () => {
    const result = await inGuest(
      host,
      `const h = new Headers();
       h.append("Accept", "text/html"); h.append("ACCEPT", "application/json");
       h.append("X-Empty", "");
       return [h.get("accept"), h.has("aCcEpT"), h.get("x-empty"), h.get("missing")]`,
    );
    expect(result).toEqual(["text/html, application/json", true, "", null]);
  });

  it("keeps set-cookie values apart and iterates sorted by lowercase name", async () => {
    const result = await inGuest(
      host,
      `const h = new Headers([["Set-Cookie", "a=1"], ["b", "2"], ["set-cookie", "c=3"], ["A", "x"], ["a", "y"]]);
       return { entries: [...h], setCookie: h.getSetCookie(), joined: h.get("set-cookie"), keys: [...h.keys()] }`,
    );
    expect(result).toEqual({
      entries: [
        ["a", "x, y"],
        ["b", "2"],
        ["set-cookie", "a=1"],
        ["set-cookie", "c=3"],
      ],
      setCookie: ["a=1", "c=3"],
      joined: "a=1, c=3",
      keys: ["a", "b", "set-cookie", "set-cookie"],
    });
  });

  it("set replaces every value, delete removes all, values are trimmed", async () => {
    const result = await inGuest(
      host,
      `const h = new Headers({ "X-A": "1", "x-b": "  spaced \\t" });
       h.append("x-a", "2"); h.set("X-A", "3"); h.delete("X-B");
       const seen = []; h.forEach((v, k, self) => seen.push([k, v, self === h]));
       return [[...h], seen, new Headers({ k: " v " }).get("k")]`,
    );
    expect(result).toEqual([[["x-a", "3"]], [["x-a", "3", true]], "v"]);
  });

  it("rejects invalid names and values with TypeError", async () => {
    const result = await inGuest(
      host,
      `${ATTEMPT}
       return [attempt(() => new Headers({ "bad name": "x" })), attempt(() => new Headers({ ok: "line\\nbreak" })),
         attempt(() => new Headers([["a", "b", "c"]])), attempt(() => new Headers().append("x", "€")), attempt(() => new Headers(null))]`,
    );
    expect(result).toEqual(Array(5).fill(expect.stringMatching(/^TypeError/)));
  });

  it("copies from another Headers and from a Map", async () => {
    const result = await inGuest(
      host,
      `const a = new Headers({ x: "1" }); const b = new Headers(a); b.set("x", "2");
       return [a.get("x"), b.get("x"), new Headers(new Map([["m", "v"]])).get("m")]`,
    );
    expect(result).toEqual(["1", "2", "v"]);
  });

  it("makes the incoming request's headers immutable, like Workers", async () => {
    const result = await inGuest(
      host,
      `${ATTEMPT} return [request.headers.get("x-in"), attempt(() => request.headers.set("x-in", "2")), new Request(request).headers.set("x-in", "3") === undefined]`,
      { input: { request: request("https://a.test/", { headers: [["X-In", "1"]] }) } },
    );
    expect(result).toEqual(["1", expect.stringMatching(/^TypeError: Can't modify immutable headers/), true]);
  });
});

describe("Response", () => {
  it("has the standard defaults and content types per body type", async () => {
    const result = await inGuest(
      host,
      `const r = new Response();
       const types = [new Response("s"), new Response(new URLSearchParams("a=1")), new Response(new Blob(["x"], { type: "text/x-custom" })),
         new Response(new Uint8Array([1])), new Response(new FormData())].map((x) => x.headers.get("content-type"));
       return [r.status, r.ok, r.statusText, r.type, r.url, r.redirected, r.body, r.bodyUsed, types.slice(0, 4), types[4].startsWith("multipart/form-data; boundary=")]`,
    );
    expect(result).toEqual([
      200,
      true,
      "",
      "default",
      "",
      false,
      null,
      false,
      ["text/plain;charset=UTF-8", "application/x-www-form-urlencoded;charset=UTF-8", "text/x-custom", null],
      true,
    ]);
  });

  it("validates status and null-body statuses", async () => {
    const result = await inGuest(
      host,
      `${ATTEMPT}
       return [attempt(() => new Response("x", { status: 99 })), attempt(() => new Response("x", { status: 600 })),
         attempt(() => new Response("x", { status: 204 })), new Response(null, { status: 204 }).status,
         attempt(() => new Response("x", { statusText: "bad\\n" })), new Response("x", { status: 404 }).ok]`,
    );
    expect(result).toEqual([
      expect.stringMatching(/^RangeError/),
      expect.stringMatching(/^RangeError/),
      expect.stringMatching(/^TypeError/),
      204,
      expect.stringMatching(/^TypeError/),
      false,
    ]);
  });

  it("offers Response.json, Response.redirect and Response.error", async () => {
    const result = await inGuest(
      host,
      `${ATTEMPT}
       const j = Response.json({ a: [1, "é"] }, { status: 201, headers: { "x-y": "z" } });
       const r = Response.redirect("https://a.test/next", 307);
       return [j.status, j.headers.get("content-type"), j.headers.get("x-y"), await j.json(),
         r.status, r.headers.get("location"), attempt(() => r.headers.set("x", "1")), attempt(() => Response.redirect("/rel", 301)),
         attempt(() => Response.redirect("https://a.test", 200)), Response.error().type, Response.error().status,
         Response.json("x", { headers: { "content-type": "application/vnd.api+json" } }).headers.get("content-type")]`,
    );
    expect(result).toEqual([
      201,
      "application/json",
      "z",
      { a: [1, "é"] },
      307,
      "https://a.test/next",
      expect.stringMatching(/^TypeError/),
      expect.stringMatching(/^TypeError/),
      expect.stringMatching(/^RangeError/),
      "error",
      0,
      "application/vnd.api+json",
    ]);
  });

  it("reads a body once, in any form, and clone gives an independent copy", async () => {
    const result = await inGuest(
      host,
      `${ATTEMPT}
       const r = new Response("héllo");
       const c = r.clone();
       const text = await r.text();
       const again = await attemptAsync(() => r.text());
       const bytes = [...new Uint8Array(await c.arrayBuffer())];
       const blob = await new Response("xyz", { headers: { "content-type": "text/x" } }).blob();
       const u8 = await new Response("ab").bytes();
       return [text, again, r.bodyUsed, bytes, blob.size, blob.type, await blob.text(), u8 instanceof Uint8Array, [...u8],
         await new Response('{"k":1}').json(), await attemptAsync(() => new Response("{").json())]`,
    );
    expect(result).toEqual([
      "héllo",
      "TypeError: Body has already been used",
      true,
      [104, 195, 169, 108, 108, 111],
      3,
      "text/x",
      "xyz",
      true,
      [97, 98],
      { k: 1 },
      expect.stringMatching(/^SyntaxError/),
    ]);
  });

  it("passes an untouched body on without reading it (new Response(res.body, res))", async () => {
    const result = await inGuest(
      host,
      `const original = new Response("payload", { status: 202, headers: { "x-k": "v" } });
       const copy = new Response(original.body, original);
       return [copy.status, copy.headers.get("x-k"), await copy.text(), original.bodyUsed]`,
    );
    expect(result).toEqual([202, "v", "payload", true]);
  });

  it("streams a body: response.body readers and new Response(stream)", async () => {
    const result = await inGuest(
      host,
      `const reader = new Response("abc").body.getReader();
       const chunks = []; for (;;) { const { value, done } = await reader.read(); if (done) break; chunks.push([...value]); }
       const stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode("x")); c.enqueue("y"); c.close(); } });
       return [chunks, await new Response(stream).text()]`,
    );
    expect(result).toEqual([[[97, 98, 99]], "xy"]);
  });
});

describe("Request", () => {
  it("normalizes methods, requires absolute URLs and forbids GET bodies", async () => {
    const result = await inGuest(
      host,
      `${ATTEMPT}
       const r = new Request("https://a.test/x?y=1", { method: "post", body: "data", headers: { "X-A": "1" } });
       return [r.method, r.url, r.headers.get("x-a"), r.headers.get("content-type"), await r.text(), new Request("https://a.test", { method: "patch" }).method,
         new Request("https://a.test", { method: "Custom" }).method, attempt(() => new Request("/relative")), attempt(() => new Request("https://a.test", { body: "x" })),
         attempt(() => new Request("https://a.test", { method: "CONNECT" })), r.redirect, r.signal.aborted, r.cache, r.credentials]`,
    );
    expect(result).toEqual([
      "POST",
      "https://a.test/x?y=1",
      "1",
      "text/plain;charset=UTF-8",
      "data",
      "patch",
      "Custom",
      expect.stringMatching(/^TypeError: Invalid URL/),
      expect.stringMatching(/^TypeError/),
      expect.stringMatching(/^TypeError/),
      "follow",
      false,
      "default",
      "same-origin",
    ]);
  });

  it("copies a request with overrides and clones bodies", async () => {
    const result = await inGuest(
      host,
      `const base = new Request("https://a.test/", { method: "PUT", body: "b", headers: { a: "1" } });
       const copy = new Request(base, { headers: { b: "2" } });
       const clone = copy.clone();
       return [copy.method, [...copy.headers], base.bodyUsed, await copy.text(), await clone.text()]`,
    );
    expect(result).toEqual(["PUT", [["b", "2"]], true, "b", "b"]);
  });

  it("parses form bodies with formData()", async () => {
    const result = await inGuest(
      host,
      `const form = new FormData(); form.append("name", "Ada"); form.append("file", new Blob(["bytes"], { type: "text/plain" }), "a.txt");
       const parsed = await new Request("https://a.test", { method: "POST", body: form }).formData();
       const file = parsed.get("file");
       const urlencoded = await new Request("https://a.test", { method: "POST", body: new URLSearchParams("x=1&x=2&y=é") }).formData();
       return [parsed.get("name"), file.name, file.type, await file.text(), urlencoded.getAll("x"), urlencoded.get("y")]`,
    );
    expect(result).toEqual(["Ada", "a.txt", "text/plain", "bytes", ["1", "2"], "é"]);
  });
});

describe("binary bodies", () => {
  const all = new Uint8Array(256).map((_, i) => i);

  it("round-trip all 256 byte values byte-exact, request to response", async () => {
    const r = await runFetch(
      host,
      `export default { async fetch(request) { return new Response(await request.arrayBuffer(), { headers: { "content-type": "application/octet-stream" } }) } }`,
      { input: { request: request("https://a.test/", { method: "POST", body: all }) } },
    );
    expect(r.outcome.status === "ok" && [...r.outcome.response!.body]).toEqual([...all]);
  });

  it("survive bytes(), Uint8Array views, Blob and streams", async () => {
    const r = await runFetch(
      host,
      `export default { async fetch(request) {
        const bytes = await request.bytes();
        const view = new Uint8Array(bytes.buffer, 0, 256);
        const blob = new Blob([view.subarray(0, 128), view.subarray(128)]);
        const stream = new Response(blob).body;
        return new Response(stream);
      } }`,
      { input: { request: request("https://a.test/", { method: "POST", body: all }) } },
    );
    expect(r.outcome.status === "ok" && [...r.outcome.response!.body]).toEqual([...all]);
  });

  it("keeps NUL characters in text bodies", async () => {
    const r = await runFetch(
      host,
      `export default { fetch() { const s = "a\\u0000b" + String.fromCharCode(0) + "c"; return new Response(s + new TextDecoder().decode(new TextEncoder().encode(s))) } }`,
    );
    expect(r.text).toBe("a\0b\0ca\0b\0c");
  });
});
