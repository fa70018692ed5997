/**
 * Admin API of outbound e-mail, under /apps/{app}/email: the app's messages
 * (delivery status and the server's answer, never bodies), its settings, its
 * allowed senders (who may deploy may set them, as picloud.toml does) and its
 * limit overrides (an instance decision: the instance's reputation is shared).
 */
import { Hono } from "hono";
import * as v from "valibot";
import type { Apps } from "../../apps/apps.js";
import { assertCan } from "../../auth/capabilities.js";
import { type AdminEnv, principalOf } from "../../auth/http.js";
import { jsonBody, limitParam, queryParams } from "../../lib/http-validation.js";
import { sendersSchema } from "./message.js";
import { EMAIL_STATUSES } from "./schema.js";
import type { EmailService } from "./service.js";

const listQuery = v.strictObject({
  status: v.optional(v.picklist(EMAIL_STATUSES, `status must be one of ${EMAIL_STATUSES.join(", ")}`)),
  limit: limitParam(200, 50),
  cursor: v.optional(v.string()),
});

const limit = (what: string) =>
  v.nullable(
    v.pipe(
      v.number(`${what} must be a number or null`),
      v.integer(`${what} must be a whole number`),
      v.minValue(0, `${what} must be at least 0`),
      v.maxValue(100_000_000, `${what} must be at most 100000000`),
    ),
  );

const limitsBody = v.strictObject({ perMinute: limit("perMinute"), perDay: limit("perDay") });
const sendersBody = v.strictObject({ senders: sendersSchema });

export function emailRoutes({ apps, email }: { apps: Apps; email: EmailService }) {
  return new Hono<AdminEnv>()
    .get("/:app/email/messages", queryParams(listQuery), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.read", app.access);
      const q = c.req.valid("query");
      return c.json(await email.list(app.id, { status: q.status, limit: Number(q.limit), cursor: q.cursor }));
    })
    .get("/:app/email/messages/:id", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.read", app.access);
      return c.json({ message: await email.get(app.id, c.req.param("id")) });
    })
    .get("/:app/email/settings", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "app.read", app.access);
      return c.json(await email.settings(app.id));
    })
    .put("/:app/email/senders", jsonBody(sendersBody), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "script.write", app.access);
      const { senders } = c.req.valid("json");
      await email.setSenders(app.id, senders);
      c.get("log").info({ appId: app.id, senders, by: p.user.id }, "e-mail senders set");
      return c.json(await email.settings(app.id));
    })
    .put("/:app/email/limits", jsonBody(limitsBody), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "email.limits");
      const limits = c.req.valid("json");
      await email.setLimits(app.id, limits);
      c.get("log").info({ appId: app.id, ...limits, by: p.user.id }, "e-mail limits set");
      return c.json(await email.settings(app.id));
    });
}
