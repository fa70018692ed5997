/**
 * Writes execution records without slowing requests down: records queue in
 * memory and are inserted in batches (every 250 ms or 200 records, whichever
 * comes first) by one background flush. A failed batch is logged with its ids
 * and dropped — the request it describes already got its answer.
 */
import type { Db } from "../db/client.js";
import type { Logger } from "../lib/logger.js";
import { executions } from "./schema.js";

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
          await this.db.insert(executions).values(batch).onConflictDoNothing();
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
