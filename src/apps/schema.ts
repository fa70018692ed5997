/** Tables of the apps area: apps (tenants), their domains and their members. */
import { sql } from "drizzle-orm";
import { check, index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { adminUsers } from "../auth/schema.js";

export const APP_ROLES = ["viewer", "editor", "app_admin"] as const;
export type AppRole = (typeof APP_ROLES)[number];

export const apps = pgTable("apps", {
  id: uuid("id").primaryKey(),
  slug: text("slug").notNull().unique("apps_slug_unique"),
  name: text("name").notNull(),
  /** Plain variables (`[vars]` of picloud.toml) handed to scripts as env.NAME. */
  vars: jsonb("vars").$type<Record<string, string>>().notNull().default({}),
  /**
   * Hosts, addresses and CIDRs this app's scripts may fetch although the SSRF
   * guard refuses them otherwise (a NAS on the LAN). Set by instance admins.
   */
  fetchAllow: text("fetch_allow").array().notNull().default(sql`'{}'::text[]`),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const appDomains = pgTable(
  "app_domains",
  {
    id: uuid("id").primaryKey(),
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    /** Lower-cased; an exact host or a wildcard `*.example.com`. Unique across the instance. */
    hostname: text("hostname").notNull().unique("app_domains_hostname_unique"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("app_domains_app_idx").on(t.appId)],
);

export const appMembers = pgTable(
  "app_members",
  {
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => adminUsers.id, { onDelete: "cascade" }),
    role: text("role").$type<AppRole>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: "app_members_pk", columns: [t.appId, t.userId] }),
    index("app_members_user_idx").on(t.userId),
    check("app_members_role_check", sql`${t.role} in ('viewer', 'editor', 'app_admin')`),
  ],
);
