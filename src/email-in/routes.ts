/**
 * Admin API of inbound e-mail, under /apps/{app}/email/inbound: the addresses
 * and domains the app receives mail for (the same set as picloud.toml `[email]`).
 */
import { Hono } from "hono";
import type { Apps } from "../apps/apps.js";
import { assertCan } from "../auth/capabilities.js";
import { type AdminEnv, principalOf } from "../auth/http.js";
import type { ChangeFeed } from "../db/change-feed.js";
import { jsonBody } from "../lib/http-validation.js";
import { emailClaimsSchema } from "./addresses.js";
import type { EmailClaims } from "./claims.js";

export function emailInRoutes({
  apps,
  emailClaims,
  changes,
}: {
  apps: Apps;
  emailClaims: EmailClaims;
  changes: ChangeFeed;
}) {
  return new Hono<AdminEnv>()
    .get("/:app/email/inbound", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "app.read", app.access);
      return c.json(await emailClaims.get(app.id));
    })
    .put("/:app/email/inbound", jsonBody(emailClaimsSchema), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "app.update", app.access);
      const { added, removed } = await emailClaims.set(app.id, c.req.valid("json"));
      changes.publish({ topic: "email", appId: app.id });
      c.get("log").info({ appId: app.id, added, removed, by: p.user.id }, "inbound e-mail addresses set");
      return c.json(await emailClaims.get(app.id));
    });
}
