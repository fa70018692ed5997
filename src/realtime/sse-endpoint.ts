/**
 * `GET /realtime/topics/{topic}` on an app's host (SPEC §6): a Server-Sent
 * Events stream of the topic's messages. Unknown and non-external topics are
 * the same 404; a bad token is a generic 401. `Last-Event-ID` replays what was
 * missed (bounded); a slow reader loses its oldest buffered messages and never
 * slows a publisher; heartbeats keep proxies and clients sure of the line.
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
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

export function realtimeRoutes(deps: SseDeps) {
  return new Hono<AdminEnv>()
    .options("/topics/:topic{.+}", () => new Response(null, { status: 204, headers: CORS }))
    .get("/topics/:topic{.+}", async (c) => {
      const hostname = hostnameOf(c.req.header("host"));
      const appId = resolveApp(await deps.routing.hostTable(), hostname);
      const name = c.req.param("topic");
      const topic = appId ? await deps.topics.byName(appId, name) : undefined;
      if (!appId || !topic?.external) return json(404, "topic not found");
      if (topic.auth !== "public") {
        const header = c.req.header("authorization");
        const token = header?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? c.req.query("token") ?? "";
        if (!token || !(await deps.tokens.verify(appId, name, token))) return json(401, "unauthorized");
      }
      for (const [k, v] of Object.entries(CORS)) c.header(k, v);
      c.header("x-accel-buffering", "no");
      const lastEventId = c.req.header("last-event-id") ?? c.req.query("lastEventId") ?? "";
      const { config, broadcaster, shutdown } = deps;

      return streamSSE(c, async (stream) => {
        const queue: RealtimeMessage[] = [];
        let wake: (() => void) | null = null;
        let dropped = 0;
        // Subscribe before replaying, so nothing published meanwhile falls in between.
        const unsubscribe = broadcaster.subscribe(appId, name, (m) => {
          if (queue.length >= config.bufferPerSubscriber) {
            queue.shift();
            dropped++;
          }
          queue.push(m);
          wake?.();
        });
        const end = () => {
          unsubscribe();
          wake?.();
        };
        stream.onAbort(end);
        const onShutdown = () => {
          end();
          void stream.close();
        };
        shutdown.signal.addEventListener("abort", onShutdown, { once: true });
        const heartbeat = setInterval(
          () => void stream.write(": ping\n\n").catch(() => {}),
          config.heartbeatMs,
        );
        const sent = new Set<string>();
        const send = (m: RealtimeMessage) =>
          stream.writeSSE({
            id: m.id,
            event: "message",
            data: JSON.stringify({ topic: m.topic, message: m.message, publishedAt: m.publishedAt }),
          });
        try {
          await stream.write(": connected\n\n");
          if (lastEventId) {
            for (const m of await broadcaster.replay(appId, name, lastEventId, config.replayMax)) {
              sent.add(m.id);
              await send(m);
            }
          }
          while (!stream.aborted && !stream.closed && !shutdown.signal.aborted) {
            const m = queue.shift();
            if (!m) {
              // Everything queued during the replay has been seen: no more duplicates possible.
              sent.clear();
              await new Promise<void>((r) => {
                wake = r;
              });
              wake = null;
              continue;
            }
            if (dropped > 0) {
              // The client learns it lost messages (it may reload state); ids stay monotonic.
              await stream.writeSSE({ event: "dropped", data: JSON.stringify({ count: dropped }) });
              dropped = 0;
            }
            if (sent.has(m.id)) continue; // already sent by the replay
            await send(m);
          }
        } finally {
          clearInterval(heartbeat);
          unsubscribe();
          shutdown.signal.removeEventListener("abort", onShutdown);
        }
      });
    })
    .all("*", () => json(404, "not found"));
}
