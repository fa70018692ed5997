/**
 * Migrated database templates, built once per test run (vitest globalSetup) so
 * each test file starts from a copy instead of paying for initdb + migrations:
 * a PGlite data-dir dump on disk, and a PostgreSQL template database.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { openDatabase } from "../db/client.js";
import { migrationsFolder, runMigrations } from "../db/migrate.js";

/** A short hash of every migration file: templates are rebuilt when migrations change. */
export function migrationsHash(): string {
  const dir = migrationsFolder();
  const h = createHash("sha256");
  for (const f of readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()) {
    h.update(f).update(readFileSync(path.join(dir, f)));
  }
  return h.digest("hex").slice(0, 12);
}

export async function buildPgliteTemplate(): Promise<Blob> {
  const database = await openDatabase({ kind: "pglite-memory" });
  try {
    await runMigrations(database);
    return await (database.raw as import("@electric-sql/pglite").PGlite).dumpDataDir("none");
  } finally {
    await database.close();
  }
}

/** Creates (if missing) a migrated template database on the server and returns its name. */
export async function ensurePostgresTemplate(serverUrl: string): Promise<string> {
  const name = `picloud_tpl_${migrationsHash()}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    const [exists] = await admin`select 1 from pg_database where datname = ${name}`;
    if (exists) return name;
    const building = `${name}_build_${process.pid}`;
    await admin.unsafe(`create database "${building}"`);
    const database = await openDatabase({ kind: "postgres", url: withDatabase(serverUrl, building), max: 1 });
    try {
      await runMigrations(database);
    } finally {
      await database.close();
    }
    // Rename into place: a half-built template is never visible under the final name.
    await admin.unsafe(`alter database "${building}" rename to "${name}"`).catch(async (err) => {
      await admin.unsafe(`drop database if exists "${building}"`);
      const [now] = await admin`select 1 from pg_database where datname = ${name}`;
      if (!now) throw err;
    });
    return name;
  } finally {
    await admin.end();
  }
}

/** Drops test databases that a crashed earlier run left behind (ones still in use are skipped). */
export async function dropLeftoverTestDatabases(serverUrl: string): Promise<void> {
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await admin<
      { datname: string }[]
    >`select datname from pg_database where datname like 'picloud\_t\_%'`;
    for (const { datname } of rows)
      await admin.unsafe(`drop database if exists "${datname}"`).catch(() => {});
  } finally {
    await admin.end();
  }
}

export function withDatabase(serverUrl: string, database: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}
