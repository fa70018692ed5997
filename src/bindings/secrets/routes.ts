/**
 * Admin API of app secrets, under /apps/{app}/secrets: list (names and dates),
 * put (create or replace) and delete. Write-only: no endpoint returns a value.
 * Like Cloudflare, whoever may deploy code (editors, `script:write` keys) may set
 * secrets, since their code can read them anyway; listing needs `script:read`.
 */
import { Hono } from "hono";
import type { Apps } from "../../apps/apps.js";
import { assertCan } from "../../auth/capabilities.js";
import { type AdminEnv, principalOf } from "../../auth/http.js";
import { notFound } from "../../lib/errors.js";
import { jsonBody, parseOrThrow } from "../../lib/http-validation.js";
import { type ReencryptResult, type SecretsService, secretNameSchema, secretValueSchema } from "./service.js";

export function secretRoutes({ apps, secrets }: { apps: Apps; secrets: SecretsService }) {
  const name = (raw: string) => parseOrThrow(secretNameSchema, raw, "secret name");
  return new Hono<AdminEnv>()
    .get("/:app/secrets", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "script.read", app.access);
      return c.json({ secrets: await secrets.list(app.id) });
    })
    .put("/:app/secrets/:name", jsonBody(secretValueSchema), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "script.write", app.access);
      const secretName = name(c.req.param("name"));
      const { created, secret } = await secrets.put(app.id, secretName, c.req.valid("json").value);
      c.get("log").info({ appId: app.id, secret: secretName, created, by: p.user.id }, "secret set");
      return c.json({ secret }, created ? 201 : 200);
    })
    .delete("/:app/secrets/:name", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "script.write", app.access);
      const secretName = name(c.req.param("name"));
      if (!(await secrets.remove(app.id, secretName))) throw notFound(`secret ${secretName}`);
      c.get("log").info({ appId: app.id, secret: secretName, by: p.user.id }, "secret deleted");
      return c.body(null, 204);
    });
}

/**
 * POST /secret-key/reencrypt: runs the re-encryption a start runs (docs/secrets.md), now, in this
 * process, and reports what is left: what `picloud admin rotate-secret-key` calls.
 */
export function secretKeyRoutes({
  keyIds,
  reencrypt,
}: {
  keyIds: { current: string; previous: string | null };
  reencrypt: () => Promise<{ secrets: ReencryptResult; realtimeKeys: ReencryptResult }>;
}) {
  return new Hono<AdminEnv>().post("/reencrypt", async (c) => {
    const p = principalOf(c);
    assertCan(p, "secret-key.rotate");
    const result = await reencrypt();
    c.get("log").info({ ...result, by: p.user.id }, "secrets re-encrypted on request");
    return c.json({ currentKeyId: keyIds.current, previousKeyId: keyIds.previous, ...result });
  });
}
