/** Deletes execution records past the retention period, in bounded batches so no sweep holds a long lock. */
import { lt } from "drizzle-orm";
import { deleteInBatches } from "../db/batched-delete.js";
import type { Db } from "../db/client.js";
import { executions } from "./schema.js";

/** Deletes up to `maxBatches` batches of records older than `before`; returns how many went. */
export function sweepExecutions(db: Db, before: Date, batchSize = 1000, maxBatches = 20): Promise<number> {
  return deleteInBatches(db, {
    table: executions,
    id: executions.id,
    where: lt(executions.startedAt, before),
    batchSize,
    maxBatches,
  });
}
