/**
 * End users of an app (SPEC §3.8): accounts, sessions and the e-mail flows
 * (verification, password reset, invitation). Every query filters by the
 * app id the caller derived from the execution or the request host, never
 * from an argument. Passwords are Argon2id (auth/passwords.ts, on libuv's
 * pool, so off the event loop); tokens are 160 random bits stored as SHA-256;
 * one-time tokens are consumed by one conditional UPDATE, so two concurrent
 * uses cannot both succeed. Flows that take an e-mail answer the same whether
 * it exists or not, and take about one Argon2 verification either way.
 */
import { and, asc, eq, gt, sql } from "drizzle-orm";
import {
  ADDRESS_RULE,
  EMAIL_RULE,
  type LoginThrottle,
  type ThrottleRule,
} from "../../auth/login-throttle.js";
import { burnVerifyTime, hashSecret, verifySecret } from "../../auth/passwords.js";
import { randomToken, sha256Hex } from "../../auth/tokens.js";
import type { Db, DbOrTx } from "../../db/client.js";
import { uniqueViolation } from "../../db/errors.js";
import type { EventFanout } from "../../events/fanout.js";
import type { IndexedTrigger } from "../../events/trigger-index.js";
import { conflict, PicloudError, tooManyRequests, unauthorized } from "../../lib/errors.js";
import { uuidv7 } from "../../lib/ids.js";
import type { Logger } from "../../lib/logger.js";
import type { BindingContext } from "../index.js";
import { normalizeUserEmail } from "./email.js";
import type { CreateInput, UpdateInput } from "./input.js";
import { flowLink, renderMail } from "./mail.js";
import { consumeToken, issueToken, spendTokens, sweepTokens } from "./one-time-tokens.js";
import { appUserSessions, appUsers, type UserTokenPurpose } from "./schema.js";
import { readUserSettings, type UserSettings, writeUserSettings } from "./settings-store.js";

export interface UserView {
  id: string;
  email: string;
  data: Record<string, unknown>;
  roles: string[];
  verified: boolean;
  verifiedAt: string | null;
  disabled: boolean;
  /** False for an invited user who has not accepted yet. */
  hasPassword: boolean;
  createdAt: string;
  updatedAt: string;
}

type UserRow = typeof appUsers.$inferSelect;

