/**
 * What a script sees as `env.kv`: `collection(name)` handles with get, set,
 * has, delete and list. Arguments are checked here (TypeError / RangeError
 * naming the argument); the app always comes from the execution.
 */
import type { BindingDefinition } from "../../../runtime/index.js";
import {
  decodeCursor,
  encodeCursor,
  intOption,
  jsonValue,
  nonEmptyString,
  optionalString,
  options,
  rangeError,
} from "../arguments.js";
import type { BindingContext, BindingFactory } from "../index.js";
import type { KvService } from "./service.js";

export const MAX_COLLECTION = 128;
export const MAX_KEY = 512;
export const MAX_VALUE_BYTES = 1024 * 1024;
export const MAX_TTL_SECONDS = 10 * 365 * 86_400;

const GUEST = `(call) => {
  const handle = (name) => {
    if (typeof name !== "string" || name === "") throw new TypeError("kv.collection(name): name must be a non-empty string");
    return Object.freeze({
      get: (key) => call("get", name, key),
      has: (key) => call("has", name, key),
      set: (key, value, options) => call("set", name, key, value, options),
      delete: (key) => call("delete", name, key),
      list: (options) => call("list", name, options),
    });
  };
  return Object.freeze({ collection: handle });
}`;

export function kvBinding(kv: KvService): BindingFactory {
  return {
    name: "kv",
    create(ctx: BindingContext): BindingDefinition {
      const coll = (v: unknown) => nonEmptyString(v as string, "collection name", MAX_COLLECTION);
      const key = (v: unknown) => nonEmptyString(v as string, "key", MAX_KEY);
      return {
        name: "kv",
        guestSource: GUEST,
        methods: {
          get: async ([c, k]) => (await kv.get(ctx.appId, coll(c), key(k))) as never,
          has: async ([c, k]) => kv.has(ctx.appId, coll(c), key(k)),
          set: async ([c, k, value, opts]) => {
            const collection = coll(c);
            const theKey = key(k);
            const o = options(opts ?? null, "options", ["ttl"]);
            let ttl: number | undefined;
            if (o.ttl !== undefined && o.ttl !== null) {
              if (typeof o.ttl !== "number" || !Number.isFinite(o.ttl))
                throw rangeError("options.ttl must be a number of seconds");
              if (o.ttl <= 0 || o.ttl > MAX_TTL_SECONDS)
                throw rangeError(`options.ttl must be between 0 and ${MAX_TTL_SECONDS} seconds`);
              ttl = o.ttl;
            }
            await kv.set(ctx, collection, theKey, jsonValue(value, "value", MAX_VALUE_BYTES), ttl);
            return undefined;
          },
          delete: async ([c, k]) => kv.delete(ctx, coll(c), key(k)),
          list: async ([c, opts]) => {
            const collection = coll(c);
            const o = options(opts ?? null, "options", ["prefix", "cursor", "limit"]);
            const prefix = optionalString(o.prefix ?? null, "options.prefix", MAX_KEY);
            const after = decodeCursor(o.cursor ?? null, "options.cursor");
            // Larger limits are clamped, not refused (as documented).
            const limit = Math.min(
              intOption(o.limit ?? null, "options.limit", 1, Number.MAX_SAFE_INTEGER, 100),
              1000,
            );
            const res = await kv.list(ctx.appId, collection, {
              prefix,
              after: after === undefined ? undefined : String(after[0]),
              limit,
            });
            return {
              items: res.items as never,
              cursor: res.cursor === null ? null : encodeCursor([res.cursor]),
            };
          },
        },
      };
    },
  };
}
