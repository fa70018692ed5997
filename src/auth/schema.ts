/** Tables of the auth area: admin users, their sessions and API keys, the first-start setup token, login throttling. */
import { sql } from "drizzle-orm";
import { boolean, check, index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { apps } from "../apps/schema.js";

export const INSTANCE_ROLES = ["owner", "admin", "member"] as const;
export type InstanceRole = (typeof INSTANCE_ROLES)[number];

export const adminUsers = pgTable(
  "admin_users",
  {
    id: uuid("id").primaryKey(),
    /** Stored lower-cased; unique across the instance. */
    email: text("email").notNull().unique("admin_users_email_unique"),
    passwordHash: text("password_hash").notNull(),
    role: text("role").$type<InstanceRole>().notNull(),
    active: boolean("active").notNull().default(true),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    lastLoginAt: timestamp("last_login_at", { withTimezone: true }),
  },
  (t) => [check("admin_users_role_check", sql`${t.role} in ('owner', 'admin', 'member')`)],
);

export const adminSessions = pgTable(
  "admin_sessions",
  {
    /** SHA-256 of the session token (hex): the token itself is never stored. */
    id: text("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => adminUsers.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    userAgent: text("user_agent"),
  },
  (t) => [index("admin_sessions_user_idx").on(t.userId), index("admin_sessions_expires_idx").on(t.expiresAt)],
);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => adminUsers.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** The first characters of the token after `pic_`: looked up by index, then the Argon2id hash is verified. */
    prefix: text("prefix").notNull().unique("api_keys_prefix_unique"),
    hash: text("hash").notNull(),
    scopes: text("scopes").array().notNull(),
    appId: uuid("app_id").references(() => apps.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [index("api_keys_user_idx").on(t.userId)],
);

/** The one-time token printed at first start when no owner is configured. */
export const setupTokens = pgTable("setup_tokens", {
  /** SHA-256 of the token (hex). */
  id: text("id").primaryKey(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  usedAt: timestamp("used_at", { withTimezone: true }),
});

/** Failed-login counters per e-mail and per client address, shared by every process. */
export const loginThrottle = pgTable("login_throttle", {
  key: text("key").primaryKey(),
  failures: integer("failures").notNull(),
  windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
  lockedUntil: timestamp("locked_until", { withTimezone: true }),
});
