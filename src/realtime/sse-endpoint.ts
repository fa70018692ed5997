/**
 * `GET /realtime/topics/{topic}` on an app's host (SPEC §6): a Server-Sent
 * Events stream of the topic's messages. Unknown and non-external topics are
 * the same 404; a bad token is a generic 401. `Last-Event-ID` replays what was
 * missed (bounded); a slow reader loses its oldest buffered messages and never
 * slows a publisher; heartbeats keep proxies and clients sure of the line.
 */
import { Hono } from "hono";
import type { AdminEnv } from "../auth/http.js";
import type { RealtimeConfig } from "../config/env.js";
import { hostnameOf, resolveApp } from "../dataplane/host-resolver.js";
import type { RoutingCache } from "../dataplane/routing-cache.js";
import type { Broadcaster, RealtimeMessage } from "./broadcaster.js";
import type { SubscriberTokens } from "./subscriber-tokens.js";
import type { Topics } from "./topics.js";

export interface SseDeps {
  routing: RoutingCache;
  topics: Topics;
  tokens: SubscriberTokens;
  broadcaster: Broadcaster;
  config: RealtimeConfig;
  shutdown: AbortController;
  /**
   * For topics with auth "session": the end user of a session token (bearer header, `?token=`, or the
   * app's session cookie), or null. Composed in server/http-app.ts from the users area.
   */
  endUser?: (
    appId: string,
    headers: Headers,
    queryToken: string | null,
  ) => Promise<{ roles: string[] } | null>;
}

// Tokens travel in a header, never in cookies, so any origin may subscribe.
const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "authorization, last-event-id, cache-control",
  "access-control-allow-methods": "GET, OPTIONS",
  "access-control-max-age": "600",
};

const json = (status: number, error: string) =>
  new Response(JSON.stringify({ error }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...CORS },
  });

const encoder = new TextEncoder();
const CONNECTED = encoder.encode(": connected\n\n");
const PING = encoder.encode(": ping\n\n");

// A message goes to every subscriber of its topic: encode its SSE frame once, not once per subscriber.
const frames = new WeakMap<RealtimeMessage, Uint8Array>();
function frameOf(m: RealtimeMessage): Uint8Array {
  let f = frames.get(m);
  if (f === undefined) {
    const data = JSON.stringify({ topic: m.topic, message: m.message, publishedAt: m.publishedAt });
    f = encoder.encode(`id: ${m.id}\nevent: message\ndata: ${data}\n\n`);
    frames.set(m, f);
  }
  return f;
}

/**
 * One subscriber's stream. Frames go straight into the stream while the
 * reader keeps up; when it falls behind (the stream's buffer is full), they
 * wait in a bounded queue that drops the oldest, so a slow reader costs the
 * publisher nothing.
 */
function subscriptionStream(
  deps: SseDeps,
  appId: string,
  topic: string,
  lastEventId: string,
): ReadableStream<Uint8Array> {
  const { config, broadcaster, shutdown } = deps;
  const backlog: RealtimeMessage[] = [];
  let dropped = 0;
  let replaying = true;
  const replayed = new Set<string>();
  let closed = false;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let unsubscribe = () => {};
  let heartbeat: NodeJS.Timeout | undefined;

  const flush = () => {
    while (!closed && backlog.length > 0 && (controller.desiredSize ?? 0) > 0) {
      if (dropped > 0) {
        // The client learns it lost messages (it may reload its state).
        controller.enqueue(encoder.encode(`event: dropped\ndata: {"count":${dropped}}\n\n`));
        dropped = 0;
      }
      const m = backlog.shift()!;
      if (!replayed.has(m.id)) controller.enqueue(frameOf(m));
    }
    // Once everything queued during the replay is through, no duplicate is possible any more.
    if (!replaying && backlog.length === 0) replayed.clear();
  };
  const onMessage = (m: RealtimeMessage) => {
    if (closed) return;
    if (!replaying && backlog.length === 0 && (controller.desiredSize ?? 0) > 0) {
      controller.enqueue(frameOf(m));
      return;
    }
    if (backlog.length >= config.bufferPerSubscriber) {
      backlog.shift();
      dropped++;
    }
    backlog.push(m);
  };
  const end = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearInterval(heartbeat);
    shutdown.signal.removeEventListener("abort", onShutdown);
  };
  const onShutdown = () => {
    end();
    try {
      controller.close();
    } catch {
      /* already closed */
    }
  };

  return new ReadableStream<Uint8Array>(
    {
      async start(c) {
        controller = c;
        // Subscribe before replaying, so nothing published meanwhile falls in between.
        unsubscribe = broadcaster.subscribe(appId, topic, onMessage);
        shutdown.signal.addEventListener("abort", onShutdown, { once: true });
        heartbeat = setInterval(() => {
          if (!closed && (controller.desiredSize ?? 0) > 0) controller.enqueue(PING);
        }, config.heartbeatMs);
        c.enqueue(CONNECTED);
        if (lastEventId) {
          const missed = await broadcaster
            .replay(appId, topic, lastEventId, config.replayMax)
            .catch(() => []);
          for (const m of missed) {
            replayed.add(m.id);
            if (!closed) c.enqueue(frameOf(m));
          }
        }
        replaying = false;
        flush();
      },
      pull() {
        flush();
      },
      cancel() {
        end();
      },
    },
    { highWaterMark: 64 },
  );
}

export function realtimeRoutes(deps: SseDeps) {
  return new Hono<AdminEnv>()
    .options("/topics/:topic{.+}", () => new Response(null, { status: 204, headers: CORS }))
    .get("/topics/:topic{.+}", async (c) => {
      const hostname = hostnameOf(c.req.header("host"));
      const appId = resolveApp(await deps.routing.hostTable(), hostname);
      const name = c.req.param("topic");
      const topic = appId ? await deps.topics.byName(appId, name) : undefined;
      if (!appId || !topic?.external) return json(404, "topic not found");
      if (topic.auth === "session") {
        // An end user's session (docs/users.md); a topic may require one of their roles.
        const user = deps.endUser
          ? await deps.endUser(appId, c.req.raw.headers, c.req.query("token") ?? null)
          : null;
        if (!user) return json(401, "unauthorized");
        if (topic.role !== null && !user.roles.includes(topic.role)) return json(403, "forbidden");
      } else if (topic.auth !== "public") {
        const header = c.req.header("authorization");
        const token = header?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? c.req.query("token") ?? "";
        if (!token || !(await deps.tokens.verify(appId, name, token))) return json(401, "unauthorized");
      }
      const lastEventId = c.req.header("last-event-id") ?? c.req.query("lastEventId") ?? "";
      return new Response(subscriptionStream(deps, appId, name, lastEventId), {
        headers: {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-cache",
          connection: "keep-alive",
          "x-accel-buffering": "no",
          ...CORS,
        },
      });
    })
    .all("*", () => json(404, "not found"));
}
