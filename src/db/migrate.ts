/**
 * Applies the SQL migrations in drizzle/ at start, identically on PGlite and
 * PostgreSQL. On a server several processes may start at once, so the run is
 * serialized with an advisory lock.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import type { Database } from "./client.js";

/** drizzle/ at the package root, found from this file both in src/ (tests) and dist/src/ (daemon). */
export function migrationsFolder(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = here.includes(`${path.sep}dist${path.sep}`) ? "../../.." : "../..";
  return path.resolve(here, up, "drizzle");
}

// An arbitrary constant: the key of the advisory lock that serializes migrations across processes.
const MIGRATION_LOCK_KEY = 727_001;

export async function runMigrations(database: Database): Promise<void> {
  const config = { migrationsFolder: migrationsFolder() };
  if (database.kind === "pglite") {
    // biome-ignore lint/suspicious/noExplicitAny: the drizzle migrator wants its driver-specific type
    await migratePglite(database.db as any, config);
    return;
  }
  // A dedicated one-connection client: the lock and the migration share that connection,
  // and the process's pool stays free.
  const sql = postgres(database.url!, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    await migratePostgres(drizzle(sql), config);
    await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
  } finally {
    await sql.end();
  }
}
