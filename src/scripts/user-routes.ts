/**
 * The HTTP routes of an app: method(s), path pattern and host filter, pointing
 * at a handler script. Changes to an app's routes are serialized with an
 * advisory lock on the app, so the conflict check (same host, same path shape,
 * overlapping methods → 409) cannot be raced.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../db/client.js";
import { badRequest, conflict, notFound } from "../lib/errors.js";
import { isUuid, uuidv7 } from "../lib/ids.js";
import { routeShape } from "./names.js";
import { type DispatchMode, routes, scripts } from "./schema.js";

export interface RouteSpec {
  methods: string[];
  path: string;
  host: string | null;
  dispatch: DispatchMode;
}

export interface RouteView extends RouteSpec {
  id: string;
  appId: string;
  scriptId: string;
  scriptName: string;
  createdAt: string;
}

/** `GET,POST /x` style label for messages and plans. */
export function routeLabel(r: Pick<RouteSpec, "methods" | "path" | "host">): string {
  return `${r.methods.length ? r.methods.join(",") : "*"} ${r.host ?? ""}${r.path}`;
}

function overlaps(
  a: Pick<RouteSpec, "methods" | "path" | "host">,
  b: Pick<RouteSpec, "methods" | "path" | "host">,
): boolean {
  if ((a.host ?? "") !== (b.host ?? "") || routeShape(a.path) !== routeShape(b.path)) return false;
  if (a.methods.length === 0 && b.methods.length === 0) return true;
  return a.methods.some((m) => b.methods.includes(m));
}

export function normalizeSpec(spec: RouteSpec): RouteSpec {
  return {
    ...spec,
    methods: [...new Set(spec.methods.map((m) => m.toUpperCase()))].sort(),
    host: spec.host?.toLowerCase() ?? null,
  };
}

/** Serializes route changes of one app across transactions and processes. */
export async function lockAppRoutes(tx: DbOrTx, appId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`routes:${appId}`}, 0))`);
}

export class UserRoutes {
  constructor(private readonly db: Db) {}

  async list(appId: string, tx: DbOrTx = this.db): Promise<RouteView[]> {
    const rows = await tx
      .select({ r: routes, scriptName: scripts.name })
      .from(routes)
      .innerJoin(scripts, eq(scripts.id, routes.scriptId))
      .where(eq(routes.appId, appId))
      .orderBy(asc(routes.path), asc(routes.createdAt));
    return rows.map(({ r, scriptName }) => ({
      id: r.id,
      appId: r.appId,
      scriptId: r.scriptId,
      scriptName,
      methods: r.methods,
      path: r.path,
      host: r.host,
      dispatch: r.dispatch,
      createdAt: r.createdAt.toISOString(),
    }));
  }

  async get(appId: string, id: string): Promise<RouteView> {
    const found = isUuid(id) ? (await this.list(appId)).find((r) => r.id === id) : undefined;
    if (!found) throw notFound("route");
    return found;
  }

  /** Adds a route to a handler script of the app; 409 when an existing route matches the same requests. */
  async add(appId: string, scriptId: string, spec: RouteSpec, tx?: DbOrTx): Promise<RouteView> {
    const run = async (t: DbOrTx) => {
      await lockAppRoutes(t, appId);
      const [script] = await t
        .select({ kind: scripts.kind })
        .from(scripts)
        .where(and(eq(scripts.id, scriptId), eq(scripts.appId, appId)));
      if (!script) throw notFound("script");
      if (script.kind !== "handler")
        throw badRequest("routes can point only at handler scripts, not modules", { field: "script" });
      const s = normalizeSpec(spec);
      const clash = (await this.list(appId, t)).find((r) => overlaps(r, s));
      if (clash) {
        throw conflict(
          `route ${routeLabel(s)} conflicts with ${routeLabel(clash)} of script ${clash.scriptName}`,
          {
            routeId: clash.id,
          },
        );
      }
      const id = uuidv7();
      await t.insert(routes).values({ id, appId, scriptId, ...s });
      return (await this.list(appId, t)).find((r) => r.id === id)!;
    };
    return tx ? run(tx) : this.db.transaction(run);
  }

  async update(
    appId: string,
    id: string,
    patch: Partial<RouteSpec> & { scriptId?: string },
  ): Promise<RouteView> {
    return this.db.transaction(async (t) => {
      await lockAppRoutes(t, appId);
      const all = await this.list(appId, t);
      const current = all.find((r) => r.id === id);
      if (!current) throw notFound("route");
      const next = normalizeSpec({
        methods: patch.methods ?? current.methods,
        path: patch.path ?? current.path,
        host: patch.host === undefined ? current.host : patch.host,
        dispatch: patch.dispatch ?? current.dispatch,
      });
      const clash = all.find((r) => r.id !== id && overlaps(r, next));
      if (clash)
        throw conflict(
          `route ${routeLabel(next)} conflicts with ${routeLabel(clash)} of script ${clash.scriptName}`,
        );
      if (patch.scriptId) {
        const [script] = await t
          .select({ kind: scripts.kind })
          .from(scripts)
          .where(and(eq(scripts.id, patch.scriptId), eq(scripts.appId, appId)));
        if (!script) throw notFound("script");
        if (script.kind !== "handler")
          throw badRequest("routes can point only at handler scripts, not modules", { field: "script" });
      }
      await t
        .update(routes)
        .set({ ...next, ...(patch.scriptId ? { scriptId: patch.scriptId } : {}) })
        .where(and(eq(routes.id, id), eq(routes.appId, appId)));
      return (await this.list(appId, t)).find((r) => r.id === id)!;
    });
  }

  async remove(appId: string, id: string, tx: DbOrTx = this.db): Promise<void> {
    if (!isUuid(id)) throw notFound("route");
    const gone = await tx
      .delete(routes)
      .where(and(eq(routes.id, id), eq(routes.appId, appId)))
      .returning({ id: routes.id });
    if (gone.length === 0) throw notFound("route");
  }
}
