/**
 * Outbound e-mail (SPEC §3.7): one row per message a script sent, from
 * `send()` to the transport's answer, and each app's e-mail settings (allowed
 * senders, limit overrides). A message's content is kept only until it is
 * sent: a sent message keeps its envelope, subject and the server's answer.
 */
import { sql } from "drizzle-orm";
import { check, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { apps } from "../../apps/schema.js";

export const EMAIL_STATUSES = ["queued", "sent", "failed"] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

/** Who receives a message (addresses as given, "Name <a@b>" or "a@b"). */
export interface EmailRecipients {
  to: string[];
  cc: string[];
  bcc: string[];
}

/** What is sent besides the envelope; attachment bytes are base64. Cleared once sent. */
export interface EmailContent {
  text: string | null;
  html: string | null;
  headers: Record<string, string>;
  attachments: { filename: string; contentType: string | null; content: string }[];
}

export const emailMessages = pgTable(
  "email_messages",
  {
    /** The id `send()` returned. */
    id: uuid("id").primaryKey(),
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    /** The script and execution that sent it. */
    scriptId: uuid("script_id").notNull(),
    executionId: uuid("execution_id").notNull(),
    from: text("from_address").notNull(),
    recipients: jsonb("recipients").$type<EmailRecipients>().notNull(),
    replyTo: jsonb("reply_to").$type<string[]>().notNull().default([]),
    subject: text("subject").notNull(),
    content: jsonb("content").$type<EmailContent>(),
    /** The message's size as checked against the limit (bodies, headers, attachment bytes). */
    sizeBytes: integer("size_bytes").notNull(),
    status: text("status").$type<EmailStatus>().notNull().default("queued"),
    attempts: integer("attempts").notNull().default(0),
    /** The id the server gave the message (SMTP "queued as …", or the API's id). */
    serverMessageId: text("server_message_id"),
    /** The server's last answer: its acceptance, or why it refused or failed. */
    serverAnswer: text("server_answer"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    /** When it was sent or given up on. */
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    index("email_messages_app_idx").on(t.appId, t.id),
    index("email_messages_app_created_idx").on(t.appId, t.createdAt),
    index("email_messages_finished_idx").on(t.finishedAt).where(sql`${t.status} <> 'queued'`),
    check("email_messages_status_check", sql`${t.status} in ('queued', 'sent', 'failed')`),
  ],
);

/** Per-app outbound e-mail settings; an app without a row has no senders and the instance's limits. */
export const appEmailSettings = pgTable("app_email_settings", {
  appId: uuid("app_id")
    .primaryKey()
    .references(() => apps.id, { onDelete: "cascade" }),
  /** Allowed `from` addresses ("noreply@blog.example.com") and domains ("blog.example.com"). */
  senders: jsonb("senders").$type<string[]>().notNull().default([]),
  /** Limit overrides set by an instance admin; null: the instance default. */
  perMinute: integer("per_minute"),
  perDay: integer("per_day"),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
