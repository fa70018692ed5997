/**
 * Admin API of cron triggers, under /apps/{app}: `GET /crons` lists each with
 * its next times and last runs (for the dashboard and `picloud crons ls`).
 * Cron triggers are created, changed and removed through /triggers like any
 * other kind.
 */
import { Hono } from "hono";
import * as v from "valibot";
import type { Apps } from "../apps/apps.js";
import { assertCan } from "../auth/capabilities.js";
import { type AdminEnv, principalOf } from "../auth/http.js";
import type { Database } from "../db/client.js";
import { queryParams } from "../lib/http-validation.js";
import { CronRuns } from "./cron-runs.js";

const count = (what: string, max: number, fallback: string) =>
  v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+$/, `${what} must be a number`),
      v.transform(Number),
      v.minValue(0),
      v.maxValue(max, `${what} must be at most ${max}`),
    ),
    fallback,
  );

const listQuery = v.strictObject({ next: count("next", 50, "5"), last: count("last", 100, "10") });

export interface CronRouteDeps {
  apps: Apps;
  database: Database;
}

export function cronRoutes({ apps, database }: CronRouteDeps) {
  const runs = new CronRuns(database.db);
  return new Hono<AdminEnv>().get("/:app/crons", queryParams(listQuery), async (c) => {
    const p = principalOf(c);
    const app = await apps.load(p, c.req.param("app"));
    assertCan(p, "script.read", app.access);
    const q = c.req.valid("query");
    return c.json({
      crons: await runs.list(app.id, Date.now(), { next: Number(q.next), last: Number(q.last) }),
    });
  });
}
