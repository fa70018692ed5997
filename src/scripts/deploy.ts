/**
 * `picloud deploy` on the server: makes an app match a manifest (its scripts,
 * their routes, the app's vars) in ONE transaction, so a deploy lands whole or
 * not at all. Identical code makes no new version and identical routes are kept,
 * so deploying twice changes nothing the second time. A dry run computes the
 * same plan inside the transaction and rolls it back.
 */
import { eq } from "drizzle-orm";
import { apps } from "../apps/schema.js";
import type { Db, Tx } from "../db/client.js";
import { badRequest, conflict } from "../lib/errors.js";
import { resolveModules } from "./module-graph.js";
import type { DeployManifest } from "./schemas.js";
import type { Scripts, ScriptView } from "./scripts.js";
import { lockAppRoutes, normalizeSpec, type RouteSpec, routeLabel, type UserRoutes } from "./user-routes.js";

export interface PlannedChange {
  action: "create" | "update" | "delete";
  kind: "app" | "script" | "route" | "vars" | "trigger" | "cron" | "topic" | "email" | "users";
  name: string;
  detail?: string;
}

export interface DeployResult {
  dryRun: boolean;
  changes: PlannedChange[];
}

class DryRunRollback extends Error {}

/**
 * A part of the manifest another area owns (triggers, crons, topics…): it
 * reconciles its own tables inside the deploy's transaction and reports its
 * changes. Registered at composition time, so this area needs no import of it.
 */
export interface DeployStep {
  reconcile(
    tx: Tx,
    appId: string,
    manifest: DeployManifest,
    scripts: Map<string, ScriptView>,
    actorId: string | null,
    changes: PlannedChange[],
  ): Promise<void>;
  /** The change-feed topics to publish after a deploy that changed something. */
  topics: string[];
}

const routeKey = (r: RouteSpec) => JSON.stringify([r.methods, r.path, r.host, r.dispatch]);

function sameJson(a: unknown, b: unknown): boolean {
  return (
    JSON.stringify(a, Object.keys((a as object) ?? {}).sort()) ===
    JSON.stringify(b, Object.keys((b as object) ?? {}).sort())
  );
}

/**
 * The same route listed twice for one script is a mistake in picloud.toml (a
 * copy-paste, a typo in another line); it used to be merged silently.
 */
export function refuseDuplicateRoutes(manifest: DeployManifest): void {
  for (const s of manifest.scripts) {
    const seen = new Set<string>();
    for (const r of s.routes) {
      const spec = normalizeSpec(r);
      const key = JSON.stringify([spec.methods, spec.path, spec.host]);
      if (seen.has(key))
        throw badRequest(
          `script ${s.name} lists the route ${routeLabel(spec)} twice; remove one of them from picloud.toml`,
          { field: "routes" },
        );
      seen.add(key);
    }
  }
}

export class Deployer {
  private readonly steps: DeployStep[] = [];

  registerStep(step: DeployStep): void {
    this.steps.push(step);
  }

  /** Change-feed topics that a deploy with changes must publish (those of the registered steps). */
  get extraTopics(): string[] {
    return this.steps.flatMap((s) => s.topics);
  }

  constructor(
    private readonly db: Db,
    private readonly scripts: Scripts,
    private readonly routes: UserRoutes,
  ) {}

  /** Applies the manifest to an existing app (see AppRoutes for creating it first). */
  async deploy(appId: string, manifest: DeployManifest, actorId: string | null): Promise<DeployResult> {
    return this.inTransaction(manifest.dryRun, (tx, changes) =>
      this.apply(tx, appId, manifest, actorId, changes),
    );
  }

  /**
   * The dry run of a deploy to an app that does not exist yet: the app is created
   * inside the transaction that is rolled back, then the very same reconciliation
   * runs, so the plan lists exactly what the real deploy would do (vars, topics,
   * triggers, crons, e-mail… not only scripts and routes).
   */
  async planForNewApp(
    createApp: (tx: Tx) => Promise<string>,
    manifest: DeployManifest,
    actorId: string | null,
  ): Promise<DeployResult> {
    return this.inTransaction(true, async (tx, changes) =>
      this.apply(tx, await createApp(tx), manifest, actorId, changes),
    );
  }

  private async inTransaction(
    dryRun: boolean,
    work: (tx: Tx, changes: PlannedChange[]) => Promise<void>,
  ): Promise<DeployResult> {
    const changes: PlannedChange[] = [];
    try {
      await this.db.transaction(async (tx) => {
        await work(tx, changes);
        if (dryRun) throw new DryRunRollback();
      });
    } catch (err) {
      if (!(err instanceof DryRunRollback)) throw err;
    }
    return { dryRun, changes };
  }

