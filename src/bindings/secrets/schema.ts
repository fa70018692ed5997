/**
 * App secrets (SPEC §3.6): one row per app and name, the value AES-256-GCM
 * encrypted under the instance's master key (lib/keyring.ts) with the app id
 * and name as associated data. The plaintext is never stored.
 */
import { index, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { apps } from "../../apps/schema.js";

export const appSecrets = pgTable(
  "app_secrets",
  {
    appId: uuid("app_id")
      .notNull()
      .references(() => apps.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** base64: ciphertext followed by the GCM tag */
    ciphertext: text("ciphertext").notNull(),
    /** base64 of the 12-byte nonce, fresh for every write */
    nonce: text("nonce").notNull(),
    /** Which master key sealed it (a hash of the key): rotation re-encrypts rows not under the current one. */
    keyId: text("key_id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: "app_secrets_pk", columns: [t.appId, t.name] }),
    index("app_secrets_key_idx").on(t.keyId),
  ],
);
