/**
 * picloud.toml keys beyond scripts and routes: `crons` and `triggers` (per
 * script; both are deployed as the script's triggers) and `[[topics]]`.
 */
import * as v from "valibot";
import {
  CATCHUP_POLICIES,
  type CatchupPolicy,
  cronPatternProblem,
  validTimezone,
} from "../events/cron-schedule.js";
import { USER_OPS } from "../events/trigger-config.js";
import { optionalIntegerBetween } from "../lib/http-validation.js";

const OPS = ["insert", "update", "delete"] as const;
const DAY_MS = 86_400_000;
// The server's limits (src/events/triggers.ts), checked here too so that the error names the file's line.
const retry = {
  max_attempts: optionalIntegerBetween(
    1,
    "max_attempts must be at least 1",
    100,
    "max_attempts must be at most 100",
  ),
  delay_ms: optionalIntegerBetween(
    0,
    "delay_ms must be at least 0",
    DAY_MS,
    "delay_ms must be at most a day (86400000)",
  ),
  max_delay_ms: optionalIntegerBetween(
    0,
    "max_delay_ms must be at least 0",
    7 * DAY_MS,
    "max_delay_ms must be at most a week (604800000)",
  ),
  backoff: v.optional(
    v.picklist(["exponential", "linear", "constant"], "backoff must be exponential, linear or constant"),
  ),
};

export interface ProjectCron {
  schedule: string;
  timezone: string | null;
  /** What a missed time does after downtime; null takes the server default (`once`). */
  catchup: CatchupPolicy | null;
  /** Retry settings of the runs (as a trigger's); unset ones take the server defaults. */
  retry: CronRetry;
}

export interface CronRetry {
  max_attempts?: number;
  delay_ms?: number;
  max_delay_ms?: number;
  backoff?: "exponential" | "linear" | "constant";
}

/**
 * `"0 7 * * *"` or `{ schedule = "0 7 * * *", timezone = "Europe/Paris", catchup = "skip" }`
 * (5 fields, or 6 with seconds first; croner syntax).
 */
export const cronEntrySchema = v.pipe(
  v.union(
    [
      v.string(),
      v.strictObject({
        schedule: v.string("schedule must be a string"),
        timezone: v.optional(v.string("timezone must be a string")),
        catchup: v.optional(
          v.picklist(CATCHUP_POLICIES, `catchup must be one of ${CATCHUP_POLICIES.join(", ")}`),
        ),
        ...retry,
      }),
    ],
    'a cron must be a string like "0 7 * * *" or a table { schedule = "0 7 * * *", timezone = "Europe/Paris" }',
  ),
  v.rawTransform(({ dataset, addIssue, NEVER }): ProjectCron => {
    const e = dataset.value;
    const cron: ProjectCron =
      typeof e === "string"
        ? { schedule: e, timezone: null, catchup: null, retry: {} }
        : {
            schedule: e.schedule,
            timezone: e.timezone ?? null,
            catchup: e.catchup ?? null,
            retry: definedOnly({
              max_attempts: e.max_attempts,
              delay_ms: e.delay_ms,
              max_delay_ms: e.max_delay_ms,
              backoff: e.backoff,
            }),
          };
    const problem = cronPatternProblem(cron.schedule);
    if (problem) {
      addIssue({ message: `cron "${cron.schedule}" is invalid: ${problem}` });
      return NEVER;
    }
    if (cron.timezone !== null && !validTimezone(cron.timezone)) {
      addIssue({ message: `timezone "${cron.timezone}" is not a known IANA time zone` });
      return NEVER;
    }
    return cron;
  }),
);

const ops = v.optional(v.array(v.picklist(OPS, `ops must be among ${OPS.join(", ")}`)));
function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, value]) => value !== undefined)) as T;
}
const nonEmpty = (what: string) =>
  v.pipe(v.string(`${what} must be a string`), v.minLength(1, `${what} must not be empty`));

/** `triggers = [{ kind = "docs", collection = "posts", ops = ["insert"] }, …]` */
export const triggerSchema = v.variant(
  "kind",
  [
    v.strictObject({ kind: v.literal("kv"), collection: nonEmpty("collection"), ops, ...retry }),
    v.strictObject({ kind: v.literal("docs"), collection: nonEmpty("collection"), ops, ...retry }),
    v.strictObject({ kind: v.literal("files"), prefix: v.optional(v.string(), ""), ops, ...retry }),
    v.strictObject({ kind: v.literal("pubsub"), topic: nonEmpty("topic"), ...retry }),
    v.strictObject({ kind: v.literal("email"), address: v.optional(nonEmpty("address")), ...retry }),
    v.strictObject({ kind: v.literal("dead_letter"), source: v.optional(v.string()), ...retry }),
    v.strictObject({
      kind: v.literal("users"),
      ops: v.optional(v.array(v.picklist(USER_OPS, `ops must be among ${USER_OPS.join(", ")}`))),
      ...retry,
    }),
  ],
  "kind must be one of kv, docs, files, pubsub, email, dead_letter, users (crons go in `crons`)",
);
export type ProjectTrigger = v.InferOutput<typeof triggerSchema>;

/** `[[topics]]`: realtime topics (SPEC §6). */
export const topicSchema = v.strictObject({
  name: v.pipe(
    v.string("name must be a string"),
    v.regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, "topic names are letters, digits and . _ : / -"),
  ),
  external: v.optional(v.boolean("external must be true or false"), false),
  auth: v.optional(
    v.picklist(["public", "token", "session"], "auth must be public, token or session"),
    "token",
  ),
  /** With auth = "session": the end-user role a subscriber needs. */
  role: v.optional(v.string("role must be a string")),
});
export type ProjectTopic = v.InferOutput<typeof topicSchema>;
