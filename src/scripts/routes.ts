/**
 * Admin API of the scripts area, under /apps/{app}: scripts and versions
 * (/scripts), HTTP routes (/routes) and deploy (/deploy). Every change tells the
 * data plane's caches through the change feed.
 */
import { Hono } from "hono";
import * as v from "valibot";
import type { Apps } from "../apps/apps.js";
import { slugSchema } from "../apps/slug.js";
import { assertCan } from "../auth/capabilities.js";
import { type AdminEnv, principalOf } from "../auth/http.js";
import type { ChangeFeed } from "../db/change-feed.js";
import { notFound, PicloudError } from "../lib/errors.js";
import { INT4_MAX, jsonBody, parseOrThrow } from "../lib/http-validation.js";
import { type Deployer, refuseDuplicateRoutes } from "./deploy.js";
import {
  createRouteBody,
  createScriptBody,
  deployBody,
  patchRouteBody,
  patchScriptBody,
  sourceSchema,
} from "./schemas.js";
import type { Scripts } from "./scripts.js";
import type { UserRoutes } from "./user-routes.js";

export interface ScriptRouteDeps {
  apps: Apps;
  scripts: Scripts;
  routes: UserRoutes;
  deployer: Deployer;
  changes: ChangeFeed;
}

/** A version in the path; beyond the int4 column's range it names no version (and must not reach the query). */
function versionNumber(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > INT4_MAX) throw notFound("version");
  return n;
}

