/** Deletes delivered (or dead) outbox rows past their retention, in bounded batches. */
import { and, lt, ne } from "drizzle-orm";
import { deleteInBatches } from "../db/batched-delete.js";
import type { Db } from "../db/client.js";
import { outbox } from "./schema.js";

export function sweepOutbox(
  db: Db,
  finishedBefore: Date,
  batchSize = 1000,
  maxBatches = 20,
): Promise<number> {
  return deleteInBatches(db, {
    table: outbox,
    id: outbox.id,
    where: and(ne(outbox.status, "pending"), lt(outbox.finishedAt, finishedBefore)),
    batchSize,
    maxBatches,
  });
}
