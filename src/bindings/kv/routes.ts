/**
 * Admin API of env.kv, under /apps/{app}/kv (the dashboard's KV browser):
 * collections, entries by prefix with cursor paging, and one entry to read,
 * write or delete. Collection and key travel in the query string, so any name
 * a script may use (slashes included) works. Writes emit `kv` events as a
 * script's do.
 */
import { Hono } from "hono";
import * as v from "valibot";
import { HostCallError, type HostValue } from "../../../runtime/index.js";
import type { Apps } from "../../apps/apps.js";
import { assertCan } from "../../auth/capabilities.js";
import { type AdminEnv, principalOf } from "../../auth/http.js";
import { badRequest, notFound } from "../../lib/errors.js";
import { jsonBody, queryParams } from "../../lib/http-validation.js";
import { uuidv7 } from "../../lib/ids.js";
import { jsonValue } from "../arguments.js";
import { MAX_COLLECTION, MAX_KEY, MAX_VALUE_BYTES } from "./bridge.js";
import type { KvService } from "./service.js";

const MAX_TTL_SECONDS = 10 * 365 * 86_400;

const collection = v.pipe(
  v.string(),
  v.minLength(1, "collection must not be empty"),
  v.maxLength(MAX_COLLECTION, `collection must be at most ${MAX_COLLECTION} characters`),
);
const key = v.pipe(
  v.string(),
  v.minLength(1, "key must not be empty"),
  v.maxLength(MAX_KEY, `key must be at most ${MAX_KEY} characters`),
);
const limit = v.optional(
  v.pipe(
    v.string(),
    v.regex(/^\d+$/, "limit must be a number"),
    v.transform(Number),
    v.minValue(1, "limit must be at least 1"),
    v.maxValue(1000, "limit must be at most 1000"),
  ),
  "100",
);

const listQuery = v.strictObject({
  collection,
  prefix: v.optional(v.pipe(v.string(), v.maxLength(MAX_KEY, "prefix is too long"))),
  cursor: v.optional(v.pipe(v.string(), v.maxLength(MAX_KEY, "cursor is not a cursor of this endpoint"))),
  limit,
});
const entryQuery = v.strictObject({ collection, key });
const putBody = v.strictObject({
  value: v.unknown(),
  ttl: v.optional(
    v.pipe(
      v.number("ttl must be a number of seconds"),
      v.minValue(0, "ttl must be between 0 and 315360000 seconds"),
      v.maxValue(MAX_TTL_SECONDS, "ttl must be between 0 and 315360000 seconds"),
    ),
  ),
});

export function kvRoutes({ apps, kv }: { apps: Apps; kv: KvService }) {
  // An admin's write starts its own chain of events, as an HTTP request does.
  const writer = (appId: string) => ({ appId, depth: 0, rootExecutionId: uuidv7() });
  return new Hono<AdminEnv>()
    .get("/:app/kv", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.read", app.access);
      return c.json({ collections: await kv.collections(app.id, 1000) });
    })
    .get("/:app/kv/entries", queryParams(listQuery), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.read", app.access);
      const q = c.req.valid("query");
      return c.json(
        await kv.list(app.id, q.collection, { prefix: q.prefix, after: q.cursor, limit: Number(q.limit) }),
      );
    })
    .get("/:app/kv/entry", queryParams(entryQuery), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.read", app.access);
      const q = c.req.valid("query");
      if (!(await kv.has(app.id, q.collection, q.key))) throw notFound("key");
      return c.json({
        collection: q.collection,
        key: q.key,
        value: await kv.get(app.id, q.collection, q.key),
      });
    })
    .put("/:app/kv/entry", queryParams(entryQuery), jsonBody(putBody), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.write", app.access);
      const q = c.req.valid("query");
      const body = c.req.valid("json");
      if (!("value" in body)) throw badRequest("value is required");
      let value: unknown;
      try {
        value = jsonValue(body.value as HostValue, "value", MAX_VALUE_BYTES);
      } catch (err) {
        if (err instanceof HostCallError) throw badRequest(err.message);
        throw err;
      }
      const existed = await kv.has(app.id, q.collection, q.key);
      await kv.set(writer(app.id), q.collection, q.key, value, body.ttl || undefined);
      return c.json({ collection: q.collection, key: q.key, value }, existed ? 200 : 201);
    })
    .delete("/:app/kv/entry", queryParams(entryQuery), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.write", app.access);
      const q = c.req.valid("query");
      if (!(await kv.delete(writer(app.id), q.collection, q.key))) throw notFound("key");
      return c.body(null, 204);
    });
}
