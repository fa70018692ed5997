/**
 * Retention sweeps delete old rows in bounded batches, so no sweep holds locks
 * (or PGlite's one connection) for long and a huge backlog is worked off over
 * several runs.
 */
import { inArray, type SQL } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Db } from "./client.js";

export interface BatchedDelete {
  table: PgTable;
  /** A unique column identifying the rows (the primary key). */
  id: PgColumn;
  /** Which rows may go. */
  where: SQL | undefined;
  batchSize?: number;
  maxBatches?: number;
}

/** Deletes up to `batchSize × maxBatches` matching rows; returns how many went. */
export async function deleteInBatches(db: Db, d: BatchedDelete): Promise<number> {
  const batchSize = d.batchSize ?? 1000;
  const maxBatches = d.maxBatches ?? 20;
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const ids = db.select({ id: d.id }).from(d.table).where(d.where).limit(batchSize);
    const gone = await db.delete(d.table).where(inArray(d.id, ids)).returning({ id: d.id });
    total += gone.length;
    if (gone.length < batchSize) break;
  }
  return total;
}
