/**
 * What each trigger kind accepts (validated when registered) and whether an
 * event matches it. Globs are `*` (everything), `prefix*` or an exact name.
 */
import * as v from "valibot";
import { addressPatternSchema } from "../email-in/addresses.js";
import { cronConfigSchema } from "./cron-schedule.js";
import type { TriggerConfig, TriggerKind } from "./schema.js";

export const DATA_OPS = ["insert", "update", "delete"] as const;
export type DataOp = (typeof DATA_OPS)[number];

const glob = (what: string) =>
  v.pipe(
    v.string(`${what} must be a string`),
    v.minLength(1, `${what} must not be empty`),
    v.maxLength(256, `${what} is too long`),
    v.check((s) => !s.slice(0, -1).includes("*"), `${what} may use * only at the end (orders*, *)`),
  );

const dataConfig = v.strictObject({
  collection: glob("collection"),
  ops: v.optional(
    v.pipe(
      v.array(v.picklist(DATA_OPS, `ops must be among ${DATA_OPS.join(", ")}`)),
      v.minLength(1, "ops must not be empty"),
    ),
    [...DATA_OPS],
  ),
});

/** `files`: paths starting with `prefix` (all paths when empty), as stored (NFC-normalized). */
const filesConfig = v.strictObject({
  prefix: v.optional(
    v.pipe(
      v.string("prefix must be a string"),
      v.maxLength(1024, "prefix is too long"),
      v.check((s) => !s.includes("\0"), "prefix must not contain NUL characters"),
      v.transform((s) => s.normalize("NFC")),
    ),
    "",
  ),
  ops: dataConfig.entries.ops,
});

const deadLetterConfig = v.strictObject({
  /** Only dead letters whose event came from this source (kv, docs, http, …); `*` for all. */
  source: v.optional(glob("source"), "*"),
});

const pubsubConfig = v.strictObject({
  /** Topic glob: `*`, `orders.*`-style prefixes ending in `*`, or an exact topic. */
  topic: glob("topic"),
});

/**
 * `email`: which of the app's inbound mail runs the script, by recipient: `*` (default), an
 * address, `*@domain` or `prefix*`. The app must also claim the addresses (`[email]`).
 */
const emailConfig = v.strictObject({
  address: v.optional(addressPatternSchema, "*"),
});

export const USER_OPS = ["created", "verified", "deleted"] as const;

/** `users`: an app's end users were created, verified their e-mail, or were deleted (all three by default). */
const usersConfig = v.strictObject({
  ops: v.optional(
    v.pipe(
      v.array(v.picklist(USER_OPS, `ops must be among ${USER_OPS.join(", ")}`)),
      v.minLength(1, "ops must not be empty"),
    ),
    [...USER_OPS],
  ),
});

/** Kinds this build can deliver; the others are refused with a clear message until they exist. */
const SCHEMAS: Partial<Record<TriggerKind, v.GenericSchema<unknown, TriggerConfig>>> = {
  kv: dataConfig,
  docs: dataConfig,
  files: filesConfig,
  dead_letter: deadLetterConfig,
  cron: cronConfigSchema,
  pubsub: pubsubConfig,
  email: emailConfig,
  users: usersConfig,
};

export function triggerConfigSchema(kind: TriggerKind): v.GenericSchema<unknown, TriggerConfig> | undefined {
  return SCHEMAS[kind];
}

export function globMatches(pattern: string, value: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith("*")) return value.startsWith(pattern.slice(0, -1));
  return pattern === value;
}

/** Whether a data event (kv/docs) matches a trigger's config. */
export function dataEventMatches(config: TriggerConfig, collection: string, op: DataOp): boolean {
  const ops = (config.ops as DataOp[] | undefined) ?? DATA_OPS;
  return globMatches(String(config.collection), collection) && ops.includes(op);
}

/** Whether a files event on `path` matches a trigger's config (path prefix and ops). */
export function filesEventMatches(config: TriggerConfig, path: string, op: DataOp): boolean {
  const ops = (config.ops as DataOp[] | undefined) ?? DATA_OPS;
  return path.startsWith(String(config.prefix ?? "")) && ops.includes(op);
}