  private async apply(
    tx: Tx,
    appId: string,
    manifest: DeployManifest,
    actorId: string | null,
    changes: PlannedChange[],
  ): Promise<void> {
    refuseDuplicateRoutes(manifest);
    await lockAppRoutes(tx, appId);
    await this.reconcileVars(tx, appId, manifest, changes);
    const byName = new Map<string, ScriptView>();
    // Modules first, linked only once all of them are in place (they may import each other);
    // then handlers, linked to (pinning) the modules as they are now.
    const modules = manifest.scripts.filter((s) => s.kind === "module");
    for (const s of modules)
      byName.set(s.name, await this.reconcileScript(tx, appId, s, actorId, changes, false));
    for (const s of modules) await resolveModules(tx, appId, s.name, s.source);
    for (const s of manifest.scripts.filter((x) => x.kind !== "module"))
      byName.set(s.name, await this.reconcileScript(tx, appId, s, actorId, changes, true));
    await this.reconcileRoutes(tx, appId, manifest, byName, changes);
    for (const step of this.steps) await step.reconcile(tx, appId, manifest, byName, actorId, changes);
  }

  private async reconcileVars(tx: Tx, appId: string, manifest: DeployManifest, changes: PlannedChange[]) {
    if (!manifest.vars) return;
    const [row] = await tx.select({ vars: apps.vars }).from(apps).where(eq(apps.id, appId));
    if (sameJson(row?.vars ?? {}, manifest.vars)) return;
    const before = Object.keys(row?.vars ?? {});
    const after = Object.keys(manifest.vars);
    const added = after.filter((k) => !before.includes(k));
    const removed = before.filter((k) => !after.includes(k));
    const detail = [added.length ? `+${added.join(",")}` : "", removed.length ? `-${removed.join(",")}` : ""]
      .filter(Boolean)
      .join(" ");
    await tx.update(apps).set({ vars: manifest.vars, updatedAt: new Date() }).where(eq(apps.id, appId));
    changes.push({ action: "update", kind: "vars", name: "vars", detail: detail || "values changed" });
  }

  private async reconcileScript(
    tx: Tx,
    appId: string,
    s: DeployManifest["scripts"][number],
    actorId: string | null,
    changes: PlannedChange[],
    link: boolean,
  ): Promise<ScriptView> {
    let script: ScriptView | null = await this.scripts.get(appId, s.name, tx).catch(() => null);
    if (!script) {
      script = await this.scripts.create(
        appId,
        { name: s.name, kind: s.kind, source: s.source, isolation: s.isolation, limits: s.limits },
        actorId,
        tx,
        link,
      );
      changes.push({ action: "create", kind: "script", name: s.name, detail: `${s.kind}, version 1` });
    } else {
      if (script.kind !== s.kind) {
        throw conflict(
          `script ${s.name} is a ${script.kind}; it cannot be deployed as a ${s.kind} (delete it first)`,
        );
      }
      const version = await this.scripts.addVersion(script, s.source, actorId, tx, link);
      if (version)
        changes.push({
          action: "update",
          kind: "script",
          name: s.name,
          detail: `version ${version.version}`,
        });
      if (script.isolation !== s.isolation || !sameJson(script.limits, s.limits)) {
        await this.scripts.patch(script, { isolation: s.isolation, limits: s.limits }, tx);
        changes.push({ action: "update", kind: "script", name: s.name, detail: "isolation/limits" });
      }
    }
    return script;
  }

  /**
   * Routes of the deployed scripts become exactly the manifest's. All removals
   * happen before any addition, so a route can move from one script to another
   * in one deploy. Routes of scripts not in the manifest are left alone (and
   * still count for conflicts).
   */
  private async reconcileRoutes(
    tx: Tx,
    appId: string,
    manifest: DeployManifest,
    byName: Map<string, ScriptView>,
    changes: PlannedChange[],
  ) {
    const existing = await this.routes.list(appId, tx);
    const desired = manifest.scripts.flatMap((s) =>
      s.routes.map((r) => ({ script: byName.get(s.name)!, spec: normalizeSpec(r) })),
    );
    const desiredKeys = new Set(desired.map((d) => `${d.script.id} ${routeKey(d.spec)}`));
    const deployed = new Set([...byName.values()].map((s) => s.id));
    const kept = new Set<string>();
    for (const r of existing) {
      if (!deployed.has(r.scriptId)) continue;
      const key = `${r.scriptId} ${routeKey(r)}`;
      if (desiredKeys.has(key)) {
        kept.add(key);
        continue;
      }
      await this.routes.remove(appId, r.id, tx);
      changes.push({ action: "delete", kind: "route", name: routeLabel(r), detail: r.scriptName });
    }
    for (const d of desired) {
      const key = `${d.script.id} ${routeKey(d.spec)}`;
      if (kept.has(key)) continue;
      kept.add(key);
      await this.routes.add(appId, d.script.id, d.spec, tx);
      changes.push({ action: "create", kind: "route", name: routeLabel(d.spec), detail: d.script.name });
    }
  }
}
