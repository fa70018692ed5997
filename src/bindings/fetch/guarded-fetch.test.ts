/**
 * What a script gets back from an allowed fetch: bytes, headers, status, URL,
 * decoding, TLS naming, IPv6 and multi-address hosts, against real servers.
 */
import { gzipSync } from "node:zlib";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostCallError, type HostRequest } from "../../../runtime/host-types.js";
import { createGuardedFetch, type Resolver } from "./guarded-fetch.js";
import {
  type LocalServer,
  selfSignedCertificate,
  startHttpServer,
  startHttpsServer,
} from "./test-http-servers.js";

const signal = () => new AbortController().signal;
const text = (body: Uint8Array) => Buffer.from(body).toString("utf8");
const resolveTo =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses.map((address) => ({ address, family: (address.includes(":") ? 6 : 4) as 4 | 6 }));

let server: LocalServer;
beforeAll(async () => {
  server = await startHttpServer((req, res, body) => {
    const path = req.url ?? "/";
    if (path === "/echo") {
      res.setHeader("content-type", "application/octet-stream");
      res.end(body);
    } else if (path === "/cookies") {
      res.setHeader("set-cookie", ["a=1; Path=/", "b=2; Path=/; HttpOnly"]);
      res.setHeader("x-single", "one");
      res.end("ok");
    } else if (path === "/teapot") {
      res.statusCode = 418;
      res.statusMessage = "Short And Stout";
      res.end("tea");
    } else if (path === "/gzip") {
      res.setHeader("content-encoding", "gzip");
      res.end(gzipSync(JSON.stringify({ hello: "world" })));
    } else {
      res.end(`${req.method} ${path}`);
    }
  });
});
afterAll(() => server.close());

describe("allowed fetches", () => {
  const guardedFetch = createGuardedFetch({ allow: ["127.0.0.1"] });

  it("round-trips binary bodies byte for byte", async () => {
    const payload = new Uint8Array(256 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 8)) & 0xff;
    const response = await guardedFetch(
      {
        method: "POST",
        url: `${server.origin}/echo`,
        headers: [["content-type", "application/x-bin"]],
        body: payload,
      },
      signal(),
    );
    expect(response.status).toBe(200);
    expect(response.body).toEqual(payload);
    expect(Object.getPrototypeOf(response.body)).toBe(Uint8Array.prototype);
    expect(response.body.byteOffset).toBe(0);
    expect(response.body.buffer.byteLength).toBe(payload.length);
    expect(server.requests.at(-1)?.headers["content-length"]).toBe(String(payload.length));
  });

  it("keeps repeated response headers such as set-cookie", async () => {
    const response = await guardedFetch(
      { method: "GET", url: `${server.origin}/cookies`, headers: [], body: null },
      signal(),
    );
    expect(response.headers.filter(([name]) => name === "set-cookie")).toEqual([
      ["set-cookie", "a=1; Path=/"],
      ["set-cookie", "b=2; Path=/; HttpOnly"],
    ]);
    expect(response.headers).toContainEqual(["x-single", "one"]);
  });

  it("sends repeated request headers, defaults, and the URL's Host whatever the script says", async () => {
    await guardedFetch(
      {
        method: "get",
        url: `${server.origin}/h`,
        headers: [
          ["X-Dup", "1"],
          ["x-dup", "2"],
          ["Host", "evil.example"],
          ["Connection", "upgrade"],
        ],
        body: null,
      },
      signal(),
    );
    const seen = server.requests.at(-1)!;
    expect(seen.method).toBe("GET");
    expect(seen.headers.host).toBe(`127.0.0.1:${server.port}`);
    expect(seen.headers["user-agent"]).toBe("PiCloud");
    expect(seen.headers["accept-encoding"]).toBe("gzip, deflate");
    const dups = seen.rawHeaders.filter(
      (_, i) => i % 2 === 0 && seen.rawHeaders[i]?.toLowerCase() === "x-dup",
    );
    expect(dups).toHaveLength(2);
  });

  it("returns status, status text, final URL and redirected=false", async () => {
    const response = await guardedFetch(
      { method: "GET", url: `${server.origin}/teapot#frag`, headers: [], body: null },
      signal(),
    );
    expect(response).toMatchObject({
      status: 418,
      statusText: "Short And Stout",
      url: `${server.origin}/teapot`,
      redirected: false,
    });
    expect(text(response.body)).toBe("tea");
  });

  it("decodes gzip like fetch does", async () => {
    const response = await guardedFetch(
      { method: "GET", url: `${server.origin}/gzip`, headers: [], body: null },
      signal(),
    );
    expect(JSON.parse(text(response.body))).toEqual({ hello: "world" });
  });

  it("returns no body for HEAD", async () => {
    const response = await guardedFetch(
      { method: "HEAD", url: `${server.origin}/x`, headers: [], body: null },
      signal(),
    );
    expect(response.status).toBe(200);
    expect(response.body.length).toBe(0);
  });

  it("serves many concurrent fetches on one execution signal without leak warnings", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      const shared = new AbortController().signal;
      const responses = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          guardedFetch({ method: "GET", url: `${server.origin}/n${i}`, headers: [], body: null }, shared),
        ),
      );
      expect(responses.map((r) => text(r.body))).toEqual(Array.from({ length: 24 }, (_, i) => `GET /n${i}`));
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain("MaxListenersExceededWarning");
    } finally {
      process.off("warning", onWarning);
    }
  });

  it.each<[string, HostRequest, string]>([
    [
      "CRLF in a header value",
      { method: "GET", url: "http://127.0.0.1/", headers: [["x", "a\r\nb: c"]], body: null },
      "invalid value for header x",
    ],
    [
      "a bad header name",
      { method: "GET", url: "http://127.0.0.1/", headers: [["x y", "1"]], body: null },
      "invalid header name",
    ],
    [
      "TRACE",
      { method: "TRACE", url: "http://127.0.0.1/", headers: [], body: null },
      "method TRACE is not allowed",
    ],
    [
      "a GET body",
      { method: "GET", url: "http://127.0.0.1/", headers: [], body: new Uint8Array([1]) },
      "cannot have a body",
    ],
    [
      "a bad redirect mode",
      { method: "GET", url: "http://127.0.0.1/", headers: [], body: null, redirect: "nope" as "follow" },
      "redirect must be",
    ],
  ])("rejects %s with a TypeError", async (_name, req, message) => {
    const error = await guardedFetch(req, signal()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostCallError);
    expect(error).toMatchObject({ guestName: "TypeError" });
    expect((error as Error).message).toContain(message);
  });
});

