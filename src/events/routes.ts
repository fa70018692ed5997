/** Admin API of the events area, under /apps/{app}: triggers and dead letters. */
import { Hono } from "hono";
import * as v from "valibot";
import type { Apps } from "../apps/apps.js";
import { assertCan } from "../auth/capabilities.js";
import { type AdminEnv, principalOf } from "../auth/http.js";
import type { ChangeFeed } from "../db/change-feed.js";
import { jsonBody, limitParam, queryParams } from "../lib/http-validation.js";
import type { Scripts } from "../scripts/scripts.js";
import type { DeadLetters } from "./dead-letters.js";
import { TRIGGER_KINDS } from "./schema.js";
import { parseTriggerConfig, retrySchema, type Triggers } from "./triggers.js";

const createTriggerBody = v.strictObject({
  script: v.pipe(v.string(), v.minLength(1, "script is required")),
  kind: v.picklist(TRIGGER_KINDS, `kind must be one of ${TRIGGER_KINDS.join(", ")}`),
  config: v.optional(v.record(v.string(), v.unknown()), {}),
  retry: v.optional(retrySchema, {}),
  enabled: v.optional(v.boolean(), true),
});
const patchTriggerBody = v.pipe(
  v.strictObject({
    enabled: v.optional(v.boolean()),
    config: v.optional(v.record(v.string(), v.unknown())),
    retry: v.optional(retrySchema),
  }),
  v.check((b) => Object.keys(b).length > 0, "give at least one of enabled, config, retry"),
);
const listDeadLettersQuery = v.strictObject({
  status: v.optional(
    v.picklist(["unresolved", "resolved", "all"], "status must be unresolved, resolved or all"),
    "unresolved",
  ),
  limit: limitParam(200, 50),
  cursor: v.optional(v.string()),
});
const resolveBody = v.strictObject({
  resolution: v.optional(
    v.picklist(["ignored", "handled_by_script"], "resolution must be ignored or handled_by_script"),
    "ignored",
  ),
  reason: v.optional(v.pipe(v.string(), v.maxLength(1000, "reason must be at most 1000 characters"))),
});

export interface EventRouteDeps {
  apps: Apps;
  scripts: Scripts;
  triggers: Triggers;
  deadLetters: DeadLetters;
  changes: ChangeFeed;
  /** A cron trigger resumed or rescheduled starts from now instead of catching up. */
  cron: { startFromNow(triggerId: string): Promise<void> };
}

export function eventRoutes({ apps, scripts, triggers, deadLetters, changes, cron }: EventRouteDeps) {
  const changed = (appId: string) => changes.publish({ topic: "triggers", appId });
  return new Hono<AdminEnv>()
    .get("/:app/triggers", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "script.read", app.access);
      return c.json({ triggers: await triggers.list(app.id) });
    })
    .post("/:app/triggers", jsonBody(createTriggerBody), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "script.write", app.access);
      const body = c.req.valid("json");
      const script = await scripts.get(app.id, body.script);
      const trigger = await triggers.create(app.id, {
        scriptId: script.id,
        kind: body.kind,
        config: parseTriggerConfig(body.kind, body.config),
        retry: body.retry,
        runAs: p.user.id,
        enabled: body.enabled,
      });
      changed(app.id);
      return c.json({ trigger }, 201);
    })
    .patch("/:app/triggers/:id", jsonBody(patchTriggerBody), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "script.write", app.access);
      const current = await triggers.get(app.id, c.req.param("id"));
      const body = c.req.valid("json");
      const trigger = await triggers.update(app.id, current.id, {
        ...body,
        ...(body.config ? { config: parseTriggerConfig(current.kind, body.config) } : {}),
      });
      if (trigger.kind === "cron" && trigger.enabled && (body.config || !current.enabled))
        await cron.startFromNow(trigger.id);
      changed(app.id);
      return c.json({ trigger });
    })
    .delete("/:app/triggers/:id", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "script.write", app.access);
      await triggers.remove(app.id, c.req.param("id"));
      changed(app.id);
      return c.body(null, 204);
    })
    .get("/:app/dead-letters", queryParams(listDeadLettersQuery), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.read", app.access);
      const q = c.req.valid("query");
      const [page, counts] = await Promise.all([
        deadLetters.list(app.id, { status: q.status, limit: Number(q.limit), cursor: q.cursor }),
        deadLetters.unresolvedCounts([app.id]),
      ]);
      return c.json({ ...page, unresolved: counts.get(app.id) ?? 0 });
    })
    .get("/:app/dead-letters/:id", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.read", app.access);
      return c.json({ deadLetter: await deadLetters.get(app.id, c.req.param("id")) });
    })
    .post("/:app/dead-letters/:id/replay", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.write", app.access);
      return c.json(await deadLetters.replay(app.id, c.req.param("id"), p.user.id));
    })
    .post("/:app/dead-letters/:id/resolve", jsonBody(resolveBody), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.write", app.access);
      const { resolution, reason } = c.req.valid("json");
      return c.json({
        deadLetter: await deadLetters.resolve(
          app.id,
          c.req.param("id"),
          resolution,
          reason ?? null,
          p.user.id,
        ),
      });
    });
}
