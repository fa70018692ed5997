/**
 * env.docs: JSON documents per collection with the filter DSL (SPEC §3.2).
 * Writes that no trigger watches are single statements; otherwise the
 * previous document is read under a row lock and the write plus its `docs`
 * events (with prevData) commit in one transaction.
 */
import { and, count, eq, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../../db/client.js";
import type { EventFanout } from "../../events/fanout.js";
import { dataEventMatches } from "../../events/trigger-config.js";
import { uuidv7 } from "../../lib/ids.js";
import type { WriteOrigin } from "../index.js";

import { compileFilter, compileFind } from "./filter.js";
import { documents } from "./schema.js";

export interface StoredDocument {
  id: string;
  data: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

type Row = typeof documents.$inferSelect;
const view = (r: Pick<Row, "id" | "data" | "createdAt" | "updatedAt">): StoredDocument => ({
  id: r.id,
  data: r.data,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

export class DocsService {
  constructor(
    private readonly db: Db,
    private readonly fanout: EventFanout,
  ) {}

  private where(appId: string, collection: string, id: string) {
    return and(eq(documents.appId, appId), eq(documents.collection, collection), eq(documents.id, id));
  }

  async get(appId: string, collection: string, id: string): Promise<StoredDocument | null> {
    const [row] = await this.db
      .select()
      .from(documents)
      .where(this.where(appId, collection, id));
    return row ? view(row) : null;
  }

  async insert(ctx: WriteOrigin, collection: string, data: Record<string, unknown>): Promise<string> {
    const id = uuidv7();
    const watching = await this.fanout.matching(ctx.appId, "docs", (t) =>
      dataEventMatches(t.config, collection, "insert"),
    );
    const insert = (t: DbOrTx) => t.insert(documents).values({ appId: ctx.appId, collection, id, data });
    if (watching.length === 0) {
      await insert(this.db);
      return id;
    }
    const emitted = await this.db.transaction(async (tx) => {
      await insert(tx);
      return this.fanout.emit(tx, ctx, watching, {
        source: "docs",
        op: "insert",
        collection,
        docId: id,
        data,
        prevData: null,
      });
    });
    if (emitted > 0) this.fanout.signal.committed();
    return id;
  }

  /** Shallow-merges `patch` (merge) or replaces the whole document; null when it does not exist. */
  async write(
    ctx: WriteOrigin,
    collection: string,
    id: string,
    data: Record<string, unknown>,
    mode: "merge" | "replace",
  ): Promise<StoredDocument | null> {
    const json = JSON.stringify(data);
    const next = mode === "merge" ? sql`${documents.data} || ${json}::jsonb` : sql`${json}::jsonb`;
    const update = (t: DbOrTx) =>
      t
        .update(documents)
        .set({ data: next, updatedAt: sql`now()` })
        .where(this.where(ctx.appId, collection, id))
        .returning();
    const watching = await this.fanout.matching(ctx.appId, "docs", (t) =>
      dataEventMatches(t.config, collection, "update"),
    );
    if (watching.length === 0) {
      const [row] = await update(this.db);
      return row ? view(row) : null;
    }
    let emitted = 0;
    const result = await this.db.transaction(async (tx) => {
      const prev = await this.lock(tx, ctx.appId, collection, id);
      if (!prev) return null;
      const [row] = await update(tx);
      emitted = await this.fanout.emit(tx, ctx, watching, {
        source: "docs",
        op: "update",
        collection,
        docId: id,
        data: row!.data,
        prevData: prev.data,
      });
      return view(row!);
    });
    if (emitted > 0) this.fanout.signal.committed();
    return result;
  }

  /** True when the document existed. */
  async delete(ctx: WriteOrigin, collection: string, id: string): Promise<boolean> {
    const watching = await this.fanout.matching(ctx.appId, "docs", (t) =>
      dataEventMatches(t.config, collection, "delete"),
    );
    if (watching.length === 0) {
      const gone = await this.db
        .delete(documents)
        .where(this.where(ctx.appId, collection, id))
        .returning({ id: documents.id });
      return gone.length > 0;
    }
    let emitted = 0;
    const existed = await this.db.transaction(async (tx) => {
      const prev = await this.lock(tx, ctx.appId, collection, id);
      if (!prev) return false;
      await tx.delete(documents).where(this.where(ctx.appId, collection, id));
      emitted = await this.fanout.emit(tx, ctx, watching, {
        source: "docs",
        op: "delete",
        collection,
        docId: id,
        prevData: prev.data,
      });
      return true;
    });
    if (emitted > 0) this.fanout.signal.committed();
    return existed;
  }

  async find(
    appId: string,
    collection: string,
    opts: { filter: unknown; sort?: unknown; limit?: unknown; cursor?: unknown },
  ): Promise<{ items: StoredDocument[]; cursor: string | null }> {
    const q = compileFind(opts);
    const rows = await this.db
      .select()
      .from(documents)
      .where(and(eq(documents.appId, appId), eq(documents.collection, collection), q.where))
      .orderBy(...q.orderBy)
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    return {
      items: page.map(view),
      cursor: rows.length > q.limit ? q.cursorFor(page[page.length - 1]!) : null,
    };
  }

  async count(appId: string, collection: string, filter: unknown): Promise<number> {
    const where = compileFilter(filter);
    const [row] = await this.db
      .select({ n: count() })
      .from(documents)
      .where(and(eq(documents.appId, appId), eq(documents.collection, collection), where));
    return Number(row?.n ?? 0);
  }

  private async lock(tx: DbOrTx, appId: string, collection: string, id: string) {
    const [row] = await tx
      .select({ data: documents.data })
      .from(documents)
      .where(this.where(appId, collection, id))
      .for("update");
    return row;
  }
}
