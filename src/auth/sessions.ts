/**
 * Admin sessions: an opaque random token in an HttpOnly cookie, stored as its
 * SHA-256. Sessions slide: when less than half the lifetime is left, a use
 * extends it, so an active user stays logged in and an idle one expires.
 */
import { and, eq, lt } from "drizzle-orm";
import type { Db } from "../db/client.js";
import type { PrincipalUser } from "./principal.js";
import { adminSessions, adminUsers } from "./schema.js";
import { randomToken, sha256Hex } from "./tokens.js";

export const SESSION_COOKIE = "picloud_session";

export class AdminSessions {
  constructor(
    private readonly db: Db,
    private readonly ttlMs: number,
  ) {}

  /** Creates a session and returns its raw token (only ever held by the client). */
  async create(userId: string, userAgent: string | null): Promise<{ token: string; expiresAt: Date }> {
    const token = randomToken();
    const expiresAt = new Date(Date.now() + this.ttlMs);
    await this.db.insert(adminSessions).values({ id: sha256Hex(token), userId, expiresAt, userAgent });
    return { token, expiresAt };
  }

  /** The session's active user, or null for an unknown, expired or deactivated one. */
  async validate(token: string): Promise<{ sessionId: string; user: PrincipalUser; expiresAt: Date } | null> {
    const id = sha256Hex(token);
    const [row] = await this.db
      .select({
        expiresAt: adminSessions.expiresAt,
        userId: adminUsers.id,
        email: adminUsers.email,
        role: adminUsers.role,
        active: adminUsers.active,
      })
      .from(adminSessions)
      .innerJoin(adminUsers, eq(adminUsers.id, adminSessions.userId))
      .where(eq(adminSessions.id, id));
    if (!row?.active) return null;
    const now = Date.now();
    if (row.expiresAt.getTime() <= now) {
      await this.db.delete(adminSessions).where(eq(adminSessions.id, id));
      return null;
    }
    let expiresAt = row.expiresAt;
    if (expiresAt.getTime() - now < this.ttlMs / 2) {
      expiresAt = new Date(now + this.ttlMs);
      await this.db.update(adminSessions).set({ expiresAt }).where(eq(adminSessions.id, id));
    }
    return { sessionId: id, user: { id: row.userId, email: row.email, role: row.role }, expiresAt };
  }

  async revoke(sessionId: string): Promise<void> {
    await this.db.delete(adminSessions).where(eq(adminSessions.id, sessionId));
  }

  /** Deletes expired sessions (retention sweep); returns how many. */
  async sweepExpired(now = new Date()): Promise<number> {
    const gone = await this.db
      .delete(adminSessions)
      .where(and(lt(adminSessions.expiresAt, now)))
      .returning({ id: adminSessions.id });
    return gone.length;
  }
}
