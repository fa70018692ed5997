/**
 * The files table: one row of metadata per app and path. The bytes live in a
 * BlobStore under `blob` (a key the store chose), never under the script's path.
 */
import { bigint, customType, pgTable, primaryKey, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { apps } from "../../apps/schema.js";

/** Paths order bytewise (COLLATE "C"), the same on every server, so list() pages and prefixes are stable. */
const bytewiseText = customType<{ data: string }>({ dataType: () => 'text collate "C"' });

export const files = pgTable(
  "files",
  {
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    path: bytewiseText("path").notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    etag: text("etag").notNull(),
    contentType: text("content_type").notNull(),
    /** The BlobStore key of the current bytes; each write gets a fresh one. */
    blob: text("blob").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: "files_pk", columns: [t.appId, t.path] }),
    // The orphan sweep asks "which of these keys does a row still use?"; no two rows share bytes.
    unique("files_blob_unique").on(t.appId, t.blob),
  ],
);
