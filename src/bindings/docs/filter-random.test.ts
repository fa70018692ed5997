/**
 * Randomized differential test: random filters over the fixture's fields and
 * values (plus documents and filters full of hostile strings) return exactly
 * the documents the plain-JS reference evaluator selects, on both engines.
 */
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
import { matches, valueAt } from "./filter-test-model.js";

const HOSTILE = [
  "'); drop table documents; --",
  "' or '1'='1",
  '"},{"',
  "\\",
  '\\"',
  "$1",
  "$$",
  "{a,b}",
  "NULL",
  "😀",
  "é",
  "\n\t",
  "",
];

const FIELDS = [
  "n",
  "s",
  "status",
  "tags",
  "flag",
  "author",
  "author.name",
  "author.age",
  "items.0.k",
  "items.-1.k",
  "g",
  "missing",
  "missing.deeper",
  "it's",
  ...HOSTILE.filter((h) => h && !h.includes(".") && !h.startsWith("$")),
];

const VALUES: unknown[] = [
  0,
  1,
  2,
  2.5,
  3,
  5,
  9,
  10,
  -3,
  1e21,
  "3",
  "9",
  "10",
  "abc",
  "Ann",
  "Bob",
  "active",
  "idle",
  "a",
  "zed",
  "Zed",
  true,
  false,
  null,
  [],
  ["a"],
  ["a", "b"],
  [1, 2],
  { a: 1 },
  { name: "Ann", age: 30 },
  ...HOSTILE,
];

function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  return { next, pick };
}

/** A random filter; values are drawn half from VALUES and half from what `docs` hold at the field. */
function randomFilter(seed: number, docs: readonly Record<string, unknown>[]): Record<string, unknown> {
  const r = rng(seed);
  const valueFor = (field: string, ok: (v: unknown) => boolean = () => true) => {
    const held = docs.map((d) => valueAt(d, field)).filter((v) => v !== undefined && ok(v));
    if (held.length > 0 && r.next() < 0.6) return r.pick(held);
    return r.pick(VALUES.filter(ok));
  };
  const rangeOk = (v: unknown) => typeof v === "number" || typeof v === "string";
  const operators = (field: string, depth: number): Record<string, unknown> => {
    const ops: Record<string, unknown> = {};
    const n = 1 + Math.floor(r.next() * 2);
    for (let i = 0; i < n; i++) {
      const op = r.pick(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$not"]);
      if (op === "$not") ops[op] = depth < 3 ? operators(field, depth + 1) : { $exists: true };
      else if (op === "$exists") ops[op] = r.next() < 0.5;
      else if (op === "$in" || op === "$nin")
        ops[op] = Array.from({ length: Math.floor(r.next() * 5) }, () => valueFor(field));
      else if (op === "$eq" || op === "$ne") ops[op] = valueFor(field);
      else ops[op] = valueFor(field, rangeOk);
    }
    return ops;
  };
  const filter = (depth: number): Record<string, unknown> => {
    const f: Record<string, unknown> = {};
    const n = r.next() < 0.7 ? 1 : 2;
    for (let i = 0; i < n; i++) {
      const roll = r.next();
      if (depth < 3 && roll < 0.3) {
        f[r.next() < 0.7 ? "$or" : "$and"] = Array.from({ length: 1 + Math.floor(r.next() * 3) }, () =>
          filter(depth + 1),
        );
      } else {
        const field = r.pick(FIELDS);
        f[field] = roll < 0.45 ? valueFor(field) : operators(field, 1);
      }
    }
    return f;
  };
  return filter(1);
}

/** Documents whose keys and values are hostile strings, so the random filters hit them. */
function hostileDocs(): Record<string, unknown>[] {
  return HOSTILE.map((h, i) => ({
    s: h,
    status: HOSTILE[(i + 1) % HOSTILE.length],
    tags: [h, "a"],
    author: { name: h },
    ...(h && !h.includes(".") && !h.startsWith("$") ? { [h]: i % 2 ? h : i } : {}),
  }));
}

describe.each(testDbKinds())("random filters agree with the reference evaluator [%s]", (kind) => {
  let testDb: TestDatabase;
  let appId: string;
  let docs: FixtureDoc[];

  beforeAll(async () => {
    testDb = await openTestDatabase(kind);
    appId = await prepareDocuments(testDb);
    docs = await insertDocs(testDb.database.db, appId, [...fixtureDocs(), ...hostileDocs()]);
  });
  afterAll(async () => {
    await testDb?.close();
  });

  it("on 600 random filters", async () => {
    let nonTrivial = 0;
    for (let seed = 1; seed <= 600; seed++) {
      const filter = randomFilter(
        seed,
        docs.map((d) => d.data),
      );
      const expected = docs
        .filter((d) => matches(d.data, filter))
        .map((d) => d.id)
        .sort();
      if (expected.length > 0 && expected.length < docs.length) nonTrivial++;
      const got = await matchingIds(testDb.database.db, appId, filter);
      if (JSON.stringify(got) !== JSON.stringify(expected)) {
        const show = (ids: string[]) => docs.filter((d) => ids.includes(d.id)).map((d) => d.data);
        expect.fail(
          `seed ${seed}: ${JSON.stringify(filter)}\nonly in SQL: ${JSON.stringify(show(got.filter((id) => !expected.includes(id))))}\nonly in JS: ${JSON.stringify(show(expected.filter((id) => !got.includes(id))))}`,
        );
      }
      if (seed % 20 === 0) expect(await countDocs(testDb.database.db, appId, filter)).toBe(expected.length);
    }
    // The generator must produce selective filters, not only match-all / match-none.
    expect(nonTrivial).toBeGreaterThan(180);
  });
});
