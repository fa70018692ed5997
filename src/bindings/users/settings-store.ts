/**
 * An app's `[users]` settings as stored: built-in endpoints on or off, the
 * base URL of the links in the flow mails, their sender and templates.
 */
import { eq, sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.js";
import { appUserSettings } from "./schema.js";

export interface UserSettings {
  endpoints: boolean;
  linkBaseUrl: string | null;
  mailFrom: string | null;
  templates: (typeof appUserSettings.$inferSelect)["templates"];
}

/** The app's settings, or the defaults (endpoints off, no link base, default sender and templates). */
export async function readUserSettings(db: DbOrTx, appId: string): Promise<UserSettings> {
  const [row] = await db.select().from(appUserSettings).where(eq(appUserSettings.appId, appId));
  return {
    endpoints: row?.endpoints ?? false,
    linkBaseUrl: row?.linkBaseUrl ?? null,
    mailFrom: row?.mailFrom ?? null,
    templates: row?.templates ?? {},
  };
}

/** Replaces the app's settings; true when they changed. */
export async function writeUserSettings(db: DbOrTx, appId: string, s: UserSettings): Promise<boolean> {
  const before = await readUserSettings(db, appId);
  if (JSON.stringify(before) === JSON.stringify(s)) return false;
  await db
    .insert(appUserSettings)
    .values({ appId, ...s })
    .onConflictDoUpdate({ target: appUserSettings.appId, set: { ...s, updatedAt: sql`now()` } });
  return true;
}
