/**
 * Members of an app with a per-app role. One row per (app, user): a duplicate
 * grant fails in the database (409), even when two requests race.
 */
import { and, asc, eq } from "drizzle-orm";
import { adminUsers } from "../auth/schema.js";
import type { Db } from "../db/client.js";
import { foreignKeyViolation, uniqueViolation } from "../db/errors.js";
import { conflict, notFound } from "../lib/errors.js";
import { type AppRole, appMembers } from "./schema.js";

export interface MemberView {
  userId: string;
  email: string;
  role: AppRole;
  createdAt: string;
}

export class AppMembers {
  constructor(private readonly db: Db) {}

  async list(appId: string): Promise<MemberView[]> {
    const rows = await this.db
      .select({ m: appMembers, email: adminUsers.email })
      .from(appMembers)
      .innerJoin(adminUsers, eq(adminUsers.id, appMembers.userId))
      .where(eq(appMembers.appId, appId))
      .orderBy(asc(adminUsers.email));
    return rows.map((r) => ({
      userId: r.m.userId,
      email: r.email,
      role: r.m.role,
      createdAt: r.m.createdAt.toISOString(),
    }));
  }

  /** Adds a member by user id or e-mail; 404 for an unknown user, 409 when already a member. */
  async add(appId: string, who: { userId?: string; email?: string }, role: AppRole): Promise<MemberView> {
    const [user] = await this.db
      .select({ id: adminUsers.id, email: adminUsers.email })
      .from(adminUsers)
      .where(
        who.userId ? eq(adminUsers.id, who.userId) : eq(adminUsers.email, (who.email ?? "").toLowerCase()),
      );
    if (!user) throw notFound("user");
    try {
      const [row] = await this.db.insert(appMembers).values({ appId, userId: user.id, role }).returning();
      return { userId: user.id, email: user.email, role, createdAt: row!.createdAt.toISOString() };
    } catch (err) {
      if (uniqueViolation(err)) throw conflict(`${user.email} is already a member of this app`);
      if (foreignKeyViolation(err)) throw notFound("user");
      throw err;
    }
  }

  async setRole(appId: string, userId: string, role: AppRole): Promise<MemberView> {
    const rows = await this.db
      .update(appMembers)
      .set({ role })
      .where(and(eq(appMembers.appId, appId), eq(appMembers.userId, userId)))
      .returning();
    if (rows.length === 0) throw notFound("membership");
    const [m] = (await this.list(appId)).filter((x) => x.userId === userId);
    return m!;
  }

  async remove(appId: string, userId: string): Promise<void> {
    const rows = await this.db
      .delete(appMembers)
      .where(and(eq(appMembers.appId, appId), eq(appMembers.userId, userId)))
      .returning({ userId: appMembers.userId });
    if (rows.length === 0) throw notFound("membership");
  }
}
