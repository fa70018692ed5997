/**
 * Writes execution records without slowing requests down: records queue in
 * memory and are inserted in batches (every 250 ms or 200 records, whichever
 * comes first) by one background flush. A failed batch is logged with its ids
 * and dropped — the request it describes already got its answer.
 *
 * A batch goes out as one JSON parameter to a constant statement
 * (jsonb_to_recordset) rather than through drizzle's multi-row insert builder:
 * building a 200-row insert's SQL text (19 parameters a row) cost more CPU on
 * a busy instance than the sandbox's own work for the same requests.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import type { Logger } from "../lib/logger.js";
import { toStorableText } from "../lib/storable-text.js";
import type { executions } from "./schema.js";

export type ExecutionRecord = typeof executions.$inferInsert;

const FLUSH_MS = 250;
const BATCH = 200;
// Past this many queued records (a database much slower than the traffic), new ones are counted and dropped.
const MAX_QUEUE = 20_000;

export class ExecutionRecorder {
  private queue: ExecutionRecord[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  dropped = 0;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  record(row: ExecutionRecord): void {
    if (this.queue.length >= MAX_QUEUE) {
      this.dropped++;
      if (this.dropped % 1000 === 1)
        this.log.warn({ dropped: this.dropped }, "execution log queue full: dropping records");
      return;
    }
    this.queue.push(row);
    if (this.queue.length >= BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Writes everything queued so far; resolves when it is in the database. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.flushing = this.flushing.then(async () => {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, BATCH);
        try {
          await this.db.execute(
            sql`${INSERT_BATCH}${JSON.stringify(batch.map(toJsonRow), storable)}::jsonb${INSERT_END}`,
          );
        } catch (err) {
          this.log.error(
            {
              err: (err as Error).message,
              executionIds: batch.map((b) => b.id).slice(0, 20),
              count: batch.length,
            },
            "writing execution records failed",
          );
        }
      }
    });
    return this.flushing;
  }
}

/**
 * PostgreSQL's text and jsonb cannot hold U+0000 or an unpaired surrogate, and one such
 * character (a script's `console.log("\0")` or `console.log("\ud800")`) would fail the
 * whole batch, other apps' records included: it becomes U+FFFD.
 */
function storable(_key: string, value: unknown): unknown {
  return typeof value === "string" ? toStorableText(value) : value;
}

/** A record with the column names of the table, as jsonb_to_recordset reads it. */
function toJsonRow(r: ExecutionRecord) {
  return {
    id: r.id,
    app_id: r.appId,
    script_id: r.scriptId,
    script_name: r.scriptName,
    version_id: r.versionId,
    version: r.version,
    root_id: r.rootId,
    depth: r.depth ?? 0,
    trigger: r.trigger,
    entry: r.entry,
    status: r.status,
    http_status: r.httpStatus ?? null,
    request: r.request ?? null,
    duration_ms: r.durationMs,
    started_at: r.startedAt,
    error: r.error ?? null,
    late_error: r.lateError ?? null,
    logs: r.logs,
    logs_truncated: r.logsTruncated ?? false,
  };
}

const COLUMNS = `id uuid, app_id uuid, script_id uuid, script_name text, version_id uuid, version integer,
  root_id uuid, depth integer, trigger text, entry text, status text, http_status integer, request text,
  duration_ms integer, started_at timestamptz, error jsonb, late_error jsonb, logs jsonb, logs_truncated boolean`;
const NAMES = COLUMNS.split(",")
  .map((c) => c.trim().split(" ")[0])
  .join(", ");
// jsonb_to_recordset turns a JSON null into SQL NULL for every column type, as the table expects.
const INSERT_BATCH = sql.raw(`insert into executions (${NAMES}) select ${NAMES} from jsonb_to_recordset(`);
const INSERT_END = sql.raw(`) as r(${COLUMNS}) on conflict (id) do nothing`);
