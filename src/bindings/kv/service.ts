/**
 * env.kv: JSON values by collection and key, with optional expiry (SPEC §3.1).
 * A write whose collection no trigger watches is one statement; otherwise the
 * previous value is read under a row lock and the write plus its events commit
 * in one transaction. Expired entries read as absent at once.
 */
import { and, asc, eq, gt, gte, isNull, lt, or, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../../db/client.js";
import { jsonbValue } from "../../db/jsonb.js";
import type { EventFanout } from "../../events/fanout.js";
import { type DataOp, dataEventMatches } from "../../events/trigger-config.js";
import type { WriteOrigin } from "../index.js";

import { prefixRange } from "../key-range.js";
import { kvEntries } from "./schema.js";

const live = () => or(isNull(kvEntries.expiresAt), gt(kvEntries.expiresAt, sql`now()`));

export interface KvListResult {
  items: { key: string; value: unknown }[];
  cursor: string | null;
}

export class KvService {
  constructor(
    private readonly db: Db,
    private readonly fanout: EventFanout,
  ) {}

  private where(appId: string, collection: string, key: string) {
    return and(eq(kvEntries.appId, appId), eq(kvEntries.collection, collection), eq(kvEntries.key, key));
  }

  async get(appId: string, collection: string, key: string): Promise<unknown | null> {
    const [row] = await this.db
      .select({ value: kvEntries.value })
      .from(kvEntries)
      .where(and(this.where(appId, collection, key), live()));
    return row ? row.value : null;
  }

  async has(appId: string, collection: string, key: string): Promise<boolean> {
    const [row] = await this.db
      .select({ one: sql`1` })
      .from(kvEntries)
      .where(and(this.where(appId, collection, key), live()));
    return row !== undefined;
  }

  async set(
    ctx: WriteOrigin,
    collection: string,
    key: string,
    value: unknown,
    ttlSeconds?: number,
  ): Promise<void> {
    const stored = jsonbValue(value);
    const expiresAt = ttlSeconds ? new Date(Date.now() + ttlSeconds * 1000) : null;
    const upsert = (t: DbOrTx) =>
      t
        .insert(kvEntries)
        .values({ appId: ctx.appId, collection, key, value: stored, expiresAt })
        .onConflictDoUpdate({
          target: [kvEntries.appId, kvEntries.collection, kvEntries.key],
          set: { value: stored, expiresAt, updatedAt: sql`now()` },
        });
    const watching = await this.fanout.matching(ctx.appId, "kv", (t) => globOnly(t.config, collection));
    if (watching.length === 0) {
      await upsert(this.db);
      return;
    }
    const emitted = await this.db.transaction(async (tx) => {
      const prev = await this.lockPrevious(tx, ctx.appId, collection, key);
      await upsert(tx);
      const op: DataOp = prev === undefined ? "insert" : "update";
      return this.fanout.emit(
        tx,
        ctx,
        watching.filter((t) => dataEventMatches(t.config, collection, op)),
        { source: "kv", op, collection, key, value, prevValue: prev ?? null },
      );
    });
    if (emitted > 0) this.fanout.signal.committed();
  }

  /** True when a live entry existed. */
  async delete(ctx: WriteOrigin, collection: string, key: string): Promise<boolean> {
    const watching = await this.fanout.matching(ctx.appId, "kv", (t) =>
      dataEventMatches(t.config, collection, "delete"),
    );
    if (watching.length === 0) {
      const gone = await this.db
        .delete(kvEntries)
        .where(this.where(ctx.appId, collection, key))
        .returning({ live: sql<boolean>`${kvEntries.expiresAt} is null or ${kvEntries.expiresAt} > now()` });
      return gone[0]?.live === true;
    }
    let emitted = 0;
    const existed = await this.db.transaction(async (tx) => {
      const prev = await this.lockPrevious(tx, ctx.appId, collection, key);
      await tx.delete(kvEntries).where(this.where(ctx.appId, collection, key));
      if (prev === undefined) return false;
      emitted = await this.fanout.emit(tx, ctx, watching, {
        source: "kv",
        op: "delete",
        collection,
        key,
        prevValue: prev,
      });
      return true;
    });
    if (emitted > 0) this.fanout.signal.committed();
    return existed;
  }

  async list(
    appId: string,
    collection: string,
    opts: { prefix?: string; after?: string; limit: number },
  ): Promise<KvListResult> {
    const conditions = [eq(kvEntries.appId, appId), eq(kvEntries.collection, collection), live()];
    if (opts.prefix) {
      const range = prefixRange(opts.prefix);
      conditions.push(gte(kvEntries.key, range.from));
      if (range.to !== null) conditions.push(lt(kvEntries.key, range.to));
    }
    if (opts.after !== undefined) conditions.push(gt(kvEntries.key, opts.after));
    const rows = await this.db
      .select({ key: kvEntries.key, value: kvEntries.value })
      .from(kvEntries)
      .where(and(...conditions))
      .orderBy(asc(kvEntries.key))
      .limit(opts.limit + 1);
    const items = rows.slice(0, opts.limit);
    return { items, cursor: rows.length > opts.limit ? items[items.length - 1]!.key : null };
  }

  /** The collections holding live entries, by name, with how many each (at most `limit` collections). */
  async collections(appId: string, limit: number): Promise<{ name: string; keys: number }[]> {
    const rows = await this.db
      .select({ name: kvEntries.collection, keys: sql<number>`count(*)::int` })
      .from(kvEntries)
      .where(and(eq(kvEntries.appId, appId), live()))
      .groupBy(kvEntries.collection)
      .orderBy(asc(kvEntries.collection))
      .limit(limit);
    return rows.map((r) => ({ name: r.name, keys: Number(r.keys) }));
  }

  /** The live previous value under a row lock (undefined when absent or expired). */
  private async lockPrevious(
    tx: DbOrTx,
    appId: string,
    collection: string,
    key: string,
  ): Promise<unknown | undefined> {
    const [row] = await tx
      .select({
        value: kvEntries.value,
        live: sql<boolean>`${kvEntries.expiresAt} is null or ${kvEntries.expiresAt} > now()`,
      })
      .from(kvEntries)
      .where(this.where(appId, collection, key))
      .for("update");
    return row?.live ? row.value : undefined;
  }

  /** Deletes expired entries in bounded batches (retention sweep); returns how many. */
  async sweepExpired(batchSize = 1000, maxBatches = 20): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const gone = await this.db.execute(sql`
        with doomed as (
          select app_id, collection, key from ${kvEntries}
          where ${kvEntries.expiresAt} < now() limit ${batchSize}
        )
        delete from ${kvEntries} k using doomed d
        where k.app_id = d.app_id and k.collection = d.collection and k.key = d.key
        returning 1`);
      const n = resultRows(gone).length;
      total += n;
      if (n < batchSize) break;
    }
    return total;
  }
}

/** A trigger watches the collection for some op (the op is decided after reading the previous value). */
function globOnly(config: Record<string, unknown>, collection: string): boolean {
  return (["insert", "update"] as const).some((op) => dataEventMatches(config, collection, op));
}

/** The rows of a raw statement's result on either driver (postgres-js: an array; PGlite: `{rows}`). */
export function resultRows(result: unknown): unknown[] {
  return Array.isArray(result) ? result : ((result as { rows?: unknown[] }).rows ?? []);
}
