/**
 * Password login for admin users. The answer never says whether the e-mail
 * exists: unknown user, wrong password and inactive account all read "invalid
 * e-mail or password" and cost the same Argon2 time. Throttled per e-mail and
 * per client address.
 */
import { eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { tooManyRequests, unauthorized } from "../lib/errors.js";
import { ADDRESS_RULE, EMAIL_RULE, type LoginThrottle } from "./login-throttle.js";
import { burnVerifyTime, verifySecret } from "./passwords.js";
import { adminUsers } from "./schema.js";
import type { AdminSessions } from "./sessions.js";
import { type AdminUserView, normalizeEmail, toUserView } from "./users.js";

export class PasswordLogin {
  constructor(
    private readonly db: Db,
    private readonly sessions: AdminSessions,
    private readonly throttle: LoginThrottle,
  ) {}

  async login(input: {
    email: string;
    password: string;
    clientAddress: string;
    userAgent: string | null;
  }): Promise<{ token: string; expiresAt: Date; user: AdminUserView }> {
    const email = normalizeEmail(input.email);
    const emailKey = `email:${email}`;
    const addressKey = `addr:${input.clientAddress}`;
    const wait = Math.max(
      await this.throttle.retryAfter(emailKey),
      await this.throttle.retryAfter(addressKey),
    );
    if (wait > 0) throw tooManyRequests(`too many failed logins; try again in ${wait} s`, wait);

    const [user] = await this.db.select().from(adminUsers).where(eq(adminUsers.email, email));
    let ok = false;
    if (user) ok = (await verifySecret(user.passwordHash, input.password)) && user.active;
    else await burnVerifyTime(input.password);
    if (!ok || !user) {
      await this.throttle.fail(emailKey, EMAIL_RULE);
      await this.throttle.fail(addressKey, ADDRESS_RULE);
      throw unauthorized("invalid e-mail or password");
    }
    await this.throttle.clear(emailKey);
    const [updated] = await this.db
      .update(adminUsers)
      .set({ lastLoginAt: new Date() })
      .where(eq(adminUsers.id, user.id))
      .returning();
    const session = await this.sessions.create(user.id, input.userAgent);
    return { ...session, user: toUserView(updated!) };
  }
}