export function scriptRoutes({ apps, scripts, routes, deployer, changes }: ScriptRouteDeps) {
  const changed = (appId: string) => changes.publish({ topic: "scripts", appId });
  const routesChanged = (appId: string) => changes.publish({ topic: "routes", appId });

  return (
    new Hono<AdminEnv>()
      // --- scripts and versions
      .get("/:app/scripts", async (c) => {
        const p = principalOf(c);
        const app = await apps.load(p, c.req.param("app"));
        assertCan(p, "script.read", app.access);
        return c.json({ scripts: await scripts.list(app.id) });
      })
      .post("/:app/scripts", jsonBody(createScriptBody), async (c) => {
        const p = principalOf(c);
        const app = await apps.load(p, c.req.param("app"));
        assertCan(p, "script.write", app.access);
        const script = await scripts.create(app.id, c.req.valid("json"), p.user.id);
        changed(app.id);
        return c.json({ script }, 201);
      })
      .get("/:app/scripts/:script/versions/:version", async (c) => {
        const p = principalOf(c);
        const app = await apps.load(p, c.req.param("app"));
        assertCan(p, "script.read", app.access);
        const script = await scripts.get(app.id, c.req.param("script"));
        return c.json({ version: await scripts.getVersion(script, versionNumber(c.req.param("version"))) });
      })
      .get("/:app/scripts/:script/versions", async (c) => {
        const p = principalOf(c);
        const app = await apps.load(p, c.req.param("app"));
        assertCan(p, "script.read", app.access);
        const script = await scripts.get(app.id, c.req.param("script"));
        return c.json({ versions: await scripts.listVersions(script) });
      })
      .post(
        "/:app/scripts/:script/versions",
        jsonBody(v.strictObject({ source: sourceSchema })),
        async (c) => {
          const p = principalOf(c);
          const app = await apps.load(p, c.req.param("app"));
          assertCan(p, "script.write", app.access);
          const script = await scripts.get(app.id, c.req.param("script"));
          const version = await scripts.addVersion(script, c.req.valid("json").source, p.user.id);
          changed(app.id);
          return c.json(
            { version, unchanged: version === null, script: await scripts.get(app.id, script.id) },
            version ? 201 : 200,
          );
        },
      )
      .post(
        "/:app/scripts/:script/rollback",
        jsonBody(
          v.strictObject({
            version: v.pipe(
              v.number(),
              v.integer(),
              v.minValue(1, "version must be at least 1"),
              v.maxValue(INT4_MAX, `version must be at most ${INT4_MAX}`),
            ),
          }),
        ),
        async (c) => {
          const p = principalOf(c);
          const app = await apps.load(p, c.req.param("app"));
          assertCan(p, "script.write", app.access);
          const script = await scripts.rollback(
            await scripts.get(app.id, c.req.param("script")),
            c.req.valid("json").version,
          );
          changed(app.id);
          return c.json({ script });
        },
      )
      .get("/:app/scripts/:script", async (c) => {
        const p = principalOf(c);
        const app = await apps.load(p, c.req.param("app"));
        assertCan(p, "script.read", app.access);
        const script = await scripts.get(app.id, c.req.param("script"));
        const appRoutes = (await routes.list(app.id)).filter((r) => r.scriptId === script.id);
        return c.json({ script, routes: appRoutes });
      })
      .patch("/:app/scripts/:script", jsonBody(patchScriptBody), async (c) => {
        const p = principalOf(c);
        const app = await apps.load(p, c.req.param("app"));
        assertCan(p, "script.write", app.access);
        const script = await scripts.patch(
          await scripts.get(app.id, c.req.param("script")),
          c.req.valid("json"),
        );
        changed(app.id);
        return c.json({ script });
      })
      .delete("/:app/scripts/:script", async (c) => {
        const p = principalOf(c);
        const app = await apps.load(p, c.req.param("app"));
        assertCan(p, "script.write", app.access);
        await scripts.delete(await scripts.get(app.id, c.req.param("script")));
        changed(app.id);
        return c.body(null, 204);
      })
      // --- HTTP routes
      .get("/:app/routes", async (c) => {
        const p = principalOf(c);
        const app = await apps.load(p, c.req.param("app"));
        assertCan(p, "script.read", app.access);
        return c.json({ routes: await routes.list(app.id) });
      })
      .post("/:app/routes", jsonBody(createRouteBody), async (c) => {
        const p = principalOf(c);
        const app = await apps.load(p, c.req.param("app"));
        assertCan(p, "script.write", app.access);
        const { script: ref, ...spec } = c.req.valid("json");
        const script = await scripts.get(app.id, ref);
        const route = await routes.add(app.id, script.id, spec);
        routesChanged(app.id);
        return c.json({ route }, 201);
      })
      .patch("/:app/routes/:id", jsonBody(patchRouteBody), async (c) => {
        const p = principalOf(c);
        const app = await apps.load(p, c.req.param("app"));
        assertCan(p, "script.write", app.access);
        const { script: ref, ...patch } = c.req.valid("json");
        const scriptId = ref ? (await scripts.get(app.id, ref)).id : undefined;
        const route = await routes.update(app.id, c.req.param("id"), { ...patch, scriptId });
        routesChanged(app.id);
        return c.json({ route });
      })
      .delete("/:app/routes/:id", async (c) => {
        const p = principalOf(c);
        const app = await apps.load(p, c.req.param("app"));
        assertCan(p, "script.write", app.access);
        await routes.remove(app.id, c.req.param("id"));
        routesChanged(app.id);
        return c.body(null, 204);
      })
      // --- deploy: creates the app when missing (with the right to create apps)
      .post("/:app/deploy", jsonBody(deployBody), async (c) => {
        const p = principalOf(c);
        const manifest = c.req.valid("json");
        // Before anything is created: a broken manifest must not leave an empty new app behind.
        refuseDuplicateRoutes(manifest);
        const ref = c.req.param("app");
        let app = await apps.load(p, ref).catch((err) => {
          if (err instanceof PicloudError && err.status === 404) return null;
          throw err;
        });
        let created = false;
        if (!app) {
          const slug = parseOrThrow(slugSchema, ref, "app slug");
          if (await apps.findByRef(slug)) throw notFound("app"); // exists but not visible to this caller
          assertCan(p, "apps.create");
          if (manifest.dryRun) {
            // The same reconciliation as the deploy, in a transaction that creates the app and is rolled back.
            const plan = await deployer.planForNewApp(
              async (tx) => (await apps.create({ name: manifest.name ?? slug, slug }, tx)).id,
              manifest,
              p.user.id,
            );
            return c.json({
              app: { slug, created: true },
              dryRun: true,
              changes: [{ action: "create", kind: "app", name: slug }, ...plan.changes],
            });
          }
          await apps.create({ name: manifest.name ?? slug, slug });
          created = true;
          changes.publish({ topic: "apps" });
          app = await apps.load(p, slug);
        }
        assertCan(p, "script.write", app.access);
        const result = await deployer.deploy(app.id, manifest, p.user.id);
        if (!result.dryRun && result.changes.length > 0) {
          changes.publish({ topic: "apps", appId: app.id });
          changes.publish({ topic: "routes", appId: app.id });
          for (const topic of deployer.extraTopics) changes.publish({ topic, appId: app.id });
        }
        const list = created
          ? [{ action: "create" as const, kind: "app" as const, name: app.slug }, ...result.changes]
          : result.changes;
        c.get("log").info(
          { appId: app.id, by: p.user.id, dryRun: result.dryRun, changes: list.length },
          "deploy",
        );
        return c.json({ app: { id: app.id, slug: app.slug, created }, dryRun: result.dryRun, changes: list });
      })
  );
}
