// An in-process PiCloud instance for benchmarks (built code from dist/):
// database (PGlite in a temp dir, or a fresh PostgreSQL database), migrations,
// services, and an owner. Call close() when done.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { loadDaemonConfig } from "../../dist/src/config/env.js";
import { openDatabase } from "../../dist/src/db/client.js";
import { runMigrations } from "../../dist/src/db/migrate.js";
import { createLogger } from "../../dist/src/lib/logger.js";
import { createServices } from "../../dist/src/server/services.js";

export const PG_SERVER = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** Whether a PostgreSQL server answers (benchmarks skip its half otherwise, and say so). */
export async function postgresAvailable() {
  const sql = postgres(PG_SERVER, { max: 1, onnotice: () => {}, connect_timeout: 3 });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end();
  }
}

export async function createInstance(kind, overrides = {}) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "picloud-bench-"));
  let dbName = null;
  let url = null;
  if (kind === "postgres") {
    dbName = `picloud_bench_${process.pid}_${Date.now()}`;
    const admin = postgres(PG_SERVER, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${dbName}"`);
    await admin.end();
    const u = new URL(PG_SERVER);
    u.pathname = `/${dbName}`;
    url = u.toString();
  }
  const database = await openDatabase(
    kind === "postgres"
      ? { kind: "postgres", url, max: 20 }
      : { kind: "pglite", dataDir: path.join(tmp, "db") },
  );
  await runMigrations(database);
  const config = loadDaemonConfig({ PICLOUD_LOG_LEVEL: "silent", ...overrides }, tmp);
  const services = createServices(
    database,
    {
      publicUrl: "http://localhost:8787",
      trustProxy: false,
      sessionTtlMs: 3_600_000,
      baseDomain: "localhost",
      runtime: config.runtime,
      events: config.events,
      realtime: config.realtime,
      dataDir: tmp,
      files: config.files,
      email: config.email,
      masterKeys: { current: randomBytes(32), previous: null },
      processMetrics: false,
    },
    createLogger("silent"),
  );
  await services.apps.seedDefault();
  await services.changes.start();
  await services.sandbox.warm();
  const app = await services.apps.findByRef("default");
  return {
    services,
    appId: app.id,
    url,
    async close() {
      services.shutdown.abort();
      await services.dispatcher.stop(5000);
      services.email.close();
      await services.recorder.flush();
      services.sandbox.dispose();
      await services.changes.stop();
      await database.close();
      if (dbName) {
        const admin = postgres(PG_SERVER, { max: 1, onnotice: () => {} });
        await admin.unsafe(`drop database if exists "${dbName}" with (force)`);
        await admin.end();
      }
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Deploys scripts to the default app as the system (no principal). */
export async function deploy(instance, scripts) {
  const { services, appId } = instance;
  const result = await services.deployer.deploy(
    appId,
    {
      dryRun: false,
      scripts: scripts.map((s) => ({
        kind: "handler",
        isolation: "none",
        limits: {},
        routes: [],
        triggers: [],
        ...s,
      })),
    },
    null,
  );
  for (const topic of ["scripts", "routes", "triggers", "apps"]) services.changes.publish({ topic, appId });
  return result;
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const bindingContext = (instance) => ({
  appId: instance.appId,
  executionId: "00000000-0000-7000-8000-000000000000",
  rootExecutionId: "00000000-0000-7000-8000-000000000000",
  depth: 0,
  scriptId: "00000000-0000-7000-8000-000000000000",
  principalUserId: null,
});

/** Runs script `name` of the app for GET `path` (through the gate, as a request would) and parses its JSON answer. */
export async function invokeJson(services, appId, name, path) {
  const script = await services.scripts.runnable(appId, (await services.scripts.get(appId, name)).id);
  const permit = await services.executor.gate.acquire();
  const run = await services.executor.start(
    {
      appId,
      script,
      entry: "fetch",
      input: { request: { method: "GET", url: `http://localhost${path}`, headers: [], body: null } },
      trigger: "bench",
    },
    permit,
  );
  const f = await run.finished;
  if (f.outcome.status !== "ok") throw new Error(JSON.stringify(f.outcome));
  return JSON.parse(new TextDecoder().decode(f.outcome.response.body));
}
