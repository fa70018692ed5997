/**
 * /api-keys: each user mints, lists and revokes their own keys. A key minted
 * with another key can be no broader than it (scopes and app binding), so a
 * narrow key can never mint a wider one.
 */
import { Hono } from "hono";
import * as v from "valibot";
import { forbidden, notFound } from "../lib/errors.js";
import { jsonBody } from "../lib/http-validation.js";
import { isUuid } from "../lib/ids.js";
import type { ApiKeys } from "./api-keys.js";
import { type AdminEnv, principalOf } from "./http.js";
import type { Principal } from "./principal.js";
import { expandScopes, scopeSchema } from "./scopes.js";

const mintBody = v.strictObject({
  name: v.pipe(
    v.string(),
    v.trim(),
    v.minLength(1, "name must not be empty"),
    v.maxLength(100, "name is too long"),
  ),
  scopes: v.pipe(v.array(scopeSchema), v.minLength(1, "scopes: give at least one scope")),
  app: v.optional(v.pipe(v.string(), v.minLength(1, "app must not be empty"))),
  expiresInDays: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(3650))),
});

export interface ApiKeyRouteDeps {
  apiKeys: ApiKeys;
  /** Finds an app the principal may see (by id or slug), or throws 404. */
  resolveApp: (p: Principal, ref: string) => Promise<{ id: string }>;
}

export function apiKeyRoutes(deps: ApiKeyRouteDeps) {
  return new Hono<AdminEnv>()
    .get("/", async (c) => {
      const p = principalOf(c);
      return c.json({ apiKeys: await deps.apiKeys.listOwn(p.user.id) });
    })
    .post("/", jsonBody(mintBody), async (c) => {
      const p = principalOf(c);
      const body = c.req.valid("json");
      const appId = body.app ? (await deps.resolveApp(p, body.app)).id : null;
      if (p.scopes) {
        const wider = [...expandScopes(body.scopes)].filter((s) => !p.scopes!.has(s));
        if (wider.length > 0)
          throw forbidden(`an API key cannot mint a key with scopes it lacks: ${wider.join(", ")}`);
      }
      if (p.boundAppId && appId !== p.boundAppId) {
        throw forbidden("a key bound to an app can only mint keys bound to the same app");
      }
      const expiresAt = body.expiresInDays ? new Date(Date.now() + body.expiresInDays * 86_400_000) : null;
      const minted = await deps.apiKeys.mint({
        userId: p.user.id,
        name: body.name,
        scopes: body.scopes,
        appId,
        expiresAt,
      });
      c.get("log").info(
        { apiKeyId: minted.key.id, userId: p.user.id, scopes: minted.key.scopes },
        "API key minted",
      );
      return c.json({ apiKey: minted.key, token: minted.token }, 201);
    })
    .delete("/:id", async (c) => {
      const p = principalOf(c);
      const id = c.req.param("id");
      if (!isUuid(id)) throw notFound("API key");
      await deps.apiKeys.revokeOwn(p.user.id, id);
      c.get("log").info({ apiKeyId: id, userId: p.user.id }, "API key revoked");
      return c.body(null, 204);
    });
}
