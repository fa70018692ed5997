/**
 * API keys: `pic_<prefix><secret>` shown once, stored as an Argon2id hash and
 * found by an indexed prefix. Each use re-reads the key row (so a revocation or
 * a deactivated owner takes effect at once, on every process); the costly
 * Argon2 verification is done once per key per process and remembered.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { and, asc, eq, isNull } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { notFound } from "../lib/errors.js";
import { uuidv7 } from "../lib/ids.js";
import { hashSecret, verifySecret } from "./passwords.js";
import type { Principal } from "./principal.js";
import { adminUsers, apiKeys } from "./schema.js";
import { expandScopes, type Scope } from "./scopes.js";
import { randomToken } from "./tokens.js";

export const API_KEY_PREFIX = "pic_";
const PREFIX_LENGTH = 12;

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  appId: string | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

type KeyRow = typeof apiKeys.$inferSelect;

function toView(k: KeyRow): ApiKeyView {
  return {
    id: k.id,
    name: k.name,
    prefix: `${API_KEY_PREFIX}${k.prefix}`,
    scopes: k.scopes as Scope[],
    appId: k.appId,
    createdAt: k.createdAt.toISOString(),
    expiresAt: k.expiresAt?.toISOString() ?? null,
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  };
}

const digest = (token: string) => createHash("sha256").update(token).digest();

export class ApiKeys {
  /** key id → SHA-256 of the token whose Argon2 hash already verified in this process. */
  private readonly verified = new Map<string, Buffer>();
  /** key id → last time last_used_at was written, so a busy key does not write on every request. */
  private readonly lastTouched = new Map<string, number>();

  constructor(private readonly db: Db) {}

  async mint(input: {
    userId: string;
    name: string;
    scopes: Scope[];
    appId: string | null;
    expiresAt: Date | null;
  }): Promise<{ key: ApiKeyView; token: string }> {
    const body = randomToken(30);
    const token = `${API_KEY_PREFIX}${body}`;
    const [row] = await this.db
      .insert(apiKeys)
      .values({
        id: uuidv7(),
        userId: input.userId,
        name: input.name,
        prefix: body.slice(0, PREFIX_LENGTH),
        hash: await hashSecret(token),
        scopes: [...new Set(input.scopes)].sort(),
        appId: input.appId,
        expiresAt: input.expiresAt,
      })
      .returning();
    return { key: toView(row!), token };
  }

  async listOwn(userId: string): Promise<ApiKeyView[]> {
    const rows = await this.db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.userId, userId))
      .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
    return rows.map(toView);
  }

  /** Revokes one of the user's own keys; another user's key is "not found". */
  async revokeOwn(userId: string, id: string): Promise<void> {
    const rows = await this.db
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id });
    if (rows.length === 0) {
      const [exists] = await this.db
        .select({ id: apiKeys.id })
        .from(apiKeys)
        .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId)));
      if (!exists) throw notFound("API key");
    }
    this.verified.delete(id);
  }

  /** The principal a token stands for, or null when unknown, revoked, expired or its owner is inactive. */
  async authenticate(token: string): Promise<Principal | null> {
    if (!token.startsWith(API_KEY_PREFIX)) return null;
    const prefix = token.slice(API_KEY_PREFIX.length, API_KEY_PREFIX.length + PREFIX_LENGTH);
    if (prefix.length !== PREFIX_LENGTH) return null;
    const [row] = await this.db
      .select({ key: apiKeys, email: adminUsers.email, role: adminUsers.role, active: adminUsers.active })
      .from(apiKeys)
      .innerJoin(adminUsers, eq(adminUsers.id, apiKeys.userId))
      .where(eq(apiKeys.prefix, prefix));
    if (!row?.active || row.key.revokedAt) return null;
    if (row.key.expiresAt && row.key.expiresAt.getTime() <= Date.now()) return null;
    if (!(await this.verifyToken(row.key, token))) return null;
    this.touch(row.key.id);
    return {
      user: { id: row.key.userId, email: row.email, role: row.role },
      via: "api_key",
      scopes: expandScopes(row.key.scopes as Scope[]),
      boundAppId: row.key.appId,
      apiKeyId: row.key.id,
    };
  }

  private async verifyToken(key: KeyRow, token: string): Promise<boolean> {
    const d = digest(token);
    const known = this.verified.get(key.id);
    if (known && timingSafeEqual(known, d)) return true;
    if (!(await verifySecret(key.hash, token))) return false;
    this.verified.set(key.id, d);
    return true;
  }

  private touch(id: string): void {
    const now = Date.now();
    if (now - (this.lastTouched.get(id) ?? 0) < 60_000) return;
    this.lastTouched.set(id, now);
    void this.db
      .update(apiKeys)
      .set({ lastUsedAt: new Date(now) })
      .where(eq(apiKeys.id, id))
      .catch(() => {});
  }
}
