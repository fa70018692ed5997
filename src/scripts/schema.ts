/** Tables of the scripts area: scripts, their immutable versions, and the HTTP routes that point at them. */
import { sql } from "drizzle-orm";
import { check, index, integer, jsonb, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { apps } from "../apps/schema.js";

export const SCRIPT_KINDS = ["handler", "module"] as const;
export type ScriptKind = (typeof SCRIPT_KINDS)[number];
export const ISOLATIONS = ["none", "script"] as const;
export type Isolation = (typeof ISOLATIONS)[number];
export const DISPATCH_MODES = ["sync", "async"] as const;
export type DispatchMode = (typeof DISPATCH_MODES)[number];

/** Per-script limits; absent fields take the instance defaults, all are clamped to the instance ceilings. */
export interface ScriptLimits {
  timeMs?: number;
  memoryMb?: number;
}

export const scripts = pgTable(
  "scripts",
  {
    id: uuid("id").primaryKey(),
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    kind: text("kind").$type<ScriptKind>().notNull(),
    isolation: text("isolation").$type<Isolation>().notNull().default("none"),
    limits: jsonb("limits").$type<ScriptLimits>().notNull().default({}),
    /** The version that runs; versions are never edited, a rollback moves this pointer. */
    currentVersionId: uuid("current_version_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique("scripts_app_name_unique").on(t.appId, t.name),
    check("scripts_kind_check", sql`${t.kind} in ('handler', 'module')`),
    check("scripts_isolation_check", sql`${t.isolation} in ('none', 'script')`),
  ],
);

export const scriptVersions = pgTable(
  "script_versions",
  {
    id: uuid("id").primaryKey(),
    scriptId: uuid("script_id")
      .notNull()
      .references(() => scripts.id, { onDelete: "cascade" }),
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    /** 1, 2, 3… per script. */
    version: integer("version").notNull(),
    source: text("source").notNull(),
    /** SHA-256 of the source: a deploy of identical code makes no new version. */
    sourceHash: text("source_hash").notNull(),
    /**
     * The module versions this version imports, resolved (transitively) when it
     * was created: module name → script version id. Pinned, so editing a module
     * changes a handler only when the handler is deployed again.
     */
    modules: jsonb("modules").$type<Record<string, string>>().notNull().default({}),
    createdBy: uuid("created_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("script_versions_script_version_unique").on(t.scriptId, t.version)],
);

export const routes = pgTable(
  "routes",
  {
    id: uuid("id").primaryKey(),
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    scriptId: uuid("script_id")
      .notNull()
      .references(() => scripts.id, { onDelete: "cascade" }),
    /** Upper-case methods; empty means any method. */
    methods: text("methods").array().notNull(),
    /** `/exact`, `/users/:id`, `/api/*`. */
    path: text("path").notNull(),
    /** null: any host of the app; else exact (`api.example.com`) or wildcard (`*.example.com`). */
    host: text("host"),
    dispatch: text("dispatch").$type<DispatchMode>().notNull().default("sync"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("routes_app_idx").on(t.appId),
    index("routes_script_idx").on(t.scriptId),
    check("routes_dispatch_check", sql`${t.dispatch} in ('sync', 'async')`),
  ],
);
