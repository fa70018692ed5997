/**
 * A fresh database for tests, on both engines. Each test file gets its own
 * database (a PGlite loaded from the migrated template, or a PostgreSQL database
 * copied from the template database); `reset()` empties every table between
 * tests and re-seeds the default app, so every test starts from a fresh instance.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import postgres from "postgres";
import { inject } from "vitest";
import { Apps } from "../apps/apps.js";
import { type Database, openDatabase } from "../db/client.js";
import { withDatabase } from "./templates.js";

export type TestDbKind = "pglite" | "postgres";

/** The engines to run database tests against: PGlite always, PostgreSQL when TEST_DATABASE_URL is set. */
export function testDbKinds(): TestDbKind[] {
  return inject("postgresServer") ? ["pglite", "postgres"] : ["pglite"];
}

export interface TestDatabase {
  database: Database;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function openTestDatabase(kind: TestDbKind): Promise<TestDatabase> {
  if (kind === "pglite") {
    const dump = new Blob([readFileSync(inject("pgliteTemplate"))]);
    const database = await openDatabase({ kind: "pglite-memory", loadDataDir: dump });
    return wrap(database, async () => database.close());
  }
  const fresh = await createPostgresDatabase();
  const database = await openDatabase({ kind: "postgres", url: fresh.url, max: 5 });
  return wrap(database, async () => {
    await database.close();
    await fresh.drop();
  });
}

/** A new, migrated PostgreSQL database copied from the run's template; `drop()` removes it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const server = inject("postgresServer");
  const template = inject("postgresTemplate");
  if (!server || !template) throw new Error("PostgreSQL tests need TEST_DATABASE_URL");
  const name = `picloud_t_${randomBytes(6).toString("hex")}`;
  const admin = postgres(server, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}" template "${template}"`);
  return {
    url: withDatabase(server, name),
    async drop() {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

function wrap(database: Database, close: () => Promise<void>): TestDatabase {
  let tables: string[] | undefined;
  return {
    database,
    close,
    async reset() {
      const { db } = database;
      if (!tables) {
        const rows = (await db.execute(
          "select tablename from pg_tables where schemaname = 'public'",
        )) as unknown as { tablename: string }[] | { rows: { tablename: string }[] };
        tables = (Array.isArray(rows) ? rows : rows.rows).map((r) => `"${r.tablename}"`);
      }
      if (tables.length) await db.execute(`truncate ${tables.join(", ")} cascade`);
      await new Apps(db).seedDefault();
    },
  };
}
