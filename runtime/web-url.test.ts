/**
 * URL and URLSearchParams as scripts see them, checked against examples of the
 * WHATWG URL standard: relative resolution, percent-encoding, IPv4/IPv6 hosts,
 * IDNA, default ports, setters and the live searchParams binding.
 */
import { afterAll, describe, expect, it } from "vitest";
import { createSandboxHost } from "./index.js";
import { ATTEMPT, inGuest } from "./testing/jobs.js";

const host = createSandboxHost({ maxConcurrent: 2 });
afterAll(() => host.dispose());

describe("URL parsing", () => {
  const table: [string, string | undefined, string][] = [
    ["https://example.com/a/b?c#d", undefined, "https://example.com/a/b?c#d"],
    ["../c", "https://x.test/a/b/", "https://x.test/a/c"],
    ["//h.test/p", "https://x.test/", "https://h.test/p"],
    ["?q=1", "https://x.test/p", "https://x.test/p?q=1"],
    ["#f", "https://x.test/p?q", "https://x.test/p?q#f"],
    ["/abs", "https://x.test/a/b", "https://x.test/abs"],
    ["HTTPS://EXAMPLE.com:443/", undefined, "https://example.com/"],
    ["http://example.com:80/", undefined, "http://example.com/"],
    ["http://example.com:8080/", undefined, "http://example.com:8080/"],
    ["http://[::1]:3000/x", undefined, "http://[::1]:3000/x"],
    ["http://[2001:db8:0:0:0:0:0:1]/", undefined, "http://[2001:db8::1]/"],
    ["http://0x7f.1/", undefined, "http://127.0.0.1/"],
    ["https://example.com/a b/ü?x=ä y#é", undefined, "https://example.com/a%20b/%C3%BC?x=%C3%A4%20y#%C3%A9"],
    ["https://user:pa ss@example.com/", undefined, "https://user:pa%20ss@example.com/"],
    ["https://münchen.de/", undefined, "https://xn--mnchen-3ya.de/"],
    ["https://example.com/./a/../b/%2e/c", undefined, "https://example.com/b/c"],
    ["  https://example.com/\t\n", undefined, "https://example.com/"],
    ["https://example.com/a\u0000b", undefined, "https://example.com/a%00b"],
    ["file:///C:/x", undefined, "file:///C:/x"],
    ["mailto:a@b.c", undefined, "mailto:a@b.c"],
    ["http://example.com/?a='b'", undefined, "http://example.com/?a=%27b%27"],
  ];

  it.each(table)("new URL(%j, %j).href is %j", async (input, base, href) => {
    const result = await inGuest(
      host,
      `return new URL(${JSON.stringify(input)}${base === undefined ? "" : `, ${JSON.stringify(base)}`}).href`,
    );
    expect(result).toBe(href);
  });

  it("splits a URL into its components", async () => {
    const parts = await inGuest(
      host,
      `const u = new URL("https://user:pw@sub.example.com:8443/p/a/t/h?query=string#hash");
       return [u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname, u.search, u.hash, u.origin, String(u), JSON.stringify({ u })]`,
    );
    expect(parts).toEqual([
      "https:",
      "user",
      "pw",
      "sub.example.com:8443",
      "sub.example.com",
      "8443",
      "/p/a/t/h",
      "?query=string",
      "#hash",
      "https://sub.example.com:8443",
      "https://user:pw@sub.example.com:8443/p/a/t/h?query=string#hash",
      '{"u":"https://user:pw@sub.example.com:8443/p/a/t/h?query=string#hash"}',
    ]);
  });

  it("gives opaque and blob URLs the right origin", async () => {
    const origins = await inGuest(
      host,
      `return [new URL("mailto:a@b.c").origin, new URL("mailto:a@b.c").pathname, new URL("blob:https://a.test/uuid").origin, new URL("data:text/plain,hi").origin]`,
    );
    expect(origins).toEqual(["null", "a@b.c", "https://a.test", "null"]);
  });

  it.each(["http://exa mple.com", "https://", "//x", "http://[::1", "http://a:99999/", "not a url"])(
    "rejects %j with a TypeError",
    async (input) => {
      const result = await inGuest(
        host,
        `${ATTEMPT} return [attempt(() => new URL(${JSON.stringify(input)})), URL.canParse(${JSON.stringify(input)}), URL.parse(${JSON.stringify(input)})]`,
      );
      expect(result).toEqual([expect.stringMatching(/^TypeError: Invalid URL/), false, null]);
    },
  );

  it("resolves against a base with canParse and parse", async () => {
    const result = await inGuest(
      host,
      `return [URL.canParse("/x", "https://a.test"), URL.parse("/x", "https://a.test").href, URL.canParse("/x")]`,
    );
    expect(result).toEqual([true, "https://a.test/x", false]);
  });
});

