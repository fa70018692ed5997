/**
 * Admin API of executions, under /apps/{app}: list and get records, and a live
 * tail over Server-Sent Events (`event: log` per console line while scripts
 * run, `event: execution` per finished execution).
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import * as v from "valibot";
import type { Apps } from "../apps/apps.js";
import { assertCan } from "../auth/capabilities.js";
import { type AdminEnv, principalOf } from "../auth/http.js";
import { limitParam, queryParams } from "../lib/http-validation.js";
import type { Scripts } from "../scripts/scripts.js";
import type { LiveTail, TailEvent } from "./live-tail.js";
import type { ExecutionQueries } from "./queries.js";
import { EXECUTION_STATUSES } from "./schema.js";

const listQuery = v.strictObject({
  script: v.optional(v.pipe(v.string(), v.minLength(1))),
  status: v.optional(
    v.picklist(EXECUTION_STATUSES, `status must be one of ${EXECUTION_STATUSES.join(", ")}`),
  ),
  limit: limitParam(200, 50),
  cursor: v.optional(v.string()),
});
const tailQuery = v.strictObject({ script: v.optional(v.pipe(v.string(), v.minLength(1))) });

const HEARTBEAT_MS = 15_000;
/** Events buffered for one slow tail reader before the oldest are dropped. */
const TAIL_BUFFER = 1000;

export interface ExecutionRouteDeps {
  /** Ends open tail streams when the process shuts down. */
  shutdown: AbortController;
  apps: Apps;
  scripts: Scripts;
  queries: ExecutionQueries;
  tail: LiveTail;
}

export function executionRoutes({ apps, scripts, queries, tail, shutdown }: ExecutionRouteDeps) {
  return new Hono<AdminEnv>()
    .get("/:app/executions", queryParams(listQuery), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "script.read", app.access);
      const q = c.req.valid("query");
      const scriptId = q.script ? (await scripts.get(app.id, q.script)).id : undefined;
      return c.json(
        await queries.list(app.id, { scriptId, status: q.status, limit: Number(q.limit), cursor: q.cursor }),
      );
    })
    .get("/:app/executions/tail", queryParams(tailQuery), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "script.read", app.access);
      const only = c.req.valid("query").script;
      const onlyName = only ? (await scripts.get(app.id, only)).name : undefined;
      return streamSSE(c, async (stream) => {
        const queue: TailEvent[] = [];
        let wake: (() => void) | null = null;
        let dropped = 0;
        const unsubscribe = tail.subscribe(app.id, (e) => {
          const name = e.type === "log" ? e.scriptName : (e.execution.scriptName as string);
          if (onlyName && name !== onlyName) return;
          if (queue.length >= TAIL_BUFFER) {
            queue.shift();
            dropped++;
          }
          queue.push(e);
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
        await stream.writeSSE({
          event: "ready",
          data: JSON.stringify({ app: app.slug, script: onlyName ?? null }),
        });
        const heartbeat = setInterval(() => {
          void stream.write(": ping\n\n");
        }, HEARTBEAT_MS);
        try {
          while (!stream.aborted && !stream.closed && !shutdown.signal.aborted) {
            const e = queue.shift();
            if (!e) {
              await new Promise<void>((r) => {
                wake = r;
              });
              wake = null;
              continue;
            }
            if (dropped > 0) {
              await stream.writeSSE({ event: "dropped", data: JSON.stringify({ count: dropped }) });
              dropped = 0;
            }
            const { appId: _a, type, ...rest } = e;
            await stream.writeSSE({
              event: type,
              data: JSON.stringify(type === "execution" ? (rest as { execution: unknown }).execution : rest),
            });
          }
        } finally {
          clearInterval(heartbeat);
          unsubscribe();
          shutdown.signal.removeEventListener("abort", onShutdown);
        }
      });
    })
    .get("/:app/executions/:id", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "script.read", app.access);
      return c.json({ execution: await queries.get(app.id, c.req.param("id")) });
    });
}
