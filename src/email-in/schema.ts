/**
 * Tables of inbound e-mail (SPEC §3.7): which addresses and domains each app
 * receives mail for (a claim is unique across the instance), and the raw
 * messages accepted by the SMTP listener, kept until their deliveries are
 * over (the outbox rows point at them by id).
 */
import { sql } from "drizzle-orm";
import {
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { apps } from "../apps/schema.js";

/** bytea as bytes: postgres.js yields a Buffer, PGlite a Uint8Array; both are Uint8Arrays. */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => "bytea",
  toDriver: (value) =>
    Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength),
});

export const EMAIL_CLAIM_KINDS = ["address", "domain"] as const;
export type EmailClaimKind = (typeof EMAIL_CLAIM_KINDS)[number];

export const emailClaims = pgTable(
  "email_claims",
  {
    /** A lower-case address (`support@blog.example.com`) or domain (`blog.example.com`): one app per value. */
    value: text("value").primaryKey(),
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    kind: text("kind").$type<EmailClaimKind>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("email_claims_app_idx").on(t.appId),
    check("email_claims_kind_check", sql`${t.kind} in ('address', 'domain')`),
  ],
);

export const inboundEmails = pgTable(
  "inbound_emails",
  {
    id: uuid("id").primaryKey(),
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    /** The envelope sender (MAIL FROM); empty for bounces. */
    mailFrom: text("mail_from").notNull(),
    /** This app's envelope recipients (RCPT TO), lower-case. */
    rcptTo: jsonb("rcpt_to").$type<string[]>().notNull(),
    /** The message exactly as received (after the SMTP dot-unstuffing). */
    raw: bytea("raw").notNull(),
    size: integer("size").notNull(),
    /** The client's IP address. */
    remoteAddress: text("remote_address"),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("inbound_emails_app_received_idx").on(t.appId, t.receivedAt),
    index("inbound_emails_received_idx").on(t.receivedAt),
  ],
);
