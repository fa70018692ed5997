/** Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database answers too). */
import { Hono } from "hono";
import type { AdminEnv } from "../auth/http.js";
import type { Database } from "../db/client.js";

export function healthRoutes(database: Database) {
  return new Hono<AdminEnv>()
    .get("/healthz", (c) => c.json({ status: "ok" }))
    .get("/readyz", async (c) => {
      try {
        await database.ping();
        return c.json({ status: "ready", database: database.kind });
      } catch (err) {
        c.get("log").warn({ err: (err as Error).message }, "readiness check failed");
        return c.json({ status: "unavailable", database: database.kind }, 503);
      }
    });
}
