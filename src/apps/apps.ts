/**
 * Apps (tenants). Every admin request about an app goes through `load()`, which
 * finds the app by id or slug and the caller's membership in one query, and
 * answers "not found" when the caller may not see it — so another app's
 * resource is indistinguishable from a missing one.
 */
import { and, asc, eq, or } from "drizzle-orm";
import {
  type AppAccess,
  type AppCapability,
  can,
  canSeeApp,
  effectiveAppRole,
} from "../auth/capabilities.js";
import type { Principal } from "../auth/principal.js";
import { adminUsers } from "../auth/schema.js";
import type { Db, Tx } from "../db/client.js";
import { uniqueViolation } from "../db/errors.js";
import { badRequest, conflict, notFound } from "../lib/errors.js";
import { isUuid, uuidv7 } from "../lib/ids.js";
import { type AppRole, appMembers, apps } from "./schema.js";
import { slugify } from "./slug.js";

export const DEFAULT_APP_SLUG = "default";

export interface AppView {
  id: string;
  slug: string;
  name: string;
  vars: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

/** An app as seen by a principal who may see it. */
export interface LoadedApp extends AppView {
  access: AppAccess;
  /** The caller's effective role (owners and admins are app_admin everywhere). */
  role: AppRole;
}

type AppRow = typeof apps.$inferSelect;

/** What an admin response shows of a loaded app: the app and the caller's role, not the access internals. */
export function appWithRole({ access: _access, ...app }: LoadedApp): AppView & { role: AppRole } {
  return app;
}

export function toAppView(a: AppRow): AppView {
  return {
    id: a.id,
    slug: a.slug,
    name: a.name,
    vars: a.vars,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}

/**
 * Something else that lives in an app (scripts, …) and makes deleting it a
 * mistake unless forced. Registered by other areas at composition time.
 */
export interface AppDependents {
  what: string;
  count(appId: string): Promise<number>;
}

export class Apps {
  private readonly dependents: AppDependents[] = [];

  constructor(private readonly db: Db) {}

  registerDependents(d: AppDependents): void {
    this.dependents.push(d);
  }

  async fetchAllowlist(appId: string): Promise<string[]> {
    const [row] = await this.db.select({ allow: apps.fetchAllow }).from(apps).where(eq(apps.id, appId));
    return row?.allow ?? [];
  }

  async setFetchAllowlist(appId: string, allow: string[]): Promise<string[]> {
    const unique = [...new Set(allow)];
    await this.db.update(apps).set({ fetchAllow: unique, updatedAt: new Date() }).where(eq(apps.id, appId));
    return unique;
  }

  /** Ensures the `default` app exists (idempotent, safe with several processes starting together). */
  async seedDefault(): Promise<void> {
    await this.db
      .insert(apps)
      .values({ id: uuidv7(), slug: DEFAULT_APP_SLUG, name: "Default" })
      .onConflictDoNothing({ target: apps.slug });
  }

  /** Finds an app by id or slug regardless of who asks (system use: routing, deploy). */
  async findByRef(ref: string): Promise<AppView | null> {
    const [row] = await this.db.select().from(apps).where(refCondition(ref));
    return row ? toAppView(row) : null;
  }

  /** Loads an app for a principal; 404 unless the principal may see it. */
  async load(p: Principal, ref: string): Promise<LoadedApp> {
    const [row] = await this.db
      .select({ app: apps, memberRole: appMembers.role })
      .from(apps)
      .leftJoin(appMembers, and(eq(appMembers.appId, apps.id), eq(appMembers.userId, p.user.id)))
      .where(refCondition(ref));
    // The name as given: "app ghost not found" says which --app or path was wrong.
    if (!row) throw notFound(`app ${ref}`);
    const access: AppAccess = { appId: row.app.id, memberRole: row.memberRole ?? null };
    if (!canSeeApp(p, access)) throw notFound(`app ${ref}`);
    return { ...toAppView(row.app), access, role: effectiveAppRole(p.user.role, access.memberRole)! };
  }

  /**
   * Whether an admin user (still active, with their current role and
   * membership) may do something in an app — for work that runs as a user
   * without a request, such as a trigger's execution.
   */
  async userCan(userId: string, appId: string, capability: AppCapability): Promise<boolean> {
    const [row] = await this.db
      .select({
        email: adminUsers.email,
        role: adminUsers.role,
        active: adminUsers.active,
        memberRole: appMembers.role,
      })
      .from(adminUsers)
      .leftJoin(appMembers, and(eq(appMembers.userId, adminUsers.id), eq(appMembers.appId, appId)))
      .where(eq(adminUsers.id, userId));
    if (!row?.active) return false;
    const principal: Principal = {
      user: { id: userId, email: row.email, role: row.role },
      via: "session",
      scopes: null,
      boundAppId: null,
    };
    return can(principal, capability, { appId, memberRole: row.memberRole ?? null });
  }

  /** The apps a principal may see: all for owners/admins, memberships for members, one for a bound key. */
  async listFor(p: Principal): Promise<(AppView & { role: AppRole })[]> {
    const rows = await this.db
      .select({ app: apps, memberRole: appMembers.role })
      .from(apps)
      .leftJoin(appMembers, and(eq(appMembers.appId, apps.id), eq(appMembers.userId, p.user.id)))
      .where(p.boundAppId ? eq(apps.id, p.boundAppId) : undefined)
      .orderBy(asc(apps.slug));
    return rows.flatMap((r) => {
      const role = effectiveAppRole(p.user.role, r.memberRole ?? null);
      return role ? [{ ...toAppView(r.app), role }] : [];
    });
  }

  /** `db`: a transaction to create the app in (a deploy's dry run creates it in one it rolls back). */
  async create(input: { name: string; slug?: string }, db: Db | Tx = this.db): Promise<AppView> {
    const explicit = input.slug !== undefined;
    const base = input.slug ?? slugify(input.name);
    if (!base)
      throw badRequest("name has no letters or digits to make a slug from; give a slug", { field: "slug" });
    // An auto slug that is taken gets a numeric suffix; an explicit one is a conflict.
    for (let n = 1; n <= 50; n++) {
      const slug = n === 1 ? base : `${base.slice(0, 63 - String(n).length - 1)}-${n}`;
      try {
        const [row] = await db.insert(apps).values({ id: uuidv7(), slug, name: input.name }).returning();
        return toAppView(row!);
      } catch (err) {
        if (!uniqueViolation(err)) throw err;
        if (explicit) throw conflict(`an app with slug "${slug}" already exists`, { field: "slug" });
      }
    }
    throw conflict(`too many apps are named like "${base}"; give a slug`, { field: "slug" });
  }

  async patch(
    app: LoadedApp,
    patch: { name?: string; slug?: string; vars?: Record<string, string> },
  ): Promise<AppView> {
    if (patch.slug !== undefined && patch.slug !== app.slug && app.slug === DEFAULT_APP_SLUG) {
      throw conflict("the default app cannot be renamed", { field: "slug" });
    }
    try {
      const [row] = await this.db
        .update(apps)
        .set({ ...patch, updatedAt: new Date() })
        .where(eq(apps.id, app.id))
        .returning();
      if (!row) throw notFound("app");
      return toAppView(row);
    } catch (err) {
      if (uniqueViolation(err))
        throw conflict(`an app with slug "${patch.slug}" already exists`, { field: "slug" });
      throw err;
    }
  }

  /** Deletes an app and (by cascade) everything in it; refuses while it has dependents unless forced. */
  async delete(app: LoadedApp, force: boolean): Promise<void> {
    if (app.slug === DEFAULT_APP_SLUG) throw conflict("the default app cannot be deleted");
    if (!force) {
      const blocking: Record<string, number> = {};
      for (const d of this.dependents) {
        const n = await d.count(app.id);
        if (n > 0) blocking[d.what] = n;
      }
      if (Object.keys(blocking).length > 0) {
        const list = Object.entries(blocking)
          .map(([w, n]) => `${n} ${w}`)
          .join(", ");
        throw conflict(
          `app "${app.slug}" still has ${list}; delete them first or pass ?force=true`,
          blocking,
        );
      }
    }
    await this.db.delete(apps).where(eq(apps.id, app.id));
  }
}

function refCondition(ref: string) {
  return isUuid(ref) ? or(eq(apps.id, ref), eq(apps.slug, ref)) : eq(apps.slug, ref.toLowerCase());
}