describe("URL setters", () => {
  it("normalizes what is set, like the standard's setters", async () => {
    const result = await inGuest(
      host,
      `${ATTEMPT}
       const u = new URL("https://example.com/");
       const out = [];
       u.pathname = "/x y/ü"; out.push(u.href);
       u.port = "443"; out.push(u.port);
       u.port = "8443"; out.push(u.host);
       u.hostname = "[::1]"; out.push(u.host);
       u.search = "a=1"; out.push(u.search);
       u.hash = "frag"; out.push(u.hash);
       u.protocol = "http"; out.push(u.protocol, u.port);
       u.username = "me"; u.password = "s3cr3t"; out.push(u.href);
       u.href = "https://other.test/path"; out.push(u.href);
       out.push(attempt(() => { u.href = "::bad::" }));
       u.search = ""; out.push(u.href);
       return out;`,
    );
    expect(result).toEqual([
      "https://example.com/x%20y/%C3%BC",
      "",
      "example.com:8443",
      "[::1]:8443",
      "?a=1",
      "#frag",
      "http:",
      "8443",
      "http://me:s3cr3t@[::1]:8443/x%20y/%C3%BC?a=1#frag",
      "https://other.test/path",
      expect.stringMatching(/^TypeError/),
      "https://other.test/path",
    ]);
  });
});

describe("searchParams is live", () => {
  it("rewrites the URL's query when the params change, and the params when the search changes", async () => {
    const result = await inGuest(
      host,
      `const u = new URL("https://a.test/p?x=1#h");
       const p = u.searchParams;
       const out = [p === u.searchParams, p.get("x")];
       p.append("name", "a b&c");
       out.push(u.href);
       p.set("x", "2"); p.delete("name");
       out.push(u.search);
       u.search = "?k=v&k=w";
       out.push(p.getAll("k"), p.size);
       p.delete("k");
       out.push(u.href);
       return out;`,
    );
    expect(result).toEqual([
      true,
      "1",
      "https://a.test/p?x=1&name=a+b%26c#h",
      "?x=2",
      ["v", "w"],
      2,
      "https://a.test/p#h",
    ]);
  });
});

describe("URLSearchParams", () => {
  it("parses application/x-www-form-urlencoded, including + and broken escapes", async () => {
    const result = await inGuest(
      host,
      `const p = new URLSearchParams("?a=1&b=two+words&c=%C3%A9&d=%zz&e&=empty&a=2&f=%E2%82");
       return [...p]`,
    );
    expect(result).toEqual([
      ["a", "1"],
      ["b", "two words"],
      ["c", "é"],
      ["d", "%zz"],
      ["e", ""],
      ["", "empty"],
      ["a", "2"],
      ["f", "\uFFFD"],
    ]);
  });

  it("serializes with the urlencoded percent-encode set", async () => {
    const result = await inGuest(
      host,
      `return [new URLSearchParams({ q: "a b", s: "~!'()*-._", t: "é/&=+" }).toString(), String(new URLSearchParams([["k", "1"], ["k", "2"]]))]`,
    );
    expect(result).toEqual(["q=a+b&s=%7E%21%27%28%29*-._&t=%C3%A9%2F%26%3D%2B", "k=1&k=2"]);
  });

  it("supports has/delete with a value, sort, size and iteration", async () => {
    const result = await inGuest(
      host,
      `${ATTEMPT}
       const p = new URLSearchParams("b=2&a=1&b=1&c=3");
       const out = [p.has("b", "1"), p.has("b", "9"), p.size];
       p.delete("b", "2");
       p.sort();
       out.push(p.toString(), [...p.keys()], [...p.values()]);
       const seen = []; p.forEach((v, k) => seen.push(k + v)); out.push(seen);
       out.push(attempt(() => new URLSearchParams([["only-one"]])));
       return out;`,
    );
    expect(result).toEqual([
      true,
      false,
      4,
      "a=1&b=1&c=3",
      ["a", "b", "c"],
      ["1", "1", "3"],
      ["a1", "b1", "c3"],
      expect.stringMatching(/^TypeError/),
    ]);
  });
});
