/**
 * Test-only JSON app on 127.0.0.1: echoes what it received (method, path, query,
 * headers, body) and has a few routes that fail in the ways PiCloud apps fail.
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { answerCors } from "./cors.js";

export interface Echo {
  method: string;
  path: string;
  query: Record<string, string[]>;
  headers: Record<string, string | undefined>;
  body: unknown;
}

export interface TestEchoServer {
  readonly url: string;
  readonly hits: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, type = "application/json"): void {
  res.writeHead(status, { "content-type": type });
  res.end(typeof body === "string" && type !== "application/json" ? body : JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (text === "") return undefined;
  if ((req.headers["content-type"] ?? "").includes("json")) return JSON.parse(text);
  return text;
}

export async function startEchoServer(): Promise<TestEchoServer> {
  let hits = 0;
  const server = createServer(async (req, res) => {
    hits++;
    // Browser-like test environments (happy-dom) enforce CORS, as real browsers do.
    if (answerCors(req, res)) return;
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const path = url.pathname;
    if (path === "/api/fail/object") {
      return send(res, 409, { error: { code: "slug_taken", message: "That slug is taken" } });
    }
    if (path === "/api/fail/script") {
      return send(res, 504, { error: "Script exceeded its time limit", executionId: "exec-123" });
    }
    if (path === "/api/fail/text") return send(res, 500, "Internal trouble", "text/plain");
    if (path === "/api/fail/empty") {
      res.writeHead(503);
      return res.end();
    }
    if (path === "/api/no-content") {
      res.writeHead(204);
      return res.end();
    }
    if (path === "/api/bad-json") return send(res, 200, "{not json", "application/json; charset=utf-8");
    if (path === "/api/text") return send(res, 200, "just text", "text/plain");
    if (path === "/api/hang") return; // never answers; callers abort
    const query: Record<string, string[]> = {};
    for (const key of new Set(url.searchParams.keys())) query[key] = url.searchParams.getAll(key);
    const headers: Record<string, string | undefined> = {};
    for (const [key, value] of Object.entries(req.headers))
      headers[key] = Array.isArray(value) ? value.join(",") : value;
    const echo: Echo = { method: req.method ?? "", path, query, headers, body: await readBody(req) };
    send(res, 200, echo);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get hits() {
      return hits;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
