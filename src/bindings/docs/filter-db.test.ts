import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase, testDbKinds } from "../../testing/database.js";
import {
  countDocs,
  type FixtureDoc,
  fixtureDocs,
  insertDocs,
  matchingIds,
  prepareDocuments,
} from "./filter-test-fixture.js";
import { compareBytes, jsonEqual, matches, valueAt } from "./filter-test-model.js";

type Doc = Record<string, unknown>;
const num = (f: string, p: (n: number) => boolean) => (d: Doc) => {
  const v = valueAt(d, f);
  return typeof v === "number" && p(v);
};
const str = (f: string, p: (c: number) => boolean, bound: string) => (d: Doc) => {
  const v = valueAt(d, f);
  return typeof v === "string" && p(compareBytes(v, bound));
};
const missingOrNull = (f: string) => (d: Doc) => valueAt(d, f) === undefined || valueAt(d, f) === null;
const equals = (f: string, want: unknown) => (d: Doc) => jsonEqual(valueAt(d, f), want);

/**
 * Each filter with the documents it must return, stated as a predicate over
 * the document written directly from the DSL's rules.
 */
const CASES: Array<[string, unknown, (d: Doc) => boolean]> = [
  ["empty filter", {}, () => true],
  ["implicit string equality", { status: "active" }, equals("status", "active")],
  ["equality is case-sensitive", { status: "ACTIVE" }, equals("status", "ACTIVE")],
  ["number equality (1 equals 1.0)", { n: 1 }, equals("n", 1)],
  ["number never equals numeric string", { n: 10 }, equals("n", 10)],
  ["numeric string never equals number", { n: "10" }, equals("n", "10")],
  ["boolean equality", { flag: true }, equals("flag", true)],
  ["boolean false", { n: false }, equals("n", false)],
  ["nested path", { "author.name": "Ann" }, equals("author.name", "Ann")],
  ["nested path number", { "author.age": 30 }, equals("author.age", 30)],
  ["deep path", { "nested.deep.deeper.x": 1 }, equals("nested.deep.deeper.x", 1)],
  ["array index path", { "items.0.k": 1 }, equals("items.0.k", 1)],
  ["negative array index", { "items.-1.k": 2 }, (d) => jsonEqual(valueAt(d, "items.-1.k"), 2)],
  ["scalar does not match inside an array", { tags: "a" }, equals("tags", "a")],
  ["array equality is exact and ordered", { tags: ["a", "b"] }, equals("tags", ["a", "b"])],
  ["empty array equality", { tags: [] }, equals("tags", [])],
  [
    "literal object equality ignores key order",
    { author: { name: "Ann", age: 30 } },
    equals("author", { name: "Ann", age: 30 }),
  ],
  ["empty literal object", { n: {} }, equals("n", {})],
  ["quoted key", { "it's": "quoted key" }, equals("it's", "quoted key")],
  ["key with double quotes", { 'say "hi"': 1 }, (d) => d['say "hi"'] === 1],
  ["hostile value", { s: "'); drop table documents; --" }, equals("s", "'); drop table documents; --")],
  ["dollar value", { status: "$1" }, equals("status", "$1")],
  ["astral unicode value", { status: "𝔘nicode" }, equals("status", "𝔘nicode")],
  ["null matches null or missing", { status: null }, missingOrNull("status")],
  ["$eq null", { n: { $eq: null } }, missingOrNull("n")],
  ["$eq number", { n: { $eq: 9 } }, equals("n", 9)],
  ["$eq object", { author: { $eq: { age: 30, name: "Ann" } } }, equals("author", { name: "Ann", age: 30 })],
  ["$ne matches missing", { status: { $ne: "active" } }, (d) => !equals("status", "active")(d)],
  ["$ne null: present and not null", { n: { $ne: null } }, (d) => !missingOrNull("n")(d)],
  ["$ne array", { tags: { $ne: ["a", "b"] } }, (d) => !equals("tags", ["a", "b"])(d)],
  ["$gt number", { n: { $gt: 2 } }, num("n", (n) => n > 2)],
  ["$gte number", { n: { $gte: 2 } }, num("n", (n) => n >= 2)],
  ["$lt number", { n: { $lt: 1 } }, num("n", (n) => n < 1)],
  ["$lte number fraction", { n: { $lte: -0.5 } }, num("n", (n) => n <= -0.5)],
  ["$gt huge", { n: { $gt: 1e20 } }, num("n", (n) => n > 1e20)],
  ["$gt string (bytes)", { s: { $gt: "Z" } }, str("s", (c) => c > 0, "Z")],
  ["$lt string: '10' < '9'", { n: { $lt: "9" } }, str("n", (c) => c < 0, "9")],
  ["$gte string", { s: { $gte: "gen 10" } }, str("s", (c) => c >= 0, "gen 10")],
  ["$lte empty string", { s: { $lte: "" } }, str("s", (c) => c <= 0, "")],
  ["$gt non-ascii", { s: { $gt: "z" } }, str("s", (c) => c > 0, "z")],
  ["range pair", { n: { $gt: 0, $lte: 9 } }, num("n", (n) => n > 0 && n <= 9)],
  ["$in mixed", { n: { $in: [1, "10", true] } }, (d) => [1, "10", true].some((x) => equals("n", x)(d))],
  [
    "$in with null matches missing",
    { status: { $in: ["idle", null] } },
    (d) => equals("status", "idle")(d) || missingOrNull("status")(d),
  ],
  ["$in arrays", { n: { $in: [[1, 2], [3]] } }, (d) => equals("n", [1, 2])(d) || equals("n", [3])(d)],
  ["$in empty", { n: { $in: [] } }, () => false],
  [
    "$in nested path",
    { "author.name": { $in: ["Bob", "bob"] } },
    (d) => ["Bob", "bob"].some((x) => equals("author.name", x)(d)),
  ],
  [
    "$nin matches missing",
    { status: { $nin: ["active", "idle"] } },
    (d) => !["active", "idle"].some((x) => equals("status", x)(d)),
  ],
  ["$nin with null", { status: { $nin: [null] } }, (d) => !missingOrNull("status")(d)],
  ["$nin empty", { n: { $nin: [] } }, () => true],
  ["$exists true", { n: { $exists: true } }, (d) => valueAt(d, "n") !== undefined],
  ["$exists true includes null", { status: { $exists: true } }, (d) => valueAt(d, "status") !== undefined],
  ["$exists false", { "author.age": { $exists: false } }, (d) => valueAt(d, "author.age") === undefined],
  ["$not matches missing", { n: { $not: { $gt: 2 } } }, (d) => !num("n", (n) => n > 2)(d)],
  ["$not $in", { status: { $not: { $in: ["active"] } } }, (d) => !equals("status", "active")(d)],
  ["double $not", { n: { $not: { $not: { $lt: 3 } } } }, num("n", (n) => n < 3)],
  [
    "$and",
    { $and: [{ status: "active" }, { n: { $gte: 1 } }] },
    (d) => equals("status", "active")(d) && num("n", (n) => n >= 1)(d),
  ],
  [
    "$or",
    { $or: [{ n: "9" }, { s: "zero" }, { flag: 1 }] },
    (d) => equals("n", "9")(d) || equals("s", "zero")(d) || equals("flag", 1)(d),
  ],
  [
    "$or of equalities on one field",
    { $or: [{ status: "idle" }, { status: "gone" }] },
    (d) => equals("status", "idle")(d) || equals("status", "gone")(d),
  ],
  [
    "fields and $or together",
    { status: "active", $or: [{ n: 1 }, { n: "9" }] },
    (d) => equals("status", "active")(d) && (equals("n", 1)(d) || equals("n", "9")(d)),
  ],
  [
    "nested $and/$or",
    {
      $or: [
        { $and: [{ "author.name": "Ann" }, { "author.age": { $gt: 30 } }] },
        { tags: { $exists: false } },
      ],
    },
    (d) =>
      (equals("author.name", "Ann")(d) && num("author.age", (n) => n > 30)(d)) ||
      valueAt(d, "tags") === undefined,
  ],
  ["path through a non-object is missing", { "s.x": null }, () => true],
  ["a __proto__ key is data", { "__proto__.polluted": true }, equals("__proto__.polluted", true)],
  ["inherited names are missing", { constructor: null, toString: { $exists: false } }, () => true],
  ["path through a string with $exists", { "items.k": { $exists: true } }, () => false],
];

