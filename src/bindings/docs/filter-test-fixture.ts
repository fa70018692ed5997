/**
 * Test support: the documents table in a test database, a varied fixture of
 * documents (numbers, numeric strings, nested objects, arrays, nulls, missing
 * fields, booleans, hostile strings) and a find/count that runs the compiled
 * fragments the way the docs service does. Not imported by production code.
 */
import { and, count, eq, type SQL, sql } from "drizzle-orm";
import type { Database, Db } from "../../db/client.js";
import { uuidv7 } from "../../lib/ids.js";
import { compileFilter, compileFind } from "./filter.js";
import { documents } from "./schema.js";

export const COLLECTION = "things";

/** Until the documents migration lands in every template: the table exactly as the schema declares it. */
const CREATE_TABLE = `
create table if not exists documents (app_id uuid not null, collection text not null, id uuid not null,
  data jsonb not null, created_at timestamptz not null default now(), updated_at timestamptz not null default now(),
  primary key (app_id, collection, id));
create index if not exists documents_data_gin on documents using gin (data jsonb_path_ops)`;

/**
 * Creates the table if needed, empties the database and returns the default
 * app's id. Takes the shape of src/testing's TestDatabase without importing it,
 * so the build (which leaves src/testing out) does not pull test setup in.
 */
export async function prepareDocuments(testDb: {
  database: Database;
  reset(): Promise<void>;
}): Promise<string> {
  const { db } = testDb.database;
  for (const statement of CREATE_TABLE.split(";")) await db.execute(sql.raw(statement));
  await testDb.reset();
  const rows = rowsOf<{ id: string }>(await db.execute(sql`select id from apps where slug = 'default'`));
  return rows[0]!.id;
}

/** Rows of db.execute on either driver (postgres-js gives an array, PGlite `{ rows }`). */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

export interface FixtureDoc {
  id: string;
  data: Record<string, unknown>;
}

/** Inserts documents given as objects or raw JSON text (to store e.g. `1.0` as written). */
export async function insertDocs(
  db: Db,
  appId: string,
  docs: ReadonlyArray<Record<string, unknown> | string>,
  collection = COLLECTION,
): Promise<FixtureDoc[]> {
  const out = docs.map((d) => ({
    id: uuidv7(),
    json: typeof d === "string" ? d : JSON.stringify(d),
  }));
  for (let i = 0; i < out.length; i += 500) {
    const values = out
      .slice(i, i + 500)
      .map((d) => sql`(${appId}::uuid, ${collection}, ${d.id}::uuid, ${d.json}::text::jsonb)`);
    await db.execute(
      sql`insert into documents (app_id, collection, id, data) values ${sql.join(values, sql`, `)}`,
    );
  }
  return out.map((d) => ({ id: d.id, data: JSON.parse(d.json) }));
}

const scope = (appId: string, extra: SQL) =>
  and(eq(documents.appId, appId), eq(documents.collection, COLLECTION), extra);

/** One page of find, as the service runs it. */
export async function findPage(
  db: Db,
  appId: string,
  opts: { filter?: unknown; sort?: unknown; limit?: unknown; cursor?: unknown },
): Promise<{ rows: FixtureDoc[]; cursor: string | null }> {
  const q = compileFind({ filter: opts.filter, sort: opts.sort, limit: opts.limit, cursor: opts.cursor });
  const rows = await db
    .select({ id: documents.id, data: documents.data })
    .from(documents)
    .where(scope(appId, q.where))
    .orderBy(...q.orderBy)
    .limit(q.limit);
  return { rows, cursor: rows.length === q.limit ? q.cursorFor(rows.at(-1)!) : null };
}

export async function countDocs(db: Db, appId: string, filter: unknown): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(documents)
    .where(scope(appId, compileFilter(filter)));
  return Number(row!.n);
}

/** Ids of every match of a filter (one large page), sorted for set comparison. */
export async function matchingIds(db: Db, appId: string, filter: unknown): Promise<string[]> {
  const { rows } = await findPage(db, appId, { filter, limit: 1000 });
  return rows.map((r) => r.id).sort();
}

/** ~50 documents covering every type at the fields the tests filter and sort on. */
export function fixtureDocs(): Array<Record<string, unknown> | string> {
  const docs: Array<Record<string, unknown> | string> = [
    {
      n: 1,
      s: "apple",
      status: "active",
      tags: ["a", "b"],
      author: { name: "Ann", age: 30 },
      flag: true,
      items: [{ k: 1 }, { k: 2 }],
    },
    { n: 2, s: "Apple", status: "idle", tags: ["a"], author: { age: 30, name: "Ann" }, flag: false },
    { n: 5, s: "banana", status: "active", tags: [], author: { name: "Bob", age: 41 }, flag: "true" },
    { n: 9, s: "9", status: null, tags: "a", author: { name: null } },
    { n: 10, s: "10", status: "gone", tags: ["b", "a"], author: "Ann", flag: 1 },
    { n: "10", s: "", tags: ["a", "b", "c"], author: { name: { first: "Ann" } } },
    { n: "9", s: "éclair", status: "active", author: { name: "bob" } },
    { n: -3, s: "Zed", status: "ACTIVE", flag: null },
    { n: 2.5, s: "zed", items: [{ k: 2 }] },
    '{"n": 1.0, "s": "one point oh", "status": "active"}',
    { n: null, s: null, status: "idle" },
    { s: "no n", status: "active", tags: ["c"] },
    { n: true, s: "bool n", flag: true },
    { n: false, s: "false n" },
    { n: [1, 2], s: "array n" },
    { n: [3], s: "short array n" },
    { n: [], s: "empty array n" },
    { n: { a: 1 }, s: "object n" },
    { n: { a: 1, b: 2 }, s: "bigger object n" },
    { n: { a: 2 }, s: "other object n" },
    { n: "abc", s: "abc" },
    { n: 1e21, s: "huge" },
    { n: -0.5, s: "negative fraction" },
    { n: 0, s: "zero" },
    { "it's": "quoted key", s: "quote", 'say "hi"': 1 },
    { s: "'); drop table documents; --", status: "$1" },
    { s: "😀 emoji", status: "𝔘nicode" },
    { s: "ｚ fullwidth", nested: { deep: { deeper: { x: 1 } } } },
    { items: [{ k: 3 }, { k: 4 }, { k: 5 }], s: "three items" },
    { items: [], s: "no items" },
    { items: "not array", s: "items string" },
    { tags: ["a", "b"], author: { name: "Ann", age: 31 }, s: "ann 31" },
    { tags: ["a", "b"], author: { name: "Ann" }, s: "ann no age" },
    '{"__proto__": {"polluted": true}, "s": "proto key"}',
    {},
  ];
  // Generated rows: repeated values so sorts have ties and pages cut through them.
  const nValues: unknown[] = [3, "3", null, undefined, 7.25, true, ["a"]];
  const statuses: unknown[] = ["active", "idle", undefined, "gone"];
  for (let i = 0; i < 18; i++) {
    const d: Record<string, unknown> = { s: `gen ${String(i).padStart(2, "0")}`, g: i };
    if (nValues[i % 7] !== undefined) d.n = nValues[i % 7];
    if (statuses[i % 4] !== undefined) d.status = statuses[i % 4];
    if (i % 3 === 0) d.author = { name: i % 2 ? "Bob" : "Ann", age: 20 + (i % 5) };
    if (i % 5 === 0) d.flag = i % 2 === 0;
    docs.push(d);
  }
  return docs;
}
