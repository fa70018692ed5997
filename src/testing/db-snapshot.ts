/**
 * A fingerprint of every table's contents, for tests that assert a refused
 * request changed nothing: one statement (cheap enough to take around every
 * request of a property test) hashing each table's rows in a stable order.
 */
import type { Database } from "../db/client.js";

/** Tables written on purpose by requests that are refused (failed logins are counted). */
const VOLATILE = new Set(["login_throttle", "__drizzle_migrations"]);

let statement: string | undefined;

async function rows<T>(database: Database, query: string): Promise<T[]> {
  const res = (await database.db.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(res) ? res : res.rows;
}

/** `{table: md5 of its rows}` for every table of the public schema but the volatile ones. */
export async function snapshotTables(database: Database): Promise<Record<string, string>> {
  if (!statement) {
    const tables = (
      await rows<{ tablename: string }>(
        database,
        "select tablename from pg_tables where schemaname = 'public' order by tablename",
      )
    )
      .map((r) => r.tablename)
      .filter((t) => !VOLATILE.has(t));
    statement = `select ${tables
      .map(
        (t) =>
          `(select md5(coalesce(string_agg(x::text, ',' order by x::text), '')) from "${t}" x) as "${t}"`,
      )
      .join(", ")}`;
  }
  const [row] = await rows<Record<string, string>>(database, statement);
  return row!;
}
