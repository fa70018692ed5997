/**
 * Deploy on start: `picloud start` deploys a picloud.toml (by default the one
 * in the working directory) while the instance has no scripts at all, so
 * `npm install && npm start` serves the demo app at once. It runs in-process as
 * the system (no principal): the same parser, bundler and Deployer as
 * `picloud deploy`, without HTTP. A missing file does nothing; a broken one is
 * logged and the daemon keeps serving.
 */
import { existsSync } from "node:fs";
import { count } from "drizzle-orm";
import * as v from "valibot";
import { loadProject } from "../config/project.js";
import { PicloudError } from "../lib/errors.js";
import type { Logger } from "../lib/logger.js";
import { scripts } from "../scripts/schema.js";
import { deployBody } from "../scripts/schemas.js";
import type { Services } from "../server/services.js";
import type { DeployChange } from "./deploy-plan.js";
import { changeLine } from "./deploy-plan.js";

export type DeployOnStartResult =
  | { status: "deployed"; app: string; changes: DeployChange[] }
  | { status: "skipped"; reason: "no-file" | "has-scripts" }
  | { status: "failed"; error: string };

async function instanceHasScripts(services: Services): Promise<boolean> {
  const [row] = await services.database.db.select({ n: count() }).from(scripts);
  return Number(row?.n ?? 0) > 0;
}

/** Finds the app by slug, creating it when missing (another process may create it at the same moment). */
async function ensureApp(services: Services, slug: string): Promise<{ id: string; created: boolean }> {
  const found = await services.apps.findByRef(slug);
  if (found) return { id: found.id, created: false };
  try {
    const app = await services.apps.create({ name: slug, slug });
    services.changes.publish({ topic: "apps" });
    return { id: app.id, created: true };
  } catch (err) {
    const raced = err instanceof PicloudError && err.status === 409 && (await services.apps.findByRef(slug));
    if (raced) return { id: raced.id, created: false };
    throw err;
  }
}

/**
 * Parses, bundles and deploys a picloud.toml in-process, as the system (no
 * principal), creating its app when missing; throws what went wrong (a broken
 * file, a bundling error with file and line, a refusal of the deployer).
 * Shared by deploy on start and `picloud dev`.
 */
export async function deployProject(
  services: Services,
  tomlPath: string,
): Promise<{ app: string; appId: string; changes: DeployChange[] }> {
  const project = loadProject(tomlPath);
  // Imported here: the bundler (esbuild) is loaded only when there is something to deploy.
  const { buildManifest } = await import("./manifest.js");
  const { manifest } = await buildManifest(project);
  const checked = v.safeParse(deployBody, manifest);
  if (!checked.success) throw new Error(checked.issues.map((i) => i.message).join("; "));
  const app = await ensureApp(services, project.name);
  const result = await services.deployer.deploy(app.id, checked.output, null);
  if (app.created || result.changes.length > 0) {
    services.changes.publish({ topic: "apps", appId: app.id });
    services.changes.publish({ topic: "routes", appId: app.id });
    for (const topic of services.deployer.extraTopics) services.changes.publish({ topic, appId: app.id });
  }
  const changes: DeployChange[] = app.created
    ? [{ action: "create", kind: "app", name: project.name }, ...result.changes]
    : result.changes;
  return { app: project.name, appId: app.id, changes };
}

/** Deploys `tomlPath` when the instance has no scripts; never throws (failures are logged and returned). */
export async function deployProjectOnStart(
  services: Services,
  tomlPath: string,
  log: Logger,
): Promise<DeployOnStartResult> {
  if (!existsSync(tomlPath)) {
    log.debug({ file: tomlPath }, "deploy on start: no picloud.toml");
    return { status: "skipped", reason: "no-file" };
  }
  try {
    if (await instanceHasScripts(services)) {
      log.debug({ file: tomlPath }, "deploy on start skipped: the instance already has scripts");
      return { status: "skipped", reason: "has-scripts" };
    }
    const { app, changes } = await deployProject(services, tomlPath);
    log.info({ file: tomlPath, app, changes: changes.map(changeLine) }, `deployed ${tomlPath} to app ${app}`);
    return { status: "deployed", app, changes };
  } catch (err) {
    const error = (err as Error).message ?? String(err);
    log.error({ file: tomlPath, error }, `picloud.toml not deployed: ${error}`);
    return { status: "failed", error };
  }
}
