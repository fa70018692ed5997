/** The executions table: one row per finished run of a script entry point, with its captured console output. */
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

export const EXECUTION_STATUSES = ["ok", "error", "timeout", "memory", "invalid_response"] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

export interface StoredLogLine {
  level: "debug" | "info" | "log" | "warn" | "error";
  message: string;
  at: number;
}

export interface StoredError {
  name: string;
  message: string;
  stack?: string;
}

// No foreign keys: rows are written in batches off the request path, and a
// script or app deleted meanwhile must not make the batch fail. Retention and
// app deletion clean them up.
export const executions = pgTable(
  "executions",
  {
    id: uuid("id").primaryKey(),
    appId: uuid("app_id").notNull(),
    scriptId: uuid("script_id").notNull(),
    scriptName: text("script_name").notNull(),
    versionId: uuid("version_id").notNull(),
    version: integer("version").notNull(),
    rootId: uuid("root_id").notNull(),
    depth: integer("depth").notNull().default(0),
    /** What started it: http, invoke, kv, docs, cron, … */
    trigger: text("trigger").notNull(),
    entry: text("entry").notNull(),
    status: text("status").$type<ExecutionStatus>().notNull(),
    /** For HTTP: the status code the client got. */
    httpStatus: integer("http_status"),
    /** For HTTP: `GET /path?query`. */
    request: text("request"),
    durationMs: integer("duration_ms").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
    error: jsonb("error").$type<StoredError>(),
    /** A waitUntil failure after the response was sent. */
    lateError: jsonb("late_error").$type<StoredError>(),
    logs: jsonb("logs").$type<StoredLogLine[]>().notNull(),
    logsTruncated: boolean("logs_truncated").notNull().default(false),
  },
  (t) => [
    index("executions_app_started_idx").on(t.appId, t.startedAt),
    index("executions_script_started_idx").on(t.scriptId, t.startedAt),
    index("executions_started_idx").on(t.startedAt),
  ],
);
