/**
 * With 100k documents in one collection, the planner answers equality filters
 * from the GIN index (jsonb_path_ops) through the `data @> …` probe the
 * compiler adds, instead of reading the whole collection.
 */
import type { PGlite } from "@electric-sql/pglite";
import { and, count, eq, sql } from "drizzle-orm";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../db/client.js";
import { openTestDatabase, type TestDatabase, testDbKinds } from "../../testing/database.js";
import { compileFilter, compileFind } from "./filter.js";
import { COLLECTION, prepareDocuments } from "./filter-test-fixture.js";
import { documents } from "./schema.js";

const DOCS = 100_000;

async function explain(database: Database, query: { sql: string; params: unknown[] }): Promise<string> {
  const text = `explain ${query.sql}`;
  const rows =
    database.kind === "postgres"
      ? await (database.raw as postgres.Sql).unsafe(text, query.params as string[])
      : (await (database.raw as PGlite).query<Record<string, string>>(text, query.params)).rows;
  return rows.map((r) => r["QUERY PLAN"]).join("\n");
}

describe.each(testDbKinds())("index use over 100k documents [%s]", (kind) => {
  let testDb: TestDatabase;
  let appId: string;

  beforeAll(async () => {
    testDb = await openTestDatabase(kind);
    appId = await prepareDocuments(testDb);
    await testDb.database.db.execute(sql`
      insert into documents (app_id, collection, id, data)
      select ${appId}::uuid, ${COLLECTION}, gen_random_uuid(), jsonb_build_object(
        'n', i, 'status', (array['active', 'idle', 'gone'])[1 + i % 3], 'email', 'u' || i || '@example.com',
        'author', jsonb_build_object('name', 'a' || (i % 1000)), 'tags', jsonb_build_array('t' || (i % 50)))
      from generate_series(1, ${DOCS}::int) i`);
    await testDb.database.db.execute(sql`analyze documents`);
  }, 240_000);
  afterAll(async () => {
    await testDb?.close();
  });

  const findQuery = (filter: unknown) => {
    const q = compileFind({ filter, limit: 1000 });
    return testDb.database.db
      .select({ id: documents.id, data: documents.data })
      .from(documents)
      .where(and(eq(documents.appId, appId), eq(documents.collection, COLLECTION), q.where))
      .orderBy(...q.orderBy)
      .limit(q.limit);
  };

  it.each([
    ["a scalar equality", { email: "u4242@example.com" }, 1],
    ["a nested equality", { "author.name": "a7" }, 100],
    ["a number equality", { n: 77_777 }, 1],
    ["$eq inside an $and", { $and: [{ n: { $eq: 5 } }, { status: "gone" }] }, 1],
    ["an $in of scalars", { email: { $in: ["u1@example.com", "u2@example.com", "u3@example.com"] } }, 3],
    ["an $or of equalities", { $or: [{ email: "u10@example.com" }, { "author.name": "a11" }] }, 101],
  ])("answers %s from documents_data_gin", async (_name, filter, expected) => {
    const query = findQuery(filter);
    const plan = await explain(testDb.database, query.toSQL());
    expect(plan).toMatch(/Bitmap Index Scan on documents_data_gin/);
    expect(plan).not.toMatch(/Seq Scan/);
    expect((await query).length).toBe(expected);
  });

  it.each([
    ["$in", { n: { $in: Array.from({ length: 1000 }, (_, i) => (i + 1) * 7) } }, 1000],
    ["$nin", { n: { $nin: Array.from({ length: 1000 }, (_, i) => (i + 1) * 7) } }, DOCS - 1000],
  ])("checks a 1000-value %s against a hashed set, once per row", async (_name, filter, expected) => {
    const q = compileFind({ filter, limit: 1 });
    const base = and(eq(documents.appId, appId), eq(documents.collection, COLLECTION), q.where);
    const plan = await explain(
      testDb.database,
      testDb.database.db.select({ n: count() }).from(documents).where(base).toSQL(),
    );
    expect(plan).toMatch(/hashed SubPlan/);
    expect(Number((await testDb.database.db.select({ n: count() }).from(documents).where(base))[0]!.n)).toBe(
      expected,
    );
  });

  it("counts an indexed equality from the index too", async () => {
    const query = testDb.database.db
      .select({ n: count() })
      .from(documents)
      .where(
        and(
          eq(documents.appId, appId),
          eq(documents.collection, COLLECTION),
          compileFilter({ "author.name": "a9" }),
        ),
      );
    expect(await explain(testDb.database, query.toSQL())).toMatch(/Bitmap Index Scan on documents_data_gin/);
    expect(Number((await query)[0]!.n)).toBe(100);
  });

  it("keeps exact semantics where containment alone would over-match", async () => {
    // data @> {"tags": ["t1"]} holds for every document tagged t1, but only equal arrays match.
    await testDb.database.db.execute(sql`
      insert into documents (app_id, collection, id, data) values
      (${appId}::uuid, ${COLLECTION}, gen_random_uuid(), '{"tags": ["t1", "extra"]}'::jsonb)`);
    expect((await findQuery({ tags: ["t1", "extra"] })).length).toBe(1);
    expect((await findQuery({ tags: "t1" })).length).toBe(0);
  });
});
