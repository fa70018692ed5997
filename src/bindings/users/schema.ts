/**
 * End users of an app (SPEC §3.8): the app's own accounts, separate from the
 * instance's admin users. Every table carries `app_id` and every query filters
 * by it, so two apps never see each other's users. Session and one-time tokens
 * are stored as SHA-256 digests only; the raw token lives with the client.
 */
import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  index,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { apps } from "../../apps/schema.js";

export const appUsers = pgTable(
  "app_users",
  {
    id: uuid("id").primaryKey(),
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    /** Normalized once on the way in (NFKC, trimmed, lower case): see email.ts. */
    email: text("email").notNull(),
    /** Argon2id; null for an invited user who has not accepted yet. */
    passwordHash: text("password_hash"),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
    roles: jsonb("roles").$type<string[]>().notNull().default([]),
    verifiedAt: timestamp("verified_at", { withTimezone: true }),
    disabled: boolean("disabled").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("app_users_app_email_idx").on(t.appId, t.email),
    index("app_users_app_idx").on(t.appId, t.id),
  ],
);

export const appUserSessions = pgTable(
  "app_user_sessions",
  {
    /** SHA-256 hex of the session token. */
    id: text("id").primaryKey(),
    appId: uuid("app_id").notNull(),
    userId: uuid("user_id")
      .notNull()
      .references(() => appUsers.id, { onDelete: "cascade" }),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("app_user_sessions_user_idx").on(t.userId),
    index("app_user_sessions_expiry_idx").on(t.expiresAt),
  ],
);

export const USER_TOKEN_PURPOSES = ["verify", "reset", "invite"] as const;
export type UserTokenPurpose = (typeof USER_TOKEN_PURPOSES)[number];

/** One-time tokens of the e-mail flows: single use (`used_at`), with an expiry. */
export const appUserTokens = pgTable(
  "app_user_tokens",
  {
    /** SHA-256 hex of the token. */
    id: text("id").primaryKey(),
    appId: uuid("app_id").notNull(),
    userId: uuid("user_id")
      .notNull()
      .references(() => appUsers.id, { onDelete: "cascade" }),
    purpose: text("purpose").$type<UserTokenPurpose>().notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("app_user_tokens_user_idx").on(t.userId),
    check("app_user_tokens_purpose_check", sql`${t.purpose} in ('verify', 'reset', 'invite')`),
  ],
);

/** A mail of one flow: `{{link}}` in subject or text is replaced by the flow's link. */
export interface UserMailTemplate {
  subject: string;
  text: string;
}

/** Per-app settings of end users, set by `[users]` of picloud.toml; an app without a row has the defaults. */
export const appUserSettings = pgTable("app_user_settings", {
  appId: uuid("app_id")
    .primaryKey()
    .references(() => apps.id, { onDelete: "cascade" }),
  /** The built-in /auth/* endpoints on the app's host. */
  endpoints: boolean("endpoints").notNull().default(false),
  /** Where the links in mails point ("https://blog.example.com/account"); null: the app's own host. */
  linkBaseUrl: text("link_base_url"),
  /** `from` of the mails; null: the app's first allowed sender. */
  mailFrom: text("mail_from"),
  templates: jsonb("templates")
    .$type<Partial<Record<UserTokenPurpose, UserMailTemplate>>>()
    .notNull()
    .default({}),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
