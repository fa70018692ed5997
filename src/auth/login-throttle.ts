/**
 * Slows down password guessing: failures are counted per e-mail and per client
 * address in the database (so every process shares them); past a threshold the
 * key is locked for a growing time. A success clears the e-mail's counter.
 */
import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { loginThrottle } from "./schema.js";

const WINDOW_MS = 15 * 60_000;
const MAX_LOCK_MS = 15 * 60_000;

export interface ThrottleRule {
  /** Failures allowed inside the window before the key locks. */
  threshold: number;
}

export const EMAIL_RULE: ThrottleRule = { threshold: 5 };
export const ADDRESS_RULE: ThrottleRule = { threshold: 20 };

export class LoginThrottle {
  constructor(private readonly db: Db) {}

  /** Seconds until `key` may try again, or 0 when it may try now. */
  async retryAfter(key: string, now = Date.now()): Promise<number> {
    const [row] = await this.db.select().from(loginThrottle).where(eq(loginThrottle.key, key));
    const until = row?.lockedUntil?.getTime() ?? 0;
    return until > now ? Math.ceil((until - now) / 1000) : 0;
  }

  /** Counts one failure, locking the key once it passes the rule's threshold (1 s, 2 s, 4 s … up to 15 min). */
  async fail(key: string, rule: ThrottleRule, now = Date.now()): Promise<void> {
    // Raw SQL parameters go out as ISO strings: postgres.js refuses Date objects outside drizzle's typed columns.
    const windowStart = new Date(now - WINDOW_MS).toISOString();
    const startedNow = new Date(now).toISOString();
    // One statement: concurrent failures from several processes all count.
    const [row] = await this.db
      .insert(loginThrottle)
      .values({ key, failures: 1, windowStart: new Date(now) })
      .onConflictDoUpdate({
        target: loginThrottle.key,
        set: {
          failures: sql`case when ${loginThrottle.windowStart} < ${windowStart}::timestamptz then 1 else ${loginThrottle.failures} + 1 end`,
          windowStart: sql`case when ${loginThrottle.windowStart} < ${windowStart}::timestamptz then ${startedNow}::timestamptz else ${loginThrottle.windowStart} end`,
        },
      })
      .returning();
    const over = (row?.failures ?? 0) - rule.threshold;
    if (over >= 0) {
      const lockMs = Math.min(1000 * 2 ** Math.min(over, 20), MAX_LOCK_MS);
      await this.db
        .update(loginThrottle)
        .set({ lockedUntil: new Date(now + lockMs) })
        .where(eq(loginThrottle.key, key));
    }
  }

  async clear(key: string): Promise<void> {
    await this.db.delete(loginThrottle).where(eq(loginThrottle.key, key));
  }
}
