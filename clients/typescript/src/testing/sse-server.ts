/**
 * Test-only realtime server on 127.0.0.1 (random port) that speaks the PiCloud
 * SSE protocol: Bearer or ?token= auth, 404/401 JSON errors, `id`/`event: message`
 * frames, `: ping` heartbeats and Last-Event-ID replay. Tests can intercept requests
 * to script odd behaviour (errors, chunk splits, wrong content types).
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { answerCors } from "./cors.js";

export interface RecordedRequest {
  path: string;
  authorization: string | undefined;
  lastEventId: string | undefined;
  accept: string | undefined;
}

export interface SseServerOptions {
  topics?: string[];
  /** When set, only these tokens are accepted; otherwise topics are public. */
  tokens?: string[];
  /** How many recent messages per topic can be replayed (default 100). */
  replayWindow?: number;
}

export type Interceptor = (req: IncomingMessage, res: ServerResponse, index: number) => boolean;

interface StoredMessage {
  id: number;
  frame: string;
}

export interface TestSseServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  readonly tokens: Set<string>;
  /** Handles a request itself when it returns true; `index` counts all requests from 0. */
  intercept: Interceptor | undefined;
  publish(topic: string, message: unknown): string;
  heartbeat(): void;
  writeRaw(data: string | Uint8Array): void;
  /** The server ends every open stream (clients see a clean end of stream). */
  endStreams(): void;
  streamCount(): number;
  /**
   * Open sockets that carried at least one request. Node's bundled undici opens a
   * spurious, never-used socket after a streaming fetch is aborted (nodejs/undici#5845);
   * it is not the client's connection, so it is not counted.
   */
  socketCount(): number;
  close(): Promise<void>;
}

export function frameFor(id: number | string, topic: string, message: unknown, publishedAt: string): string {
  return `id: ${id}\nevent: message\ndata: ${JSON.stringify({ topic, message, publishedAt })}\n\n`;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", connection: "close" });
  res.end(JSON.stringify(body));
}

export async function startSseServer(options: SseServerOptions = {}): Promise<TestSseServer> {
  const topics = new Set(options.topics ?? ["demo"]);
  const tokens = new Set(options.tokens ?? []);
  const authRequired = options.tokens !== undefined;
  const replayWindow = options.replayWindow ?? 100;
  const history = new Map<string, StoredMessage[]>();
  const streams = new Map<ServerResponse, string>();
  const sockets = new Set<Socket>();
  const usedSockets = new WeakSet<Socket>();
  const requests: RecordedRequest[] = [];
  let nextId = 1;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    // Browser-like test environments (happy-dom) enforce CORS, as real browsers do.
    if (answerCors(req, res)) return;
    const header = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(",") : value;
    };
    usedSockets.add(req.socket);
    const index = requests.length;
    requests.push({
      path: url.pathname + url.search,
      authorization: header("authorization"),
      lastEventId: header("last-event-id"),
      accept: header("accept"),
    });
    if (api.intercept?.(req, res, index)) return;

    const match = /^\/realtime\/topics\/([^/]+)$/.exec(url.pathname);
    const topic = match ? decodeURIComponent(match[1]!) : undefined;
    if (req.method !== "GET" || !topic || !topics.has(topic)) {
      sendJson(res, 404, { error: { code: "not_found", message: "Topic not found" } });
      return;
    }
    if (authRequired) {
      const bearer = /^Bearer (.+)$/.exec(header("authorization") ?? "")?.[1];
      const token = bearer ?? url.searchParams.get("token") ?? "";
      if (!tokens.has(token)) {
        sendJson(res, 401, { error: { code: "unauthorized", message: "Invalid or expired token" } });
        return;
      }
    }
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    res.flushHeaders();
    const lastEventId = header("last-event-id");
    if (lastEventId !== undefined) {
      const after = Number(lastEventId);
      for (const stored of history.get(topic) ?? []) if (stored.id > after) res.write(stored.frame);
    }
    streams.set(res, topic);
    res.on("close", () => streams.delete(res));
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const api: TestSseServer = {
    url: `http://127.0.0.1:${port}`,
    requests,
    tokens,
    intercept: undefined,
    publish(topic, message) {
      const id = nextId++;
      const frame = frameFor(id, topic, message, new Date().toISOString());
      const list = history.get(topic) ?? [];
      list.push({ id, frame });
      if (list.length > replayWindow) list.shift();
      history.set(topic, list);
      for (const [res, streamTopic] of streams) if (streamTopic === topic) res.write(frame);
      return String(id);
    },
    heartbeat() {
      for (const res of streams.keys()) res.write(": ping\n\n");
    },
    writeRaw(data) {
      for (const res of streams.keys()) res.write(data);
    },
    endStreams() {
      for (const res of streams.keys()) res.end();
      streams.clear();
    },
    streamCount: () => streams.size,
    socketCount: () => [...sockets].filter((socket) => usedSockets.has(socket)).length,
    async close() {
      for (const res of streams.keys()) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return api;
}

/** Polls until `check` returns true (or a value); fails with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
