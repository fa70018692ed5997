/**
 * env.files: blobs by path (SPEC §3.3). Metadata (path, size, etag, content
 * type, blob key) is a row of the files table; the bytes sit in a BlobStore
 * under a fresh key per write. A put writes the blob first, then upserts the
 * row and enqueues `files` events in one transaction, then removes the
 * previous blob; if the transaction fails the new blob is removed. A crash in
 * between leaves an unreferenced blob, which `sweep` removes after a grace
 * period, with stale temp files.
 */
import { and, asc, eq, gt, gte, inArray, lt, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client.js";
import type { EventFanout } from "../../events/fanout.js";
import { type DataOp, filesEventMatches } from "../../events/trigger-config.js";
import type { Logger } from "../../lib/logger.js";
import type { WriteOrigin } from "../index.js";
import { prefixRange } from "../key-range.js";
import type { BlobStore } from "./blob-store.js";
import { files } from "./schema.js";

export interface FileInfo {
  path: string;
  size: number;
  etag: string;
  contentType: string;
  /** ISO 8601. */
  updatedAt: string;
}

export interface FileContent extends FileInfo {
  body: Uint8Array;
}

export interface FileListResult {
  items: FileInfo[];
  /** The last path of this page when there are more, else null. */
  cursor: string | null;
}

type Row = typeof files.$inferSelect;
type Meta = Pick<Row, "size" | "etag" | "contentType" | "blob">;

const info = (r: Pick<Row, "path" | "size" | "etag" | "contentType" | "updatedAt">): FileInfo => ({
  path: r.path,
  size: r.size,
  etag: r.etag,
  contentType: r.contentType,
  updatedAt: r.updatedAt.toISOString(),
});
const prevOf = (m: Meta | undefined) =>
  m ? { size: m.size, etag: m.etag, contentType: m.contentType } : null;
const columns = {
  path: files.path,
  size: files.size,
  etag: files.etag,
  contentType: files.contentType,
  blob: files.blob,
  updatedAt: files.updatedAt,
};

export class FilesService {
  /**
   * The row of a path, as a prepared statement: on postgres-js an unprepared
   * drizzle query is parsed and planned every time, ~5× the cost of this
   * lookup (bench/files.mjs), and head/get are the hot path.
   */
  private readonly byPath;

  constructor(
    private readonly db: Db,
    private readonly fanout: EventFanout,
    readonly store: BlobStore,
    private readonly log: Logger,
    readonly maxFileBytes: number,
  ) {
    this.byPath = db
      .select(columns)
      .from(files)
      .where(and(eq(files.appId, sql.placeholder("appId")), eq(files.path, sql.placeholder("path"))))
      .prepare("files_by_path");
  }

  private where(appId: string, path: string) {
    return and(eq(files.appId, appId), eq(files.path, path));
  }

  async head(appId: string, path: string): Promise<FileInfo | null> {
    const [row] = await this.byPath.execute({ appId, path });
    return row ? info(row) : null;
  }

  async get(appId: string, path: string): Promise<FileContent | null> {
    // A concurrent put may replace the row and remove the blob between our two reads: read the row again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const [row] = await this.byPath.execute({ appId, path });
      if (!row) return null;
      const body = await this.store.read(appId, row.blob);
      if (body) return { ...info(row), body };
    }
    this.log.error({ appId, path }, "file row points at a missing blob");
    throw new Error("file content is missing from storage");
  }

  /** Stores the bytes at `path`; `created` is false when it replaced a file. */
  async put(
    ctx: WriteOrigin,
    path: string,
    bytes: Uint8Array,
    contentType: string,
  ): Promise<{ file: FileInfo; created: boolean }> {
    if (bytes.byteLength > this.maxFileBytes)
      throw new RangeError(`file is ${bytes.byteLength} bytes; the limit is ${this.maxFileBytes}`);
    const watching = await this.fanout.matching(
      ctx.appId,
      "files",
      (t) => filesEventMatches(t.config, path, "insert") || filesEventMatches(t.config, path, "update"),
    );
    const blob = await this.store.write(ctx.appId, bytes);
    let emitted = 0;
    let outcome: { prev: Meta | undefined; updatedAt: Date };
    try {
      outcome = await this.db.transaction(async (tx) => {
        const meta = { size: blob.size, etag: blob.etag, contentType, blob: blob.key };
        const done = await this.upsert(tx, ctx.appId, path, meta);
        const op: DataOp = done.prev ? "update" : "insert";
        emitted = await this.fanout.emit(
          tx,
          ctx,
          watching.filter((t) => filesEventMatches(t.config, path, op)),
          {
            source: "files",
            op,
            path,
            size: blob.size,
            etag: blob.etag,
            contentType,
            prev: prevOf(done.prev),
          },
        );
        return done;
      });
    } catch (err) {
      await this.discard(ctx.appId, blob.key);
      throw err;
    }
    if (emitted > 0) this.fanout.signal.committed();
    if (outcome.prev) await this.removeBlob(ctx.appId, outcome.prev.blob);
    return {
      file: info({ path, size: blob.size, etag: blob.etag, contentType, updatedAt: outcome.updatedAt }),
      created: !outcome.prev,
    };
  }

  /** True when the file existed. */
  async delete(ctx: WriteOrigin, path: string): Promise<boolean> {
    const watching = await this.fanout.matching(ctx.appId, "files", (t) =>
      filesEventMatches(t.config, path, "delete"),
    );
    const remove = (t: Db | Tx) =>
      t
        .delete(files)
        .where(this.where(ctx.appId, path))
        .returning({ size: files.size, etag: files.etag, contentType: files.contentType, blob: files.blob });
    let gone: Meta | undefined;
    let emitted = 0;
    if (watching.length === 0) [gone] = await remove(this.db);
    else
      gone = await this.db.transaction(async (tx) => {
        const [row] = await remove(tx);
        if (row)
          emitted = await this.fanout.emit(tx, ctx, watching, {
            source: "files",
            op: "delete",
            path,
            size: null,
            etag: null,
            contentType: null,
            prev: prevOf(row),
          });
        return row;
      });
    if (emitted > 0) this.fanout.signal.committed();
    if (!gone) return false;
    await this.removeBlob(ctx.appId, gone.blob);
    return true;
  }

  async list(
    appId: string,
    opts: { prefix?: string; after?: string; limit: number },
  ): Promise<FileListResult> {
    const conditions = [eq(files.appId, appId)];
    if (opts.prefix) {
      const range = prefixRange(opts.prefix);
      conditions.push(gte(files.path, range.from));
      if (range.to !== null) conditions.push(lt(files.path, range.to));
    }
    if (opts.after !== undefined) conditions.push(gt(files.path, opts.after));
    const rows = await this.db
      .select(columns)
      .from(files)
      .where(and(...conditions))
      .orderBy(asc(files.path))
      .limit(opts.limit + 1);
    const items = rows.slice(0, opts.limit).map(info);
    return { items, cursor: rows.length > opts.limit ? items[items.length - 1]!.path : null };
  }

  /**
   * Removes temp files of interrupted writes and blobs no row refers to (a
   * crash between the blob write and the commit, a failed removal, a deleted
   * app), each older than its grace period so writes in flight are never hit.
   */
  async sweep(opts: { tempOlderThanMs: number; orphanOlderThanMs: number }): Promise<{
    temp: number;
    orphans: number;
  }> {
    const temp = await this.store.sweepTemp(opts.tempOlderThanMs);
    let orphans = 0;
    const before = new Date(Date.now() - opts.orphanOlderThanMs);
    for await (const batch of this.store.scan(before, 500)) {
      const byApp = new Map<string, string[]>();
      for (const b of batch) byApp.set(b.appId, [...(byApp.get(b.appId) ?? []), b.key]);
      for (const [appId, keys] of byApp) {
        const used = await this.db
          .select({ blob: files.blob })
          .from(files)
          .where(and(eq(files.appId, appId), inArray(files.blob, keys)));
        const keep = new Set(used.map((r) => r.blob));
        for (const key of keys) {
          if (keep.has(key)) continue;
          await this.store.remove(appId, key);
          orphans++;
        }
      }
    }
    return { temp, orphans };
  }

  /**
   * Inserts or updates the row, returning the previous metadata (locked). An
   * insert that loses a race to a concurrent insert of the same path locks
   * and updates that row instead, so its blob is never lost track of.
   */
  private async upsert(
    tx: Tx,
    appId: string,
    path: string,
    meta: Meta,
  ): Promise<{ prev: Meta | undefined; updatedAt: Date }> {
    for (let attempt = 0; ; attempt++) {
      const [prev] = await tx
        .select({ size: files.size, etag: files.etag, contentType: files.contentType, blob: files.blob })
        .from(files)
        .where(this.where(appId, path))
        .for("update");
      if (prev) {
        const [row] = await tx
          .update(files)
          .set({ ...meta, updatedAt: sql`now()` })
          .where(this.where(appId, path))
          .returning({ updatedAt: files.updatedAt });
        return { prev, updatedAt: row!.updatedAt };
      }
      const [row] = await tx
        .insert(files)
        .values({ appId, path, ...meta })
        .onConflictDoNothing({ target: [files.appId, files.path] })
        .returning({ updatedAt: files.updatedAt });
      if (row) return { prev: undefined, updatedAt: row.updatedAt };
      if (attempt >= 3) throw new Error("file write kept conflicting with concurrent writes");
    }
  }

  /** After a failed put: remove the new blob unless the commit went through after all (a lost reply). */
  private async discard(appId: string, key: string): Promise<void> {
    try {
      const [row] = await this.db
        .select({ path: files.path })
        .from(files)
        .where(and(eq(files.appId, appId), eq(files.blob, key)));
      if (!row) await this.store.remove(appId, key);
    } catch (err) {
      this.log.warn(
        { appId, blob: key, err: String(err) },
        "could not remove the blob of a failed write; the sweep will",
      );
    }
  }

  private async removeBlob(appId: string, key: string): Promise<void> {
    try {
      await this.store.remove(appId, key);
    } catch (err) {
      this.log.warn(
        { appId, blob: key, err: String(err) },
        "could not remove a replaced blob; the sweep will",
      );
    }
  }
}