export function toUserView(r: UserRow): UserView {
  return {
    id: r.id,
    email: r.email,
    data: r.data,
    roles: r.roles,
    verified: r.verifiedAt !== null,
    verifiedAt: r.verifiedAt?.toISOString() ?? null,
    disabled: r.disabled,
    hasPassword: r.passwordHash !== null,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** Sends one flow mail for an app (wired to the e-mail service by the composition root). */
export interface UserMailer {
  send(
    appId: string,
    mail: { from: string | null; to: string; subject: string; text: string },
  ): Promise<void>;
}

export interface UsersOptions {
  /** Session lifetime; a use with less than half left extends it (sliding). Default 14 days. */
  sessionTtlMs?: number;
  /** The app's built-in endpoints as a URL ("https://blog.example.com/auth"): the default link base. */
  defaultLinkBase: (appId: string) => Promise<string>;
}

export interface Session {
  token: string;
  expiresAt: string;
  user: UserView;
}

/** Who called, for throttling and event depth: scripts pass their execution, endpoints the client address. */
export interface Caller {
  clientAddress?: string | null;
  ctx?: Pick<BindingContext, "depth" | "rootExecutionId">;
}

/** Reset requests allowed per e-mail and per address in the throttle window before they stop sending / get 429. */
const RESET_EMAIL_RULE: ThrottleRule = { threshold: 3 };
const RESET_ADDRESS_RULE: ThrottleRule = { threshold: 10 };
const DEFAULT_SESSION_TTL_MS = 14 * 24 * 3600_000;
type UserOp = "created" | "verified" | "deleted";
export const INVALID_LOGIN = "invalid e-mail or password";

export class UsersService {
  private readonly ttlMs: number;

  constructor(
    private readonly db: Db,
    private readonly throttle: LoginThrottle,
    private readonly mailer: UserMailer,
    private readonly fanout: EventFanout | null,
    private readonly log: Logger,
    private readonly options: UsersOptions,
  ) {
    this.ttlMs = options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  }

  // ---- accounts -------------------------------------------------------------------------------

  /** Creates a user; 409 when the app has one with this e-mail already. */
  async create(appId: string, input: CreateInput, caller: Caller = {}): Promise<UserView> {
    const passwordHash = input.password === undefined ? null : await hashSecret(input.password);
    return this.insertUser(appId, {
      email: input.email,
      passwordHash,
      data: input.data ?? {},
      roles: input.roles ?? [],
      verifiedAt: input.verified ? new Date() : null,
      caller,
    });
  }

  private async insertUser(
    appId: string,
    u: {
      email: string;
      passwordHash: string | null;
      data: Record<string, unknown>;
      roles: string[];
      verifiedAt: Date | null;
      caller: Caller;
    },
  ): Promise<UserView> {
    const now = new Date();
    const watching = await this.watching(appId, "created");
    try {
      const { row, emitted } = await this.db.transaction(async (tx) => {
        const [row] = await tx
          .insert(appUsers)
          .values({
            id: uuidv7(),
            appId,
            // Idempotent: callers that parsed with input.ts normalized already; the service does not rely on it.
            email: normalizeUserEmail(u.email),
            passwordHash: u.passwordHash,
            data: u.data,
            roles: u.roles,
            verifiedAt: u.verifiedAt,
            createdAt: now,
            updatedAt: now,
          })
          .returning();
        const emitted = await this.emit(tx, appId, u.caller, watching, "created", row!);
        return { row: row!, emitted };
      });
      if (emitted) this.fanout?.signal.committed();
      return toUserView(row);
    } catch (err) {
      if (uniqueViolation(err) !== undefined)
        throw conflict("a user with this e-mail exists already", { field: "email" });
      throw err;
    }
  }

  async get(appId: string, id: string): Promise<UserView | null> {
    const row = await this.row(appId, id);
    return row ? toUserView(row) : null;
  }

  async findByEmail(appId: string, email: string): Promise<UserView | null> {
    const row = await this.rowByEmail(appId, normalizeUserEmail(email));
    return row ? toUserView(row) : null;
  }

  private async row(appId: string, id: string, db: DbOrTx = this.db): Promise<UserRow | undefined> {
    const [row] = await db
      .select()
      .from(appUsers)
      .where(and(eq(appUsers.appId, appId), eq(appUsers.id, id)));
    return row;
  }

  private async rowByEmail(appId: string, email: string): Promise<UserRow | undefined> {
    const [row] = await this.db
      .select()
      .from(appUsers)
      .where(and(eq(appUsers.appId, appId), eq(appUsers.email, email)));
    return row;
  }

  /**
   * Changes a user; null when there is none. A new e-mail is unverified again; a new password
   * or disabling ends every session of the user.
   */
  async update(appId: string, id: string, patch: UpdateInput): Promise<UserView | null> {
    const set: Partial<typeof appUsers.$inferInsert> = { updatedAt: new Date() };
    if (patch.password !== undefined) set.passwordHash = await hashSecret(patch.password);
    if (patch.data !== undefined) set.data = patch.data;
    if (patch.roles !== undefined) set.roles = patch.roles;
    if (patch.disabled !== undefined) set.disabled = patch.disabled;
    try {
      return await this.db.transaction(async (tx) => {
        const before = await this.row(appId, id, tx);
        if (!before) return null;
        if (patch.email !== undefined && normalizeUserEmail(patch.email) !== before.email) {
          set.email = normalizeUserEmail(patch.email);
          set.verifiedAt = null;
        }
        const [row] = await tx
          .update(appUsers)
          .set(set)
          .where(and(eq(appUsers.appId, appId), eq(appUsers.id, id)))
          .returning();
        if (patch.password !== undefined || patch.disabled === true) await this.endSessions(tx, appId, id);
        return toUserView(row!);
      });
    } catch (err) {
      if (uniqueViolation(err) !== undefined)
        throw conflict("a user with this e-mail exists already", { field: "email" });
      throw err;
    }
  }

  /** Deletes a user with its sessions and tokens; false when there was none. */
  async delete(appId: string, id: string, caller: Caller = {}): Promise<boolean> {
    const watching = await this.watching(appId, "deleted");
    const { gone, emitted } = await this.db.transaction(async (tx) => {
      const [row] = await tx
        .delete(appUsers)
        .where(and(eq(appUsers.appId, appId), eq(appUsers.id, id)))
        .returning();
      if (!row) return { gone: false, emitted: false };
      return { gone: true, emitted: await this.emit(tx, appId, caller, watching, "deleted", row) };
    });
    if (emitted) this.fanout?.signal.committed();
    return gone;
  }

  /** The app's users by id (creation order), `limit` at a time; `cursor` is the last id of the page before. */
  async list(
    appId: string,
    opts: { cursor?: string | null; limit?: number } = {},
  ): Promise<{ users: UserView[]; cursor: string | null }> {
    const limit = opts.limit ?? 50;
    const rows = await this.db
      .select()
      .from(appUsers)
      .where(and(eq(appUsers.appId, appId), opts.cursor ? gt(appUsers.id, opts.cursor) : undefined))
      .orderBy(asc(appUsers.id))
      .limit(limit + 1);
    const page = rows.slice(0, limit);
    return { users: page.map(toUserView), cursor: rows.length > limit ? page.at(-1)!.id : null };
  }

  // ---- roles ----------------------------------------------------------------------------------

  async addRole(appId: string, id: string, role: string): Promise<UserView | null> {
    return this.changeRoles(appId, id, (roles) => [...new Set([...roles, role])].sort());
  }

  async removeRole(appId: string, id: string, role: string): Promise<UserView | null> {
    return this.changeRoles(appId, id, (roles) => roles.filter((r) => r !== role));
  }

  async hasRole(appId: string, id: string, role: string): Promise<boolean> {
    const row = await this.row(appId, id);
    return !!row && !row.disabled && row.roles.includes(role);
  }

  private async changeRoles(appId: string, id: string, change: (r: string[]) => string[]) {
    return this.db.transaction(async (tx) => {
      // FOR UPDATE: two concurrent role changes of one user both land.
      const [row] = await tx
        .select()
        .from(appUsers)
        .where(and(eq(appUsers.appId, appId), eq(appUsers.id, id)))
        .for("update");
      if (!row) return null;
      const [updated] = await tx
        .update(appUsers)
        .set({ roles: change(row.roles), updatedAt: new Date() })
        .where(and(eq(appUsers.appId, appId), eq(appUsers.id, id)))
        .returning();
      return toUserView(updated!);
    });
  }

  // ---- sessions -------------------------------------------------------------------------------

  /**
   * E-mail and password → a session. Unknown e-mail, wrong password, an invited user without a
   * password and a disabled account all answer "invalid e-mail or password" after one Argon2
   * verification. Failures count per account and per client address; past the threshold, 429.
   */
  async login(appId: string, email: string, password: string, caller: Caller = {}): Promise<Session> {
    const normalized = normalizeUserEmail(email);
    const emailKey = `user:${appId}:email:${normalized}`;
    const addressKey = caller.clientAddress ? `user:${appId}:addr:${caller.clientAddress}` : null;
    const wait = Math.max(
      await this.throttle.retryAfter(emailKey),
      addressKey ? await this.throttle.retryAfter(addressKey) : 0,
    );
    if (wait > 0) throw tooManyRequests(`too many failed logins; try again in ${wait} s`, wait);
    const row = await this.rowByEmail(appId, normalized);
    let ok = false;
    if (row?.passwordHash) ok = (await verifySecret(row.passwordHash, password)) && !row.disabled;
    else await burnVerifyTime(password);
    if (!ok || !row) {
      await this.throttle.fail(emailKey, EMAIL_RULE);
      if (addressKey) await this.throttle.fail(addressKey, ADDRESS_RULE);
      throw unauthorized(INVALID_LOGIN);
    }
    await this.throttle.clear(emailKey);
    return this.startSession(this.db, row);
  }

  private async startSession(db: DbOrTx, row: UserRow): Promise<Session> {
    const token = randomToken(20);
    const expiresAt = new Date(Date.now() + this.ttlMs);
    await db
      .insert(appUserSessions)
      .values({ id: sha256Hex(token), appId: row.appId, userId: row.id, expiresAt });
    return { token, expiresAt: expiresAt.toISOString(), user: toUserView(row) };
  }

  /** The user of a live session, or null (unknown, expired, another app's, or a disabled user). Slides the expiry. */
  async verify(appId: string, token: string): Promise<UserView | null> {
    const found = await this.session(appId, token);
    return found?.user ?? null;
  }

  /** Like verify, with the session's expiry (for the cookie of the built-in endpoints). */
  async session(appId: string, token: string): Promise<{ user: UserView; expiresAt: Date } | null> {
    const id = sha256Hex(token);
    const [found] = await this.db
      .select({ s: appUserSessions, u: appUsers })
      .from(appUserSessions)
      .innerJoin(appUsers, eq(appUsers.id, appUserSessions.userId))
      .where(and(eq(appUserSessions.id, id), eq(appUserSessions.appId, appId), eq(appUsers.appId, appId)));
    if (!found || found.u.disabled) return null;
    const now = Date.now();
    if (found.s.expiresAt.getTime() <= now) {
      await this.db.delete(appUserSessions).where(eq(appUserSessions.id, id));
      return null;
    }
    let expiresAt = found.s.expiresAt;
    if (expiresAt.getTime() - now < this.ttlMs / 2) {
      expiresAt = new Date(now + this.ttlMs);
      await this.db.update(appUserSessions).set({ expiresAt }).where(eq(appUserSessions.id, id));
    }
    return { user: toUserView(found.u), expiresAt };
  }

  /** Ends one session; false when there was none. */
  async logout(appId: string, token: string): Promise<boolean> {
    const gone = await this.db
      .delete(appUserSessions)
      .where(and(eq(appUserSessions.id, sha256Hex(token)), eq(appUserSessions.appId, appId)))
      .returning({ id: appUserSessions.id });
    return gone.length > 0;
  }

  /** Ends every session of a user; returns how many. */
  async logoutAll(appId: string, userId: string): Promise<number> {
    return this.endSessions(this.db, appId, userId);
  }

  private async endSessions(db: DbOrTx, appId: string, userId: string): Promise<number> {
    const gone = await db
      .delete(appUserSessions)
      .where(and(eq(appUserSessions.appId, appId), eq(appUserSessions.userId, userId)))
      .returning({ id: appUserSessions.id });
    return gone.length;
  }

  /** Deletes expired sessions and used or expired tokens (retention sweep); returns how many. */
  async sweep(now = new Date()): Promise<number> {
    const s = await this.db
      .delete(appUserSessions)
      .where(sql`${appUserSessions.expiresAt} < ${now.toISOString()}::timestamptz`)
      .returning({ id: appUserSessions.id });
    return s.length + (await sweepTokens(this.db, now));
  }

  // ---- e-mail flows ---------------------------------------------------------------------------

  /**
   * Sign-up for the built-in endpoint: the same answer whether the e-mail is taken or not. A new
   * account gets a verification mail; a taken one gets nothing. Both paths hash the password.
   */
  async signUp(
    appId: string,
    input: { email: string; password: string; data?: Record<string, unknown> },
    caller: Caller = {},
  ) {
    const passwordHash = await hashSecret(input.password);
    const existing = await this.rowByEmail(appId, normalizeUserEmail(input.email));
    if (existing) return;
    let user: UserView;
    try {
      user = await this.insertUser(appId, {
        email: input.email,
        passwordHash,
        data: input.data ?? {},
        roles: [],
        verifiedAt: null,
        caller,
      });
    } catch (err) {
      // Taken meanwhile by a concurrent sign-up: the same answer as taken before.
      if (err instanceof PicloudError && err.status === 409) return;
      throw err;
    }
    await this.sendVerification(appId, user.id);
  }

  /** Mails a verification link to the user; false when there is no such user. */
  async sendVerification(appId: string, userId: string): Promise<boolean> {
    const row = await this.row(appId, userId);
    if (!row) return false;
    await this.mailToken(row, "verify");
    return true;
  }

  /** Consumes a verification token: the user, now verified, or null for a bad, used or expired token. */
  async confirmEmail(appId: string, token: string, caller: Caller = {}): Promise<UserView | null> {
    const watching = await this.watching(appId, "verified");
    const result = await this.db.transaction(async (tx) => {
      const userId = await consumeToken(tx, appId, token, "verify");
      if (!userId) return null;
      const [row] = await tx
        .update(appUsers)
        .set({ verifiedAt: sql`coalesce(${appUsers.verifiedAt}, now())`, updatedAt: new Date() })
        .where(and(eq(appUsers.appId, appId), eq(appUsers.id, userId)))
        .returning();
      if (!row) return null;
      return { row, emitted: await this.emit(tx, appId, caller, watching, "verified", row) };
    });
    if (result?.emitted) this.fanout?.signal.committed();
    return result ? toUserView(result.row) : null;
  }

  /**
   * Mails a reset link when the e-mail belongs to an enabled user with a password; answers
   * nothing either way, after about one Argon2 verification either way. Requests count per
   * e-mail (past the threshold, no more mails: silently) and per client address (429).
   */
  async requestPasswordReset(appId: string, email: string, caller: Caller = {}): Promise<void> {
    const normalized = normalizeUserEmail(email);
    const addressKey = caller.clientAddress ? `user:${appId}:reset-addr:${caller.clientAddress}` : null;
    if (addressKey) {
      const wait = await this.throttle.retryAfter(addressKey);
      if (wait > 0) throw tooManyRequests(`too many reset requests; try again in ${wait} s`, wait);
      await this.throttle.fail(addressKey, RESET_ADDRESS_RULE);
    }
    const emailKey = `user:${appId}:reset-email:${normalized}`;
    const work = async () => {
      if ((await this.throttle.retryAfter(emailKey)) > 0) return;
      await this.throttle.fail(emailKey, RESET_EMAIL_RULE);
      const row = await this.rowByEmail(appId, normalized);
      if (row && !row.disabled) await this.mailToken(row, "reset");
    };
    // The Argon2 burn runs beside the real work, so both answers take about as long as it does.
    await Promise.all([burnVerifyTime(normalized), work()]);
  }

  /**
   * Consumes a reset token and sets the new password; ends every session of the user and marks
   * the e-mail verified (the link proved the mailbox). Null for a bad, used or expired token.
   */
  async resetPassword(appId: string, token: string, newPassword: string): Promise<UserView | null> {
    const passwordHash = await hashSecret(newPassword);
    return this.db.transaction(async (tx) => {
      const userId = await consumeToken(tx, appId, token, "reset");
      if (!userId) return null;
      const [row] = await tx
        .update(appUsers)
        .set({
          passwordHash,
          verifiedAt: sql`coalesce(${appUsers.verifiedAt}, now())`,
          updatedAt: new Date(),
        })
        .where(and(eq(appUsers.appId, appId), eq(appUsers.id, userId)))
        .returning();
      if (!row) return null;
      await this.endSessions(tx, appId, userId);
      await spendTokens(tx, appId, userId, "reset");
      return toUserView(row);
    });
  }

  /** Creates a user without a password and mails an invitation; 409 when the e-mail is taken. */
  async invite(
    appId: string,
    input: { email: string; roles?: string[]; data?: Record<string, unknown> },
    caller: Caller = {},
  ): Promise<UserView> {
    const user = await this.insertUser(appId, {
      email: input.email,
      passwordHash: null,
      data: input.data ?? {},
      roles: input.roles ?? [],
      verifiedAt: null,
      caller,
    });
    await this.mailToken((await this.row(appId, user.id))!, "invite");
    return user;
  }

  /** Consumes an invitation: sets the password, marks the e-mail verified and starts a session; null for a bad token. */
  async acceptInvite(
    appId: string,
    token: string,
    password: string,
    caller: Caller = {},
  ): Promise<Session | null> {
    const passwordHash = await hashSecret(password);
    const watching = await this.watching(appId, "verified");
    const result = await this.db.transaction(async (tx) => {
      const userId = await consumeToken(tx, appId, token, "invite");
      if (!userId) return null;
      const [row] = await tx
        .update(appUsers)
        .set({
          passwordHash,
          verifiedAt: sql`coalesce(${appUsers.verifiedAt}, now())`,
          updatedAt: new Date(),
        })
        .where(and(eq(appUsers.appId, appId), eq(appUsers.id, userId), eq(appUsers.disabled, false)))
        .returning();
      if (!row) return null;
      const emitted = await this.emit(tx, appId, caller, watching, "verified", row);
      return { session: await this.startSession(tx, row), emitted };
    });
    if (result?.emitted) this.fanout?.signal.committed();
    return result?.session ?? null;
  }

  private async mailToken(row: UserRow, purpose: UserTokenPurpose): Promise<void> {
    const token = await issueToken(this.db, row.appId, row.id, purpose);
    const settings = await this.settings(row.appId);
    const base = settings.linkBaseUrl ?? (await this.options.defaultLinkBase(row.appId));
    const mail = renderMail(settings.templates, purpose, flowLink(base, purpose, token));
    await this.mailer.send(row.appId, { from: settings.mailFrom, to: row.email, ...mail });
    this.log.debug({ appId: row.appId, userId: row.id, purpose }, "end-user mail queued");
  }

  // ---- settings -------------------------------------------------------------------------------

  settings(appId: string, db: DbOrTx = this.db): Promise<UserSettings> {
    return readUserSettings(db, appId);
  }

  /** Replaces the app's settings (the `[users]` deploy step); true when they changed. */
  setSettings(appId: string, settings: UserSettings, db: DbOrTx = this.db): Promise<boolean> {
    return writeUserSettings(db, appId, settings);
  }

  // ---- events ---------------------------------------------------------------------------------

  /**
   * The app's `users` triggers for `op`, looked up before the writer's transaction (the index may
   * read the database, and PGlite has one connection, which the transaction holds).
   */
  private async watching(appId: string, op: UserOp): Promise<IndexedTrigger[]> {
    if (!this.fanout) return [];
    return this.fanout.matching(appId, "users", (t) => {
      const ops = (t.config as { ops?: string[] }).ops;
      return !ops || ops.length === 0 || ops.includes(op);
    });
  }

  /** Enqueues the matched triggers for `op` in the writer's transaction; true when any was. */
  private async emit(
    tx: DbOrTx,
    appId: string,
    caller: Caller,
    matched: IndexedTrigger[],
    op: UserOp,
    row: UserRow,
  ): Promise<boolean> {
    if (!this.fanout || matched.length === 0) return false;
    const ctx = {
      appId,
      depth: caller.ctx?.depth ?? 0,
      rootExecutionId: caller.ctx?.rootExecutionId ?? uuidv7(),
    };
    const user = toUserView(row);
    return (await this.fanout.emit(tx, ctx, matched, { source: "users", op, user })) > 0;
  }
}