describe.each(testDbKinds())("filter results [%s]", (kind) => {
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

  it.each(CASES)("%s", async (_name, filter, predicate) => {
    const expected = docs
      .filter((d) => predicate(d.data))
      .map((d) => d.id)
      .sort();
    expect(await matchingIds(testDb.database.db, appId, filter)).toEqual(expected);
    expect(await countDocs(testDb.database.db, appId, filter)).toBe(expected.length);
    // The reference evaluator used by the randomized tests agrees with the stated rule.
    expect(docs.filter((d) => matches(d.data, filter as Doc)).length).toBe(expected.length);
  });

  it("reads array-index segments as PostgreSQL does (sign, leading blanks)", async () => {
    const ids = (filter: unknown) => matchingIds(testDb.database.db, appId, filter);
    expect(await ids({ "items. 0.k": 1 })).toEqual(await ids({ "items.0.k": 1 }));
    expect(await ids({ "items.+1.k": 2 })).toEqual(await ids({ "items.1.k": 2 }));
    expect(await ids({ "items.-3.k": 3 })).toEqual(await ids({ "items.0.k": 3 }));
    expect(await ids({ "items.0 .k": { $exists: true } })).toEqual([]);
    expect((await ids({ "items.1.k": 2 })).length).toBe(1);
  });

  it("finds the documents a reader expects for a few spelled-out filters", async () => {
    const byS = async (filter: unknown) => {
      const ids = await matchingIds(testDb.database.db, appId, filter);
      return docs
        .filter((d) => ids.includes(d.id))
        .map((d) => d.data.s)
        .sort();
    };
    expect(await byS({ n: { $gt: 5, $lt: 100 } })).toEqual(["10", "9", "gen 04", "gen 11"]);
    expect(await byS({ n: { $gte: "9" } })).toEqual(["abc", "éclair"]);
    expect(await byS({ "author.name": "bob" })).toEqual(["éclair"]);
    expect(await byS({ tags: "a" })).toEqual(["9"]);
    expect(await byS({ n: 1 })).toEqual(["apple", "one point oh"]);
  });
});
