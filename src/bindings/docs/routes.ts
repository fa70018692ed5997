/**
 * Admin API of env.docs, under /apps/{app}/docs/{collection}: find (with the
 * same filter language as `find()` in a script), read, insert, replace or
 * merge, and delete documents. Same limits as a script's calls; writes emit
 * `docs` events for triggers like a script's writes.
 */
import { Hono } from "hono";
import * as v from "valibot";
import { HostCallError } from "../../../runtime/index.js";
import type { Apps } from "../../apps/apps.js";
import { assertCan } from "../../auth/capabilities.js";
import { type AdminEnv, principalOf } from "../../auth/http.js";
import { badRequest, notFound } from "../../lib/errors.js";
import { jsonBody } from "../../lib/http-validation.js";
import { isUuid, uuidv7 } from "../../lib/ids.js";
import { documentArg, MAX_COLLECTION } from "./bridge.js";
import { FilterError } from "./filter.js";
import type { DocsService } from "./service.js";

const collectionSchema = v.pipe(
  v.string(),
  v.minLength(1, "collection must not be empty"),
  v.maxLength(MAX_COLLECTION, `collection is longer than ${MAX_COLLECTION} characters`),
);
const findBody = v.strictObject({
  filter: v.optional(v.unknown()),
  sort: v.optional(v.unknown()),
  limit: v.optional(v.unknown()),
  cursor: v.optional(v.unknown()),
});
const dataBody = v.strictObject({ data: v.unknown() });
const writeBody = v.strictObject({
  data: v.unknown(),
  mode: v.optional(v.picklist(["replace", "merge"], "mode must be replace or merge"), "replace"),
});

/** Checks shared with the binding throw HostCallErrors, the filter compiler FilterErrors; here they are 400s. */
async function checked<T>(f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof HostCallError || err instanceof FilterError) throw badRequest(err.message);
    throw err;
  }
}

function collectionOf(raw: string): string {
  const r = v.safeParse(collectionSchema, raw);
  if (!r.success) throw badRequest(r.issues[0].message, { field: "collection" });
  return r.output;
}

/** Ids are UUIDs: anything else names no document. */
function idOf(raw: string): string {
  if (!isUuid(raw)) throw notFound(`document ${raw}`);
  return raw.toLowerCase();
}

export interface DocsRouteDeps {
  apps: Apps;
  docs: DocsService;
}

export function docsRoutes({ apps, docs }: DocsRouteDeps) {
  const origin = (appId: string) => ({ appId, depth: 0, rootExecutionId: uuidv7() });
  return new Hono<AdminEnv>()
    .post("/:app/docs/:collection/find", jsonBody(findBody), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.read", app.access);
      const collection = collectionOf(c.req.param("collection"));
      const { filter, ...opts } = c.req.valid("json");
      const page = await checked(() => docs.find(app.id, collection, { filter: filter ?? {}, ...opts }));
      return c.json(page);
    })
    .get("/:app/docs/:collection/:id", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.read", app.access);
      const collection = collectionOf(c.req.param("collection"));
      const id = c.req.param("id");
      const doc = await docs.get(app.id, collection, idOf(id));
      if (!doc) throw notFound(`document ${id}`);
      return c.json({ document: doc });
    })
    .post("/:app/docs/:collection", jsonBody(dataBody), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.write", app.access);
      const collection = collectionOf(c.req.param("collection"));
      const data = await checked(() => documentArg(c.req.valid("json").data as never, "data"));
      const id = await docs.insert(origin(app.id), collection, data);
      return c.json({ document: await docs.get(app.id, collection, id) }, 201);
    })
    .put("/:app/docs/:collection/:id", jsonBody(writeBody), async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.write", app.access);
      const collection = collectionOf(c.req.param("collection"));
      const id = c.req.param("id");
      const body = c.req.valid("json");
      const data = await checked(() => documentArg(body.data as never, "data"));
      const doc = await docs.write(origin(app.id), collection, idOf(id), data, body.mode);
      if (!doc) throw notFound(`document ${id}`);
      return c.json({ document: doc });
    })
    .delete("/:app/docs/:collection/:id", async (c) => {
      const p = principalOf(c);
      const app = await apps.load(p, c.req.param("app"));
      assertCan(p, "data.write", app.access);
      const collection = collectionOf(c.req.param("collection"));
      const id = c.req.param("id");
      if (!(await docs.delete(origin(app.id), collection, idOf(id)))) throw notFound(`document ${id}`);
      return c.body(null, 204);
    });
}
