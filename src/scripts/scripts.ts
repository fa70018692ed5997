/**
 * Scripts and their versions. A version is immutable: deploying new code adds
 * one (identical code adds none), a rollback moves the `current` pointer.
 * Every query is scoped by app id, so one app can never name another's script.
 */
import { createHash } from "node:crypto";
import { and, asc, count, desc, eq, max, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../db/client.js";
import { uniqueViolation } from "../db/errors.js";
import { conflict, notFound } from "../lib/errors.js";
import { isUuid, uuidv7 } from "../lib/ids.js";
import { importsOf } from "./imports.js";
import { type ModulePins, resolveModules, samePins } from "./module-graph.js";
import { type Isolation, type ScriptKind, type ScriptLimits, scripts, scriptVersions } from "./schema.js";

export interface ScriptView {
  id: string;
  appId: string;
  name: string;
  kind: ScriptKind;
  isolation: Isolation;
  limits: ScriptLimits;
  currentVersionId: string | null;
  currentVersion: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface VersionView {
  id: string;
  scriptId: string;
  version: number;
  sourceHash: string;
  /** Module versions this version imports (name → version id), pinned when it was created. */
  modules: ModulePins;
  size: number;
  createdBy: string | null;
  createdAt: string;
  current: boolean;
}

export interface NewScript {
  name: string;
  kind: ScriptKind;
  source: string;
  isolation?: Isolation;
  limits?: ScriptLimits;
}

export interface RunnableScript {
  id: string;
  name: string;
  kind: ScriptKind;
  versionId: string;
  version: number;
  isolation: Isolation;
  limits: ScriptLimits;
  modules: ModulePins;
}

/**
 * Only handlers keep pins: they are what runs, with every module it reaches.
 * A module's own imports are checked (cycles, missing) but not stored, so a
 * module's version does not depend on how it was uploaded.
 */
function pinsFor(kind: ScriptKind, pins: ModulePins): ModulePins {
  return kind === "module" ? {} : pins;
}

/** Without linking (deploy links later), a source must still parse. */
async function checkParses(name: string, source: string): Promise<ModulePins> {
  await importsOf(source, name);
  return {};
}

export const sourceHash = (source: string) => createHash("sha256").update(source).digest("hex");

type ScriptRow = typeof scripts.$inferSelect;

function toView(s: ScriptRow, currentVersion: number | null): ScriptView {
  return {
    id: s.id,
    appId: s.appId,
    name: s.name,
    kind: s.kind,
    isolation: s.isolation,
    limits: s.limits,
    currentVersionId: s.currentVersionId,
    currentVersion,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

export class Scripts {
  constructor(private readonly db: Db) {}

  async list(appId: string): Promise<ScriptView[]> {
    const rows = await this.db
      .select({ s: scripts, v: scriptVersions.version })
      .from(scripts)
      .leftJoin(scriptVersions, eq(scriptVersions.id, scripts.currentVersionId))
      .where(eq(scripts.appId, appId))
      .orderBy(asc(scripts.name));
    return rows.map((r) => toView(r.s, r.v));
  }

  /** By id or name, within the app; 404 otherwise. */
  async get(appId: string, ref: string, tx: DbOrTx = this.db): Promise<ScriptView> {
    const [row] = await tx
      .select({ s: scripts, v: scriptVersions.version })
      .from(scripts)
      .leftJoin(scriptVersions, eq(scriptVersions.id, scripts.currentVersionId))
      .where(and(eq(scripts.appId, appId), isUuid(ref) ? eq(scripts.id, ref) : eq(scripts.name, ref)));
    if (!row) throw notFound("script");
    return toView(row.s, row.v);
  }

  /** The app a script id belongs to (for routes addressed by script id only), or null. */
  async appIdOf(scriptId: string): Promise<string | null> {
    if (!isUuid(scriptId)) return null;
    const [row] = await this.db
      .select({ appId: scripts.appId })
      .from(scripts)
      .where(eq(scripts.id, scriptId));
    return row?.appId ?? null;
  }

  async countInApp(appId: string): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(scripts).where(eq(scripts.appId, appId));
    return Number(row?.n ?? 0);
  }

  /**
   * Creates a script with version 1 as its current version. Its imports are
   * linked to the app's modules (pinned) unless `link` is false — deploy links
   * modules only once every module of the manifest is in place.
   */
  async create(
    appId: string,
    input: NewScript,
    createdBy: string | null,
    tx?: DbOrTx,
    link = true,
  ): Promise<ScriptView> {
    const run = async (t: DbOrTx) => {
      const modules = pinsFor(
        input.kind,
        link
          ? await resolveModules(t, appId, input.name, input.source)
          : await checkParses(input.name, input.source),
      );
      const id = uuidv7();
      const versionId = uuidv7();
      await t.insert(scripts).values({
        id,
        appId,
        name: input.name,
        kind: input.kind,
        isolation: input.isolation ?? "none",
        limits: input.limits ?? {},
      });
      await t.insert(scriptVersions).values({
        id: versionId,
        scriptId: id,
        appId,
        version: 1,
        source: input.source,
        sourceHash: sourceHash(input.source),
        modules,
        createdBy,
      });
      await t.update(scripts).set({ currentVersionId: versionId }).where(eq(scripts.id, id));
      return this.get(appId, id, t);
    };
    try {
      return tx ? await run(tx) : await this.db.transaction(run);
    } catch (err) {
      if (uniqueViolation(err))
        throw conflict(`a script named "${input.name}" already exists in this app`, { field: "name" });
      throw err;
    }
  }

  /**
   * Makes `source` the current version. Returns null when it equals the current
   * version (nothing to do). Version numbers come from the database (unique per
   * script), so two concurrent deploys cannot both become version n.
   */
  async addVersion(
    script: ScriptView,
    source: string,
    createdBy: string | null,
    tx?: DbOrTx,
    link = true,
  ): Promise<VersionView | null> {
    const hash = sourceHash(source);
    const run = async (t: DbOrTx) => {
      const modules = pinsFor(
        script.kind,
        link
          ? await resolveModules(t, script.appId, script.name, source)
          : await checkParses(script.name, source),
      );
      const [cur] = script.currentVersionId
        ? await t
            .select({ hash: scriptVersions.sourceHash, modules: scriptVersions.modules })
            .from(scriptVersions)
            .where(eq(scriptVersions.id, script.currentVersionId))
        : [];
      // The same code linked to the same module versions is the same version.
      if (cur?.hash === hash && samePins(cur.modules, modules)) return null;
      const [top] = await t
        .select({ n: max(scriptVersions.version) })
        .from(scriptVersions)
        .where(eq(scriptVersions.scriptId, script.id));
      const [row] = await t
        .insert(scriptVersions)
        .values({
          id: uuidv7(),
          scriptId: script.id,
          appId: script.appId,
          version: (top?.n ?? 0) + 1,
          source,
          sourceHash: hash,
          modules,
          createdBy,
        })
        .returning();
      await t
        .update(scripts)
        .set({ currentVersionId: row!.id, updatedAt: new Date() })
        .where(eq(scripts.id, script.id));
      return versionView(row!, row!.id, Buffer.byteLength(source));
    };
    try {
      return tx ? await run(tx) : await this.db.transaction(run);
    } catch (err) {
      if (uniqueViolation(err))
        throw conflict("another deploy of this script happened at the same time; retry");
      throw err;
    }
  }

  async listVersions(script: ScriptView): Promise<VersionView[]> {
    const rows = await this.db
      .select({
        id: scriptVersions.id,
        scriptId: scriptVersions.scriptId,
        version: scriptVersions.version,
        sourceHash: scriptVersions.sourceHash,
        modules: scriptVersions.modules,
        createdBy: scriptVersions.createdBy,
        createdAt: scriptVersions.createdAt,
        size: sql<number>`octet_length(${scriptVersions.source})`,
      })
      .from(scriptVersions)
      .where(eq(scriptVersions.scriptId, script.id))
      .orderBy(desc(scriptVersions.version));
    return rows.map((r) => versionView(r, script.currentVersionId, Number(r.size)));
  }

  async getVersion(script: ScriptView, version: number): Promise<VersionView & { source: string }> {
    const [row] = await this.db
      .select()
      .from(scriptVersions)
      .where(and(eq(scriptVersions.scriptId, script.id), eq(scriptVersions.version, version)));
    if (!row) throw notFound("version");
    return {
      ...versionView(row, script.currentVersionId, Buffer.byteLength(row.source)),
      source: row.source,
    };
  }

  /** Makes an earlier (or later) version current again. */
  async rollback(script: ScriptView, version: number): Promise<ScriptView> {
    const target = await this.getVersion(script, version);
    await this.db
      .update(scripts)
      .set({ currentVersionId: target.id, updatedAt: new Date() })
      .where(and(eq(scripts.id, script.id), eq(scripts.appId, script.appId)));
    return this.get(script.appId, script.id);
  }

  async patch(
    script: ScriptView,
    patch: { isolation?: Isolation; limits?: ScriptLimits },
    tx: DbOrTx = this.db,
  ): Promise<ScriptView> {
    await tx
      .update(scripts)
      .set({ ...patch, updatedAt: new Date() })
      .where(and(eq(scripts.id, script.id), eq(scripts.appId, script.appId)));
    return this.get(script.appId, script.id, tx);
  }

  async delete(script: ScriptView): Promise<void> {
    await this.db.delete(scripts).where(and(eq(scripts.id, script.id), eq(scripts.appId, script.appId)));
  }

  /** What the runtime needs to run a script's current version, or null when it has none (or is gone). */
  async runnable(appId: string, scriptId: string): Promise<RunnableScript | null> {
    const [row] = await this.db
      .select({ s: scripts, version: scriptVersions.version, modules: scriptVersions.modules })
      .from(scripts)
      .innerJoin(scriptVersions, eq(scriptVersions.id, scripts.currentVersionId))
      .where(and(eq(scripts.id, scriptId), eq(scripts.appId, appId)));
    if (!row) return null;
    const { s, version, modules } = row;
    return {
      id: s.id,
      name: s.name,
      kind: s.kind,
      versionId: s.currentVersionId!,
      version,
      isolation: s.isolation,
      limits: s.limits,
      modules,
    };
  }

  /** The source of a version; versions are immutable, so callers may cache by id. */
  async source(versionId: string): Promise<string | null> {
    const [row] = await this.db
      .select({ source: scriptVersions.source })
      .from(scriptVersions)
      .where(eq(scriptVersions.id, versionId));
    return row?.source ?? null;
  }
}

function versionView(
  r: {
    id: string;
    scriptId: string;
    version: number;
    sourceHash: string;
    modules: ModulePins;
    createdBy: string | null;
    createdAt: Date;
  },
  currentId: string | null,
  size: number,
): VersionView {
  return {
    id: r.id,
    scriptId: r.scriptId,
    version: r.version,
    sourceHash: r.sourceHash,
    modules: r.modules,
    size,
    createdBy: r.createdBy,
    createdAt: r.createdAt.toISOString(),
    current: r.id === currentId,
  };
}
