/** The KV table: JSON values per app, collection and key, with an optional expiry. */
import { sql } from "drizzle-orm";
import { customType, index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { apps } from "../../apps/schema.js";

/** Keys order bytewise (COLLATE "C"), the same on every server, so list() pages and prefixes are stable. */
const bytewiseText = customType<{ data: string }>({ dataType: () => 'text collate "C"' });

export const kvEntries = pgTable(
  "kv_entries",
  {
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    collection: text("collection").notNull(),
    key: bytewiseText("key").notNull(),
    value: jsonb("value").notNull(),
    /** null: never expires. Expired entries read as absent at once and are swept later. */
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: "kv_entries_pk", columns: [t.appId, t.collection, t.key] }),
    index("kv_entries_expires_idx").on(t.expiresAt).where(sql`${t.expiresAt} is not null`),
  ],
);
