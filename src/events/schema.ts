/**
 * Tables of the events area: triggers (event source → script), the outbox (the
 * one durable queue of asynchronous work), dead letters (work that ran out of
 * attempts) and cron runs (which scheduled time of a cron trigger was fired).
 */
import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
} from "drizzle-orm/pg-core";
import { apps } from "../apps/schema.js";
import { scripts } from "../scripts/schema.js";

export const TRIGGER_KINDS = [
  "kv",
  "docs",
  "files",
  "pubsub",
  "cron",
  "email",
  "dead_letter",
  "users",
] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];

export const BACKOFFS = ["exponential", "linear", "constant"] as const;
export type Backoff = (typeof BACKOFFS)[number];

/** How a failed delivery is retried; absent fields take the instance defaults. */
export interface RetryPolicy {
  maxAttempts?: number;
  backoff?: Backoff;
  /** First delay (exponential/linear) or every delay (constant). */
  delayMs?: number;
  maxDelayMs?: number;
}

/** Source-specific settings: collection glob and ops for kv/docs, topic glob for pubsub, … */
export type TriggerConfig = Record<string, unknown>;

export const triggers = pgTable(
  "triggers",
  {
    id: uuid("id").primaryKey(),
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    scriptId: uuid("script_id")
      .notNull()
      .references(() => scripts.id, { onDelete: "cascade" }),
    kind: text("kind").$type<TriggerKind>().notNull(),
    config: jsonb("config").$type<TriggerConfig>().notNull(),
    retry: jsonb("retry").$type<RetryPolicy>().notNull().default({}),
    /** The admin user the trigger's executions run as (SPEC §5). */
    runAs: uuid("run_as"),
    enabled: boolean("enabled").notNull().default(true),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("triggers_app_kind_idx").on(t.appId, t.kind)],
);

/** `email_out`: an outbound message handed to the e-mail transport (no script runs; see Dispatcher.registerDirect); `email_in`: a received message for an email() handler. */
export const OUTBOX_KINDS = ["trigger", "http", "cron", "email_out", "email_in"] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];

export const outbox = pgTable(
  "outbox",
  {
    /** The event id handlers see (event.id) and de-duplicate on. */
    id: uuid("id").primaryKey(),
    appId: uuid("app_id").notNull(),
    kind: text("kind").$type<OutboxKind>().notNull(),
    /** For trigger deliveries; null for async HTTP requests. */
    triggerId: uuid("trigger_id"),
    scriptId: uuid("script_id").notNull(),
    /** The event (trigger deliveries), the serialized request (async HTTP), `{cron, scheduledTime, timezone}` (cron) or `{source: "email", emailId, to}` (email_in). */
    payload: jsonb("payload").notNull(),
    depth: integer("depth").notNull().default(0),
    rootId: uuid("root_id").notNull(),
    /** The admin user the execution runs as, when any. */
    runAs: uuid("run_as"),
    attempts: integer("attempts").notNull().default(0),
    maxAttempts: integer("max_attempts").notNull(),
    retry: jsonb("retry").$type<RetryPolicy>().notNull(),
    runAt: timestamp("run_at", { withTimezone: true }).notNull().defaultNow(),
    claimedBy: text("claimed_by"),
    /** A claim past this time was abandoned (its process died) and may be taken over. */
    claimedUntil: timestamp("claimed_until", { withTimezone: true }),
    status: text("status").$type<"pending" | "done" | "dead">().notNull().default("pending"),
    lastError: text("last_error"),
    /** Set when this delivery is a dead-letter handler's: the dead letter it handles. */
    deadLetterId: uuid("dead_letter_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    index("outbox_due_idx").on(t.runAt).where(sql`${t.status} = 'pending'`),
    index("outbox_finished_idx").on(t.finishedAt).where(sql`${t.status} <> 'pending'`),
    check("outbox_status_check", sql`${t.status} in ('pending', 'done', 'dead')`),
  ],
);

export const DEAD_LETTER_RESOLUTIONS = [
  "replayed",
  "ignored",
  "handled_by_script",
  "handler_failed",
] as const;
export type DeadLetterResolution = (typeof DEAD_LETTER_RESOLUTIONS)[number];

export const deadLetters = pgTable(
  "dead_letters",
  {
    id: uuid("id").primaryKey(),
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    /** The outbox row (and event id) that ran out of attempts. */
    eventId: uuid("event_id").notNull(),
    kind: text("kind").$type<OutboxKind>().notNull(),
    /** What produced the event: kv, docs, http, … (dead_letter triggers filter on it). */
    source: text("source").notNull(),
    triggerId: uuid("trigger_id"),
    scriptId: uuid("script_id").notNull(),
    payload: jsonb("payload").notNull(),
    depth: integer("depth").notNull(),
    rootId: uuid("root_id").notNull(),
    runAs: uuid("run_as"),
    attempts: integer("attempts").notNull(),
    lastError: text("last_error"),
    lastExecutionId: uuid("last_execution_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    resolution: text("resolution").$type<DeadLetterResolution>(),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
    resolvedBy: uuid("resolved_by"),
    reason: text("reason"),
  },
  (t) => [
    index("dead_letters_app_created_idx").on(t.appId, t.createdAt),
    index("dead_letters_unresolved_idx").on(t.appId).where(sql`${t.resolution} is null`),
  ],
);

/**
 * One row per (cron trigger, scheduled time) that was fired or skipped. The
 * unique key is the claim: of several processes ticking at once, only the one
 * whose insert lands enqueues the run, in the same transaction.
 */
export const cronRuns = pgTable(
  "cron_runs",
  {
    id: uuid("id").primaryKey(),
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    triggerId: uuid("trigger_id")
      .notNull()
      .references(() => triggers.id, { onDelete: "cascade" }),
    scheduledAt: timestamp("scheduled_at", { withTimezone: true }).notNull(),
    /** The outbox row (and event id) of the run; null when the time was skipped. */
    eventId: uuid("event_id"),
    /** A missed time not run (catch-up `skip`, or the trigger was paused or rescheduled). */
    skipped: boolean("skipped").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique("cron_runs_trigger_time_unique").on(t.triggerId, t.scheduledAt),
    index("cron_runs_created_idx").on(t.createdAt),
  ],
);
