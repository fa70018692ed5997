/**
 * Admin users: create, list, change, delete — with the guards of SPEC §7: only
 * owners manage owners, and the last active owner can be neither removed,
 * demoted nor deactivated (checked under a row lock, so two concurrent demotions
 * cannot both pass). Deactivating a user revokes their sessions and keys.
 */
import { and, asc, eq, isNull } from "drizzle-orm";
import type { Db, Tx } from "../db/client.js";
import { uniqueViolation } from "../db/errors.js";
import { conflict, forbidden, notFound } from "../lib/errors.js";
import { uuidv7 } from "../lib/ids.js";
import { hashSecret } from "./passwords.js";
import type { PrincipalUser } from "./principal.js";
import { adminSessions, adminUsers, apiKeys, type InstanceRole } from "./schema.js";

export interface AdminUserView {
  id: string;
  email: string;
  role: InstanceRole;
  active: boolean;
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string | null;
}

type UserRow = typeof adminUsers.$inferSelect;

export function toUserView(u: UserRow): AdminUserView {
  return {
    id: u.id,
    email: u.email,
    role: u.role,
    active: u.active,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
    lastLoginAt: u.lastLoginAt?.toISOString() ?? null,
  };
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export interface UserPatch {
  email?: string;
  role?: InstanceRole;
  active?: boolean;
  password?: string;
}

/** Only owners may create, change or delete owners, or make someone an owner. */
function assertMayManage(
  actor: PrincipalUser,
  target: { role: InstanceRole } | null,
  newRole?: InstanceRole,
) {
  if (actor.role === "owner") return;
  if (target?.role === "owner" || newRole === "owner") throw forbidden("only an owner can manage owners");
}

export class AdminUsers {
  constructor(private readonly db: Db) {}

  async list(): Promise<AdminUserView[]> {
    const rows = await this.db
      .select()
      .from(adminUsers)
      .orderBy(asc(adminUsers.createdAt), asc(adminUsers.id));
    return rows.map(toUserView);
  }

  async get(id: string): Promise<AdminUserView> {
    const [row] = await this.db.select().from(adminUsers).where(eq(adminUsers.id, id));
    if (!row) throw notFound("user");
    return toUserView(row);
  }

  async findByEmail(email: string): Promise<UserRow | undefined> {
    const [row] = await this.db
      .select()
      .from(adminUsers)
      .where(eq(adminUsers.email, normalizeEmail(email)));
    return row;
  }

  /** Creates a user; `actor` null means the system (first-start bootstrap). */
  async create(
    input: { email: string; password: string; role: InstanceRole },
    actor: PrincipalUser | null,
    tx: Db | Tx = this.db,
  ): Promise<AdminUserView> {
    if (actor) assertMayManage(actor, null, input.role);
    const passwordHash = await hashSecret(input.password);
    try {
      const [row] = await tx
        .insert(adminUsers)
        .values({ id: uuidv7(), email: normalizeEmail(input.email), passwordHash, role: input.role })
        .returning();
      return toUserView(row!);
    } catch (err) {
      if (uniqueViolation(err))
        throw conflict(`a user with e-mail ${normalizeEmail(input.email)} already exists`);
      throw err;
    }
  }

  async patch(id: string, patch: UserPatch, actor: PrincipalUser): Promise<AdminUserView> {
    const passwordHash = patch.password === undefined ? undefined : await hashSecret(patch.password);
    try {
      return await this.db.transaction(async (tx) => {
        const owners = await lockActiveOwners(tx);
        const [target] = await tx.select().from(adminUsers).where(eq(adminUsers.id, id)).for("update");
        if (!target) throw notFound("user");
        assertMayManage(actor, target, patch.role);
        const losesOwnership =
          target.role === "owner" &&
          target.active &&
          ((patch.role !== undefined && patch.role !== "owner") || patch.active === false);
        if (losesOwnership) assertAnotherActiveOwner(owners, id, "demote or deactivate");
        const [row] = await tx
          .update(adminUsers)
          .set({
            ...(patch.email !== undefined && { email: normalizeEmail(patch.email) }),
            ...(patch.role !== undefined && { role: patch.role }),
            ...(patch.active !== undefined && { active: patch.active }),
            ...(passwordHash !== undefined && { passwordHash }),
            updatedAt: new Date(),
          })
          .where(eq(adminUsers.id, id))
          .returning();
        // Deactivation ends everything; a new password ends sessions but keeps API keys working.
        if (patch.active === false) await revokeCredentials(tx, id, { keys: true });
        else if (passwordHash !== undefined) await revokeCredentials(tx, id, { keys: false });
        return toUserView(row!);
      });
    } catch (err) {
      if (uniqueViolation(err))
        throw conflict(`a user with e-mail ${normalizeEmail(patch.email ?? "")} already exists`);
      throw err;
    }
  }

  async delete(id: string, actor: PrincipalUser): Promise<void> {
    await this.db.transaction(async (tx) => {
      const owners = await lockActiveOwners(tx);
      const [target] = await tx.select().from(adminUsers).where(eq(adminUsers.id, id)).for("update");
      if (!target) throw notFound("user");
      assertMayManage(actor, target);
      if (target.role === "owner" && target.active) assertAnotherActiveOwner(owners, id, "delete");
      await tx.delete(adminUsers).where(eq(adminUsers.id, id));
    });
  }

  async count(): Promise<number> {
    const rows = await this.db.select({ id: adminUsers.id }).from(adminUsers).limit(1);
    return rows.length;
  }
}

/**
 * Locks every active owner row, always first and in id order, so concurrent
 * changes queue up here (no deadlock) and each sees the previous one's result.
 */
function lockActiveOwners(tx: Tx): Promise<{ id: string }[]> {
  return tx
    .select({ id: adminUsers.id })
    .from(adminUsers)
    .where(and(eq(adminUsers.role, "owner"), eq(adminUsers.active, true)))
    .orderBy(asc(adminUsers.id))
    .for("update");
}

function assertAnotherActiveOwner(owners: { id: string }[], exceptId: string, action: string): void {
  if (!owners.some((o) => o.id !== exceptId)) {
    throw conflict(`cannot ${action} the last active owner; make another user an owner first`);
  }
}

/** Ends every session of a user and, with `keys`, revokes their API keys too. */
async function revokeCredentials(tx: Tx, userId: string, opts: { keys: boolean }): Promise<void> {
  await tx.delete(adminSessions).where(eq(adminSessions.userId, userId));
  if (!opts.keys) return;
  await tx
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)));
}
