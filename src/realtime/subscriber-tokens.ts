/**
 * Subscriber tokens (SPEC §3.4, §6): `base64url(claims).base64url(HMAC-SHA256)`
 * with claims {app, topics, exp}, signed with a per-app key of 32 random bytes
 * made on first use and stored sealed under the master key (like secrets). A
 * token is good only for its app and its topics until it expires; the check is
 * constant-time.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { and, eq, isNull, ne, or } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { PicloudError } from "../lib/errors.js";
import type { Keyring } from "../lib/keyring.js";
import { realtimeKeys } from "./schema.js";

/** A sealed signing key opens only as the key of the app it was made for. */
const keyAad = (appId: string) => `picloud-realtime-key\0${appId}`;

export const MIN_TTL_SECONDS = 10;
export const MAX_TTL_SECONDS = 24 * 3600;
export const DEFAULT_TTL_SECONDS = 3600;

interface Claims {
  /** app id */
  a: string;
  /** topics */
  t: string[];
  /** expiry, epoch seconds */
  e: number;
}

export class SubscriberTokens {
  private readonly keys = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly db: Db,
    private readonly ring: Keyring,
  ) {}

  /** Mints a token for topics of an app; ttl is clamped to 10 s … 24 h. */
  async mint(
    appId: string,
    topicNames: string[],
    ttlSeconds = DEFAULT_TTL_SECONDS,
    now = Date.now(),
  ): Promise<{ token: string; expiresAt: string }> {
    const ttl = Math.min(MAX_TTL_SECONDS, Math.max(MIN_TTL_SECONDS, Math.floor(ttlSeconds)));
    const exp = Math.floor(now / 1000) + ttl;
    const claims: Claims = { a: appId, t: [...new Set(topicNames)], e: exp };
    const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
    const sig = createHmac("sha256", await this.key(appId))
      .update(body)
      .digest("base64url");
    return { token: `${body}.${sig}`, expiresAt: new Date(exp * 1000).toISOString() };
  }

  /** True when the token was signed for this app, names the topic, and has not expired. */
  async verify(appId: string, topic: string, token: string, now = Date.now()): Promise<boolean> {
    const dot = token.indexOf(".");
    if (dot <= 0 || token.length > 8192) return false;
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), "base64url");
    const expected = createHmac("sha256", await this.key(appId))
      .update(body)
      .digest();
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
    let claims: Claims;
    try {
      claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Claims;
    } catch {
      return false;
    }
    return claims.a === appId && Array.isArray(claims.t) && claims.t.includes(topic) && claims.e * 1000 > now;
  }

  /** The app's signing key, created once (the first writer wins when several processes race). */
  private key(appId: string): Promise<Buffer> {
    let k = this.keys.get(appId);
    if (!k) {
      k = (async () => {
        const sealed = this.ring.seal(randomBytes(32), keyAad(appId));
        await this.db
          .insert(realtimeKeys)
          .values({ appId, key: sealed.ciphertext, nonce: sealed.nonce, keyId: sealed.keyId })
          .onConflictDoNothing({ target: realtimeKeys.appId });
        const [row] = await this.db.select().from(realtimeKeys).where(eq(realtimeKeys.appId, appId));
        return this.open(row!);
      })();
      this.keys.set(appId, k);
      k.catch(() => this.keys.delete(appId));
    }
    return k;
  }

  /** The plain key of a row: legacy rows (no key id) hold it in the clear until `reencrypt` seals them. */
  private open(row: typeof realtimeKeys.$inferSelect): Buffer {
    if (row.keyId === null) return Buffer.from(row.key, "base64");
    try {
      return this.ring.open(
        { ciphertext: row.key, nonce: row.nonce ?? "", keyId: row.keyId },
        keyAad(row.appId),
      );
    } catch (err) {
      throw new PicloudError(
        500,
        "realtime_key_unreadable",
        `the realtime signing key of this app cannot be read: ${(err as Error).message}`,
        undefined,
        { cause: err },
      );
    }
  }

  /**
   * Seals every signing key not under the current master key: plaintext rows from before encryption
   * and rows under PICLOUD_SECRET_KEY_PREVIOUS. The key bytes stay the same, so issued tokens stay
   * valid. Row by row with a guard, so it is safe to interrupt and to run from several processes.
   */
  async reencrypt(): Promise<{ reencrypted: number; unreadable: number; remaining: number }> {
    const rows = await this.db
      .select()
      .from(realtimeKeys)
      .where(or(isNull(realtimeKeys.keyId), ne(realtimeKeys.keyId, this.ring.currentId)));
    let reencrypted = 0;
    let unreadable = 0;
    for (const row of rows) {
      let plain: Buffer;
      try {
        plain = this.open(row);
      } catch {
        unreadable++;
        continue;
      }
      const sealed = this.ring.seal(plain, keyAad(row.appId));
      const done = await this.db
        .update(realtimeKeys)
        .set({ key: sealed.ciphertext, nonce: sealed.nonce, keyId: sealed.keyId })
        .where(
          and(
            eq(realtimeKeys.appId, row.appId),
            eq(realtimeKeys.key, row.key),
            row.keyId === null ? isNull(realtimeKeys.keyId) : eq(realtimeKeys.keyId, row.keyId),
          ),
        )
        .returning({ appId: realtimeKeys.appId });
      reencrypted += done.length;
    }
    return { reencrypted, unreadable, remaining: rows.length - reencrypted };
  }
}
