/** The documents table: JSON objects per app and collection, found by id or by the filter DSL (filter.ts). */
import { index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { apps } from "../../apps/schema.js";

export const documents = pgTable(
  "documents",
  {
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    collection: text("collection").notNull(),
    id: uuid("id").notNull(),
    data: jsonb("data").$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: "documents_pk", columns: [t.appId, t.collection, t.id] }),
    // jsonb_path_ops: small and fast for the containment (@>) that equality filters compile to.
    index("documents_data_gin").using("gin", t.data.op("jsonb_path_ops")),
  ],
);
