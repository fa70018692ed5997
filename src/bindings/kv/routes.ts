/**
 * Admin API of env.kv, under /apps/{app}/kv: the collections (the dashboard's
 * KV browser), and under /apps/{app}/kv/{collection}: list, read, write and
 * delete entries as a script would (same limits, and writes emit `kv`
 * events for triggers like a script's writes). Keys are percent-encoded in the
 * URL, so a key may hold any character, `/` included.
 */
import { Hono } from "hono";
import * as v from "valibot";
import { HostCallError } from "../../../runtime/index.js";
import type { Apps } from "../../apps/apps.js";
import { assertCan } from "../../auth/capabilities.js";
import { type AdminEnv, principalOf } from "../../auth/http.js";
import { badRequest, notFound } from "../../lib/errors.js";
import { jsonBody, limitParam, queryParams } from "../../lib/http-validation.js";
import { uuidv7 } from "../../lib/ids.js";
import { decodeCursor, encodeCursor, jsonValue } from "../arguments.js";
import { MAX_COLLECTION, MAX_KEY, MAX_TTL_SECONDS, MAX_VALUE_BYTES } from "./bridge.js";
import type { KvService } from "./service.js";

const collectionSchema = v.pipe(
  v.string(),
  v.minLength(1, "collection must not be empty"),
  v.maxLength(MAX_COLLECTION, `collection is longer than ${MAX_COLLECTION} characters`),
);
const keySchema = v.pipe(
  v.string(),
  v.minLength(1, "key must not be empty"),
  v.maxLength(MAX_KEY, `key is longer than ${MAX_KEY} characters`),
);
const listQuery = v.strictObject({
  prefix: v.optional(v.pipe(v.string(), v.maxLength(MAX_KEY, "prefix is too long"))),
  cursor: v.optional(v.string()),
  limit: limitParam(1000, 100),
});
const putBody = v.strictObject({
  value: v.unknown(),
  ttl: v.optional(
    v.pipe(
      v.number("ttl must be a number of seconds"),
      v.integer("ttl must be a whole number of seconds"),
      v.minValue(1, "ttl must be at least 1 second"),
      v.maxValue(MAX_TTL_SECONDS, `ttl must be at most ${MAX_TTL_SECONDS} seconds`),
    ),
  ),
});

/** Checks shared with the binding throw HostCallErrors; here they are 400s. */
function checked<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof HostCallError) throw badRequest(err.message);
    throw err;
  }
}

function param<T>(schema: v.GenericSchema<string, T>, raw: string, what: string): T {
  const r = v.safeParse(schema, raw);
  if (!r.success) throw badRequest(`${what}: ${r.issues[0].message}`, { field: what });
  return r.output;
}

export interface KvRouteDeps {
  apps: Apps;
  kv: KvService;
}

export function kvRoutes({ apps, kv }: KvRouteDeps) {
  return new Hono<AdminEnv>()
    .get("/:app/kv", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.read", app.access);
      return c.json({ collections: await kv.collections(app.id, 1000) });
    })
    .get("/:app/kv/:collection", queryParams(listQuery), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.read", app.access);
      const collection = param(collectionSchema, c.req.param("collection"), "collection");
      const q = c.req.valid("query");
      const after = checked(() => decodeCursor(q.cursor ?? null));
      if (after !== undefined && typeof after[0] !== "string")
        throw badRequest("cursor is not a cursor returned by this endpoint");
      const page = await kv.list(app.id, collection, {
        prefix: q.prefix || undefined,
        after: after?.[0] as string | undefined,
        limit: Number(q.limit),
      });
      return c.json({ items: page.items, cursor: page.cursor === null ? null : encodeCursor([page.cursor]) });
    })
    .get("/:app/kv/:collection/:key", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.read", app.access);
      const collection = param(collectionSchema, c.req.param("collection"), "collection");
      const key = param(keySchema, c.req.param("key"), "key");
      // A stored JSON null and a missing key differ: ask has() only when get() says null.
      const value = await kv.get(app.id, collection, key);
      if (value === null && !(await kv.has(app.id, collection, key))) throw notFound(`key ${key}`);
      return c.json({ collection, key, value });
    })
    .put("/:app/kv/:collection/:key", jsonBody(putBody), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.write", app.access);
      const collection = param(collectionSchema, c.req.param("collection"), "collection");
      const key = param(keySchema, c.req.param("key"), "key");
      const body = c.req.valid("json");
      if (body.value === undefined) throw badRequest("value is required", { field: "value" });
      const value = checked(() => jsonValue(body.value as never, "value", MAX_VALUE_BYTES));
      const existed = await kv.has(app.id, collection, key);
      // A write from the admin API starts its own chain of events, as an HTTP request does.
      await kv.set({ appId: app.id, depth: 0, rootExecutionId: uuidv7() }, collection, key, value, body.ttl);
      c.get("log").info({ appId: app.id, collection, key, by: p.user.id }, "kv entry written");
      return c.json({ collection, key, value }, existed ? 200 : 201);
    })
    .delete("/:app/kv/:collection/:key", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.write", app.access);
      const collection = param(collectionSchema, c.req.param("collection"), "collection");
      const key = param(keySchema, c.req.param("key"), "key");
      if (!(await kv.delete({ appId: app.id, depth: 0, rootExecutionId: uuidv7() }, collection, key)))
        throw notFound(`key ${key}`);
      return c.body(null, 204);
    });
}
