import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase, testDbKinds } from "../../testing/database.js";
import { FilterError } from "./filter.js";
import {
  type FixtureDoc,
  findPage,
  fixtureDocs,
  insertDocs,
  prepareDocuments,
} from "./filter-test-fixture.js";
import { matches, sortDocs } from "./filter-test-model.js";

type Sort = Record<string, 1 | -1>;

const SORTS: Sort[] = [
  {},
  { n: 1 },
  { n: -1 },
  { s: 1 },
  { s: -1 },
  { status: -1, n: 1 },
  { "author.name": 1, "author.age": -1 },
  { tags: 1 },
  { author: -1 },
  { flag: 1, status: 1, "author.age": -1, n: -1 },
  { "items.0.k": -1, g: 1 },
];
const PAGE_SIZES = [1, 3, 7, 50];

describe.each(testDbKinds())("sort and cursor paging [%s]", (kind) => {
  let testDb: TestDatabase;
  let appId: string;
  let docs: FixtureDoc[];

  beforeAll(async () => {
    testDb = await openTestDatabase(kind);
    appId = await prepareDocuments(testDb);
    docs = await insertDocs(testDb.database.db, appId, fixtureDocs());
  });
  afterAll(async () => {
    await testDb?.close();
  });

  async function pageThrough(sort: Sort, limit: number, filter: unknown = {}): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 200; pages++) {
      const page = await findPage(testDb.database.db, appId, { filter, sort, limit, cursor });
      seen.push(...page.rows.map((r) => r.id));
      if (page.rows.length > limit) throw new Error("page larger than the limit");
      cursor = page.cursor;
      if (!cursor) return seen;
    }
    throw new Error("paging did not end");
  }

  it.each(SORTS)("one page sorted by %j matches the documented order", async (sort) => {
    const { rows } = await findPage(testDb.database.db, appId, { sort, limit: 1000 });
    const expected = sortDocs(docs, sort).map((d) => `${d.id} ${JSON.stringify(d.data)}`);
    const byId = new Map(docs.map((d) => [d.id, d]));
    expect(rows.map((r) => `${r.id} ${JSON.stringify(byId.get(r.id)!.data)}`)).toEqual(expected);
  });

  it.each(SORTS)("paging by %j returns every document exactly once, in order", async (sort) => {
    const expected = sortDocs(docs, sort).map((d) => d.id);
    for (const size of PAGE_SIZES) expect(await pageThrough(sort, size)).toEqual(expected);
  });

  it("builds cursors that read array-index segments as PostgreSQL does", async () => {
    const expected = sortDocs(docs, { "items.1.k": -1, "items.0.k": 1 }).map((d) => d.id);
    expect(await pageThrough({ "items.+1.k": -1, "items. 0.k": 1 }, 2)).toEqual(expected);
  });

  it("pages a filtered find", async () => {
    const filter = { $or: [{ n: { $gte: 2 } }, { status: { $ne: "active" } }] };
    const sort: Sort = { status: 1, n: -1 };
    const expected = sortDocs(
      docs.filter((d) => matches(d.data, filter)),
      sort,
    ).map((d) => d.id);
    expect(expected.length).toBeGreaterThan(10);
    for (const size of [2, 5]) expect(await pageThrough(sort, size, filter)).toEqual(expected);
  });

  it("refuses a cursor made for another sort", async () => {
    const { cursor } = await findPage(testDb.database.db, appId, { sort: { n: 1 }, limit: 2 });
    expect(cursor).toBeTruthy();
    for (const sort of [{ n: -1 }, { s: 1 }, undefined, { n: 1, s: 1 }]) {
      await expect(findPage(testDb.database.db, appId, { sort, limit: 2, cursor })).rejects.toThrow(
        new FilterError("cursor", "cursor is invalid"),
      );
    }
  });

  it("returns no cursor on a short last page and none for an empty result", async () => {
    const all = await findPage(testDb.database.db, appId, { limit: 1000 });
    expect(all.cursor).toBeNull();
    const none = await findPage(testDb.database.db, appId, { filter: { n: "nothing" } });
    expect(none).toEqual({ rows: [], cursor: null });
  });

  // Last: it deletes rows.
  it("continues correctly after the rows already seen are deleted", async () => {
    const sort: Sort = { n: 1 };
    const expected = sortDocs(docs, sort).map((d) => d.id);
    const first = await findPage(testDb.database.db, appId, { sort, limit: 10 });
    const firstIds = first.rows.map((r) => r.id);
    expect(firstIds).toEqual(expected.slice(0, 10));
    for (const id of firstIds)
      await testDb.database.db.execute(sql`delete from documents where id = ${id}::uuid`);
    const second = await findPage(testDb.database.db, appId, { sort, limit: 10, cursor: first.cursor });
    expect(second.rows.map((r) => r.id)).toEqual(expected.slice(10, 20));
  });
});
