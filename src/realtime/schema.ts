/**
 * Tables of the realtime area: topics an app exposes to browsers, each app's
 * signing key for subscriber tokens, and the recent messages kept for
 * `Last-Event-ID` resume.
 */
import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  index,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { apps } from "../apps/schema.js";

export const TOPIC_AUTH = ["public", "token", "session"] as const;
export type TopicAuth = (typeof TOPIC_AUTH)[number];

export const topics = pgTable(
  "topics",
  {
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** Only external topics can be subscribed to from outside (SSE); others are internal pub/sub. */
    external: boolean("external").notNull().default(false),
    auth: text("auth").$type<TopicAuth>().notNull().default("token"),
    /** With auth "session": the end-user role a subscriber must have (null: any signed-in user). */
    role: text("role"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: "topics_pk", columns: [t.appId, t.name] }),
    check("topics_auth_check", sql`${t.auth} in ('public', 'token', 'session')`),
  ],
);

/**
 * The HMAC key an app's subscriber tokens are signed with (32 random bytes), made on first use and
 * sealed under the master key like secrets: `key` is the base64 ciphertext, `nonce` and `keyId` say
 * how to open it. Rows from before encryption have a null `keyId` and a plaintext base64 `key`; the
 * daemon seals them at start (the key itself is unchanged, so tokens already handed out stay good).
 */
export const realtimeKeys = pgTable("realtime_keys", {
  appId: uuid("app_id")
    .primaryKey()
    .references(() => apps.id, { onDelete: "cascade" }),
  key: text("key").notNull(),
  nonce: text("nonce"),
  keyId: text("key_id"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Messages published to registered topics, kept for a bounded time so reconnecting clients can resume. */
export const realtimeMessages = pgTable(
  "realtime_messages",
  {
    /** UUIDv7: ordered by time; it is the SSE `id:`. */
    id: uuid("id").primaryKey(),
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    topic: text("topic").notNull(),
    message: jsonb("message").notNull(),
    publishedAt: timestamp("published_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("realtime_messages_topic_idx").on(t.appId, t.topic, t.id),
    index("realtime_messages_published_idx").on(t.publishedAt),
  ],
);
