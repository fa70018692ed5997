/** Deletes delivered (or dead) outbox rows past their retention, in bounded batches. */
import { and, inArray, lt, ne } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { outbox } from "./schema.js";

export async function sweepOutbox(
  db: Db,
  finishedBefore: Date,
  batchSize = 1000,
  maxBatches = 20,
): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const ids = db
      .select({ id: outbox.id })
      .from(outbox)
      .where(and(ne(outbox.status, "pending"), lt(outbox.finishedAt, finishedBefore)))
      .limit(batchSize);
    const gone = await db.delete(outbox).where(inArray(outbox.id, ids)).returning({ id: outbox.id });
    total += gone.length;
    if (gone.length < batchSize) break;
  }
  return total;
}
