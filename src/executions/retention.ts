/** Deletes execution records past the retention period, in bounded batches so no sweep holds a long lock. */
import { inArray, lt } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { executions } from "./schema.js";

/** Deletes up to `maxBatches` batches of records older than `before`; returns how many went. */
export async function sweepExecutions(
  db: Db,
  before: Date,
  batchSize = 1000,
  maxBatches = 20,
): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const ids = db
      .select({ id: executions.id })
      .from(executions)
      .where(lt(executions.startedAt, before))
      .limit(batchSize);
    const gone = await db
      .delete(executions)
      .where(inArray(executions.id, ids))
      .returning({ id: executions.id });
    total += gone.length;
    if (gone.length < batchSize) break;
  }
  return total;
}
