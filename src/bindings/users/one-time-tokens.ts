/**
 * The one-time tokens of the e-mail flows (verification, password reset,
 * invitation): 160 random bits handed out once, stored only as their SHA-256,
 * with an expiry per purpose. Using one is a single conditional UPDATE, so two
 * concurrent uses of a token cannot both succeed.
 */
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { randomToken, sha256Hex } from "../../auth/tokens.js";
import type { DbOrTx } from "../../db/client.js";
import { appUserTokens, type UserTokenPurpose } from "./schema.js";

const TOKEN_TTL_MS: Record<UserTokenPurpose, number> = {
  verify: 24 * 3600_000,
  reset: 3600_000,
  invite: 7 * 24 * 3600_000,
};

/** Stores a new token of `purpose` for the user; returns the token itself (only its hash is kept). */
export async function issueToken(
  db: DbOrTx,
  appId: string,
  userId: string,
  purpose: UserTokenPurpose,
): Promise<string> {
  const token = randomToken(20);
  await db.insert(appUserTokens).values({
    id: sha256Hex(token),
    appId,
    userId,
    purpose,
    expiresAt: new Date(Date.now() + TOKEN_TTL_MS[purpose]),
  });
  return token;
}

/** Marks a token used if it is this app's, of this purpose, unused and unexpired: its user, or null. */
export async function consumeToken(
  tx: DbOrTx,
  appId: string,
  token: string,
  purpose: UserTokenPurpose,
): Promise<string | null> {
  const [row] = await tx
    .update(appUserTokens)
    .set({ usedAt: new Date() })
    .where(
      and(
        eq(appUserTokens.id, sha256Hex(token)),
        eq(appUserTokens.appId, appId),
        eq(appUserTokens.purpose, purpose),
        isNull(appUserTokens.usedAt),
        gt(appUserTokens.expiresAt, new Date()),
      ),
    )
    .returning({ userId: appUserTokens.userId });
  return row?.userId ?? null;
}

/** Uses up every open token of `purpose` of a user (a completed reset voids the other reset links). */
export async function spendTokens(
  tx: DbOrTx,
  appId: string,
  userId: string,
  purpose: UserTokenPurpose,
): Promise<void> {
  await tx
    .update(appUserTokens)
    .set({ usedAt: new Date() })
    .where(
      and(
        eq(appUserTokens.appId, appId),
        eq(appUserTokens.userId, userId),
        eq(appUserTokens.purpose, purpose),
        isNull(appUserTokens.usedAt),
      ),
    );
}

/** Deletes used and expired tokens (retention sweep); returns how many. */
export async function sweepTokens(db: DbOrTx, now: Date): Promise<number> {
  const gone = await db
    .delete(appUserTokens)
    .where(
      sql`${appUserTokens.expiresAt} < ${now.toISOString()}::timestamptz or ${appUserTokens.usedAt} is not null`,
    )
    .returning({ id: appUserTokens.id });
  return gone.length;
}