describe("connection targets", () => {
  it("tries the next checked address when one refuses connections", async () => {
    // 127.0.0.3 has nothing listening on this port: ECONNREFUSED, then 127.0.0.1 answers.
    const guardedFetch = createGuardedFetch({
      allow: ["127.0.0.0/8"],
      resolve: resolveTo("127.0.0.3", "127.0.0.1"),
    });
    const response = await guardedFetch(
      { method: "GET", url: `http://two.test:${server.port}/multi`, headers: [], body: null },
      signal(),
    );
    expect(text(response.body)).toBe("GET /multi");
  });

  it("reports a refused connection as a TypeError failure", async () => {
    const guardedFetch = createGuardedFetch({ allow: ["127.0.0.0/8"] });
    const error = await guardedFetch(
      { method: "GET", url: `http://127.0.0.3:${server.port}/`, headers: [], body: null },
      signal(),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({
      guestName: "TypeError",
      message: `fetch to http://127.0.0.3:${server.port}/ failed: connection refused`,
    });
  });

  it("reaches an allowlisted IPv6 literal", async () => {
    const v6 = await startHttpServer((_req, res) => res.end("over v6"), "::1");
    try {
      const guardedFetch = createGuardedFetch({ allow: ["::1"] });
      const response = await guardedFetch(
        { method: "GET", url: `${v6.origin}/`, headers: [], body: null },
        signal(),
      );
      expect(text(response.body)).toBe("over v6");
      expect(v6.requests[0]?.headers.host).toBe(`[::1]:${v6.port}`);
    } finally {
      await v6.close();
    }
  });
});

describe("https while pinned to an address", () => {
  const tls = selfSignedCertificate("secure.test");
  let secure: LocalServer;
  let trusting: Agent;
  beforeAll(async () => {
    secure = await startHttpsServer((_req, res) => res.end("secret"), tls);
    // The test's CA is trusted; everything else about the agent is stock undici.
    trusting = new Agent({ connect: { ca: tls.cert } });
  });
  afterAll(async () => {
    await trusting.close();
    await secure.close();
  });

  it("sends the host name as SNI and Host, and verifies the certificate against it", async () => {
    const guardedFetch = createGuardedFetch({
      allow: ["127.0.0.1"],
      resolve: resolveTo("127.0.0.1"),
      dispatcher: trusting,
    });
    const response = await guardedFetch(
      { method: "GET", url: `https://secure.test:${secure.port}/`, headers: [], body: null },
      signal(),
    );
    expect(text(response.body)).toBe("secret");
    expect(secure.requests[0]).toMatchObject({
      servername: "secure.test",
      headers: { host: `secure.test:${secure.port}` },
    });
  });

  it("fails when the certificate does not name the requested host", async () => {
    const guardedFetch = createGuardedFetch({
      allow: ["127.0.0.1"],
      resolve: resolveTo("127.0.0.1"),
      dispatcher: trusting,
    });
    const error = await guardedFetch(
      { method: "GET", url: `https://other.test:${secure.port}/`, headers: [], body: null },
      signal(),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ guestName: "TypeError" });
    expect((error as Error).message).toContain("TLS error (ERR_TLS_CERT_ALTNAME_INVALID)");
  });
});
