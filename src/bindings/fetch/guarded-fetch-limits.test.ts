/**
 * Caps on size, time and the caller's abort, against real servers that stream
 * far more than the cap, never answer, or answer slowly.
 */
import { once } from "node:events";
import type { ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostRequest } from "../../../runtime/host-types.js";
import { createGuardedFetch, type Resolver } from "./guarded-fetch.js";
import { type LocalServer, startHttpServer } from "./test-http-servers.js";

const MiB = 1024 * 1024;
const get = (url: string): HostRequest => ({ method: "GET", url, headers: [], body: null });

/** How many bytes each streaming response managed to write before its connection closed. */
const streamed: Promise<number>[] = [];
let firehose: Promise<void> = Promise.resolve();
let requestArrived: (res: ServerResponse) => void = () => {};

async function stream(res: ServerResponse, total: number) {
  let written = 0;
  const closed = once(res, "close").then(() => written);
  streamed.push(closed);
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  while (written < total && !res.destroyed) {
    written += chunk.length;
    if (!res.write(chunk)) await Promise.race([once(res, "drain"), closed]);
  }
  res.end();
}

let server: LocalServer;
beforeAll(async () => {
  server = await startHttpServer((req, res) => {
    switch (req.url) {
      case "/firehose": // 256 MiB, chunked, no content-length
        firehose = stream(res, 256 * MiB);
        return;
      case "/declared":
        res.setHeader("content-length", String(2 * MiB));
        firehose = stream(res, 2 * MiB);
        return;
      case "/exact":
        res.end(Buffer.alloc(MiB, 0x62));
        return;
      case "/bomb":
        res.setHeader("content-encoding", "gzip");
        res.end(gzipSync(Buffer.alloc(20 * MiB)));
        return;
      case "/silent":
        requestArrived(res);
        return; // never answers
      case "/trickle":
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("first bytes");
        return; // never finishes
      default:
        res.end("ok");
    }
  });
});
afterAll(() => server.close());

const guardedFetch = createGuardedFetch({
  allow: ["127.0.0.1"],
  maxResponseBytes: MiB,
  maxRequestBytes: MiB,
});

async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ guestName: "TypeError" });
  return (error as Error).message;
}

describe("response size", () => {
  it("cuts a streamed response as soon as it passes the cap", async () => {
    const message = await failure(
      guardedFetch(get(`${server.origin}/firehose`), new AbortController().signal),
    );
    expect(message).toBe(
      `fetch to ${server.origin}/firehose failed: response body exceeds the 1 MiB limit (maxResponseBytes)`,
    );
    // The server was stopped mid-stream: at most the cap plus what socket buffers absorbed, not 256 MiB.
    const written = await streamed.at(-1)!;
    expect(written).toBeLessThan(32 * MiB);
    await firehose;
  });

  it("refuses a declared Content-Length above the cap without reading it", async () => {
    const message = await failure(
      guardedFetch(get(`${server.origin}/declared`), new AbortController().signal),
    );
    expect(message).toContain("response body exceeds the 1 MiB limit (maxResponseBytes)");
    await firehose;
  });

  it("accepts a body of exactly the cap", async () => {
    const response = await guardedFetch(get(`${server.origin}/exact`), new AbortController().signal);
    expect(response.body.length).toBe(MiB);
  });

  it("caps the decoded size of a compressed body (gzip bomb)", async () => {
    const message = await failure(guardedFetch(get(`${server.origin}/bomb`), new AbortController().signal));
    expect(message).toContain("response body exceeds the 1 MiB limit (maxResponseBytes)");
  });
});

describe("request size", () => {
  it("refuses a body over maxRequestBytes before connecting", async () => {
    const before = server.requests.length;
    const message = await failure(
      guardedFetch(
        { method: "POST", url: `${server.origin}/`, headers: [], body: new Uint8Array(MiB + 1) },
        new AbortController().signal,
      ),
    );
    expect(message).toContain(`request body of ${MiB + 1} bytes exceeds the 1 MiB limit (maxRequestBytes)`);
    expect(server.requests.length).toBe(before);
  });
});

describe("time", () => {
  const quick = createGuardedFetch({ allow: ["127.0.0.1"], timeoutMs: 300 });

  it("times out a server that never answers", async () => {
    const message = await failure(quick(get(`${server.origin}/silent`), new AbortController().signal));
    expect(message).toBe(`fetch to ${server.origin}/silent failed: timed out after 300 ms (timeoutMs)`);
  });

  it("times out a body that never ends", async () => {
    const message = await failure(quick(get(`${server.origin}/trickle`), new AbortController().signal));
    expect(message).toContain("timed out after 300 ms (timeoutMs)");
  });

  it("counts DNS resolution against the same budget", async () => {
    const stuck: Resolver = () => new Promise(() => {});
    const withStuckDns = createGuardedFetch({ resolve: stuck, timeoutMs: 200 });
    const message = await failure(withStuckDns(get("http://slow-dns.test/"), new AbortController().signal));
    expect(message).toBe("fetch to http://slow-dns.test/ failed: timed out after 200 ms (timeoutMs)");
  });
});

describe("caller abort", () => {
  it("rejects with the caller's reason and drops the connection", async () => {
    const controller = new AbortController();
    const reason = new Error("script aborted");
    const arrived = new Promise<ServerResponse>((resolve) => {
      requestArrived = resolve;
    });
    const pending = guardedFetch(get(`${server.origin}/silent`), controller.signal);
    const res = await arrived;
    const closed = once(res, "close");
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    // The server sees its side closed: the request is not left running after the abort.
    await closed;
  });

  it("rejects at once when already aborted, without connecting", async () => {
    const controller = new AbortController();
    controller.abort(new Error("too late"));
    const before = server.requests.length;
    await expect(guardedFetch(get(`${server.origin}/`), controller.signal)).rejects.toThrow("too late");
    expect(server.requests.length).toBe(before);
  });

  it("interrupts a pending DNS lookup", async () => {
    const controller = new AbortController();
    const stuck: Resolver = () => new Promise(() => {});
    const pending = createGuardedFetch({ resolve: stuck })(get("http://slow-dns.test/"), controller.signal);
    controller.abort(new Error("stop"));
    await expect(pending).rejects.toThrow("stop");
  });
});
