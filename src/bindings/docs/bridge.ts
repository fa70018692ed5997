/**
 * What a script sees as `env.docs`: `collection(name)` handles with insert,
 * get, update, replace, delete, find and count. Documents are JSON objects;
 * malformed filters reject with a TypeError naming the operator and field.
 */
import { type BindingDefinition, HostCallError, type HostValue } from "../../../runtime/index.js";
import { isUuid } from "../../lib/ids.js";
import { jsonValue, nonEmptyString, options, typeError } from "../arguments.js";
import type { BindingContext, BindingFactory } from "../index.js";
import { FilterError } from "./filter.js";
import type { DocsService, StoredDocument } from "./service.js";

export const MAX_COLLECTION = 128;
const MAX_DOC_BYTES = 1024 * 1024;

const GUEST = `(call) => {
  const handle = (name) => {
    if (typeof name !== "string" || name === "") throw new TypeError("docs.collection(name): name must be a non-empty string");
    return Object.freeze({
      insert: (doc) => call("insert", name, doc),
      get: (id) => call("get", name, id),
      update: (id, patch) => call("update", name, id, patch),
      replace: (id, doc) => call("replace", name, id, doc),
      delete: (id) => call("delete", name, id),
      find: (filter, options) => call("find", name, filter ?? {}, options),
      count: (filter) => call("count", name, filter ?? {}),
    });
  };
  return Object.freeze({ collection: handle });
}`;

export function documentArg(value: HostValue, name: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Uint8Array) {
    throw typeError(`${name} must be a JSON object`);
  }
  return jsonValue(value, name, MAX_DOC_BYTES) as Record<string, unknown>;
}

/** Document ids are UUIDs; a string that is not one can match nothing. */
function idArg(value: HostValue): string | null {
  const id = nonEmptyString(value, "id", 64);
  return isUuid(id) ? id.toLowerCase() : null;
}

const asGuest = (d: StoredDocument | null) => d as unknown as HostValue;

/** FilterError → the guest's TypeError with the compiler's message. */
function guestFilterErrors<T>(p: Promise<T>): Promise<T> {
  return p.catch((err) => {
    if (err instanceof FilterError) throw new HostCallError("TypeError", err.message);
    throw err;
  });
}

export function docsBinding(docs: DocsService): BindingFactory {
  return {
    name: "docs",
    create(ctx: BindingContext): BindingDefinition {
      const coll = (v: HostValue) => nonEmptyString(v, "collection name", MAX_COLLECTION);
      const notFound = () => new HostCallError("NotFoundError", "document not found");
      return {
        name: "docs",
        guestSource: GUEST,
        methods: {
          insert: async ([c, doc]) => docs.insert(ctx, coll(c), documentArg(doc, "document")),
          get: async ([c, id]) => {
            const collection = coll(c);
            const key = idArg(id);
            return key ? asGuest(await docs.get(ctx.appId, collection, key)) : null;
          },
          update: async ([c, id, patch]) => {
            const collection = coll(c);
            const key = idArg(id);
            const data = documentArg(patch, "patch");
            const updated = key ? await docs.write(ctx, collection, key, data, "merge") : null;
            if (!updated) throw notFound();
            return asGuest(updated);
          },
          replace: async ([c, id, doc]) => {
            const collection = coll(c);
            const key = idArg(id);
            const data = documentArg(doc, "document");
            const replaced = key ? await docs.write(ctx, collection, key, data, "replace") : null;
            if (!replaced) throw notFound();
            return asGuest(replaced);
          },
          delete: async ([c, id]) => {
            const collection = coll(c);
            const key = idArg(id);
            return key ? docs.delete(ctx, collection, key) : false;
          },
          find: async ([c, filter, opts]) => {
            const collection = coll(c);
            const o = options(opts ?? null, "options", ["sort", "limit", "cursor"]);
            const res = await guestFilterErrors(
              docs.find(ctx.appId, collection, { filter, sort: o.sort, limit: o.limit, cursor: o.cursor }),
            );
            return res as unknown as HostValue;
          },
          count: async ([c, filter]) => guestFilterErrors(docs.count(ctx.appId, coll(c), filter)),
        },
      };
    },
  };
}
