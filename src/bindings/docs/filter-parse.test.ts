import { describe, expect, it } from "vitest";
import { compileFilter, compileFind, FilterError, parseLimit } from "./filter.js";
import { parseFilter } from "./filter-parse.js";
import { parseSort } from "./sort-cursor.js";

function errorOf(fn: () => unknown): FilterError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FilterError) return e;
    throw e;
  }
  throw new Error("expected a FilterError");
}

const nested = (levels: number): unknown => {
  let f: unknown = { a: 1 };
  for (let i = 1; i < levels; i++) f = { $and: [f] };
  return f;
};

describe("parseFilter: operators", () => {
  it("normalizes every operator", () => {
    expect(parseFilter(undefined)).toEqual({ kind: "true" });
    expect(parseFilter(null)).toEqual({ kind: "true" });
    expect(parseFilter({})).toEqual({ kind: "true" });
    expect(parseFilter({ status: "active" })).toEqual({ kind: "eq", path: ["status"], value: "active" });
    expect(parseFilter({ "author.name": "Ann" })).toEqual({
      kind: "eq",
      path: ["author", "name"],
      value: "Ann",
    });
    expect(parseFilter({ a: { $eq: [1] } })).toEqual({ kind: "eq", path: ["a"], value: [1] });
    expect(parseFilter({ a: { $ne: null } })).toEqual({ kind: "ne", path: ["a"], value: null });
    for (const op of ["gt", "gte", "lt", "lte"] as const) {
      expect(parseFilter({ a: { [`$${op}`]: 5 } })).toEqual({ kind: "cmp", op, path: ["a"], value: 5 });
      expect(parseFilter({ a: { [`$${op}`]: "m" } })).toEqual({ kind: "cmp", op, path: ["a"], value: "m" });
    }
    expect(parseFilter({ a: { $in: [1, "x", null, [2], { b: 3 }] } })).toEqual({
      kind: "in",
      path: ["a"],
      values: [1, "x", null, [2], { b: 3 }],
    });
    expect(parseFilter({ a: { $nin: [] } })).toEqual({ kind: "nin", path: ["a"], values: [] });
    expect(parseFilter({ a: { $exists: false } })).toEqual({ kind: "exists", path: ["a"], exists: false });
    expect(parseFilter({ a: { $not: { $gt: 5 } } })).toEqual({
      kind: "not",
      child: { kind: "cmp", op: "gt", path: ["a"], value: 5 },
    });
    expect(parseFilter({ $or: [{ a: 1 }, { b: 2 }] })).toEqual({
      kind: "or",
      children: [
        { kind: "eq", path: ["a"], value: 1 },
        { kind: "eq", path: ["b"], value: 2 },
      ],
    });
  });

  it("ANDs several conditions of one object and of one operator object", () => {
    expect(parseFilter({ a: { $gt: 1, $lt: 5 }, $and: [{ b: 1 }] })).toEqual({
      kind: "and",
      children: [
        {
          kind: "and",
          children: [
            { kind: "cmp", op: "gt", path: ["a"], value: 1 },
            { kind: "cmp", op: "lt", path: ["a"], value: 5 },
          ],
        },
        { kind: "eq", path: ["b"], value: 1 },
      ],
    });
  });

  it("treats an object without $ keys as a literal value, even with $ keys deeper", () => {
    expect(parseFilter({ a: { b: { $gt: 1 } } })).toEqual({
      kind: "eq",
      path: ["a"],
      value: { b: { $gt: 1 } },
    });
    expect(parseFilter({ a: {} })).toEqual({ kind: "eq", path: ["a"], value: {} });
  });

  it("accepts the limits exactly", () => {
    expect(() => parseFilter(nested(8))).not.toThrow();
    expect(() => parseFilter({ a: { $in: Array.from({ length: 1000 }, (_, i) => i) } })).not.toThrow();
    expect(() => parseFilter({ [Array(16).fill("x").join(".")]: 1 })).not.toThrow();
    expect(() => parseFilter({ ["x".repeat(128)]: 1 })).not.toThrow();
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${i}`, i]));
    expect(() => parseFilter(many)).not.toThrow();
    expect(() => compileFilter({ "0.-1. 2.+3": { $in: [1] } })).not.toThrow();
  });
});

describe("parseFilter: errors name the operator and field", () => {
  const cases: Array<[string, unknown, string]> = [
    ["not an object", "status", 'a filter must be an object such as {"status": "active"}'],
    ["an array", [{ a: 1 }], 'a filter must be an object such as {"status": "active"}'],
    ["unknown field operator", { title: { $regex: "x" } }, 'unknown operator "$regex" at "title"'],
    ["unknown top-level operator", { $nor: [{ a: 1 }] }, 'unknown operator "$nor"'],
    [
      "field operator at top level",
      { $gt: 5 },
      '"$gt" applies to a field: write {"field": {"$gt": …}} instead of {"$gt": …}',
    ],
    ["$and under a field", { a: { $and: [] } }, '"$and" at "a" is not a field operator'],
    ["mixed operator object", { a: { $gt: 1, b: 2 } }, 'the value at "a" mixes operators and fields'],
    ["$in not an array", { tags: { $in: "a" } }, '"$in" at "tags" needs an array of at most 1000 values'],
    [
      "huge $in",
      { tags: { $in: Array(1001).fill(1) } },
      '"$in" at "tags" needs an array of at most 1000 values',
    ],
    [
      "huge $nin",
      { tags: { $nin: Array(1001).fill(1) } },
      '"$nin" at "tags" needs an array of at most 1000 values',
    ],
    ["$gt boolean", { age: { $gt: true } }, '"$gt" at "age" needs a number or a string'],
    ["$gte null", { age: { $gte: null } }, '"$gte" at "age" needs a number or a string'],
    ["$lt array", { age: { $lt: [1] } }, '"$lt" at "age" needs a number or a string'],
    ["$lte NaN", { age: { $lte: Number.NaN } }, '"$lte" at "age" needs a number or a string'],
    ["$gt Infinity", { age: { $gt: Number.POSITIVE_INFINITY } }, '"$gt" at "age" needs a number or a string'],
    ["$exists non-boolean", { a: { $exists: 1 } }, '"$exists" at "a" needs true or false'],
    ["$not scalar", { a: { $not: 5 } }, '"$not" at "a" needs an operator object such as {"$gt": 5}'],
    ["$not literal object", { a: { $not: { b: 1 } } }, '"$not" at "a" needs an operator object'],
    ["$not empty", { a: { $not: {} } }, '"$not" at "a" needs an operator object'],
    ["$and empty", { $and: [] }, '"$and" needs a non-empty array of filters'],
    ["$or not an array", { $or: { a: 1 } }, '"$or" needs a non-empty array of filters'],
    ["$or element not an object", { $or: [1] }, "a filter must be an object"],
    ["too deep", nested(9), "filter nesting deeper than 8 levels"],
    [
      "too deep via $not",
      { a: { $not: { $not: { $not: { $not: { $not: { $not: { $not: { $not: { $gt: 1 } } } } } } } } } },
      "filter nesting deeper than 8 levels",
    ],
    [
      "too many operators",
      Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`f${i}`, i])),
      "filter has more than 200 operators",
    ],
    ["empty field", { "": 1 }, "field name is empty"],
    ["empty segment", { "a..b": 1 }, 'field "a..b" has an empty segment'],
    ["trailing dot", { "a.": 1 }, 'field "a." has an empty segment'],
    ["$ segment", { "a.$b": 1 }, 'field "a.$b" has a segment starting with "$"'],
    ["too many segments", { [Array(17).fill("x").join(".")]: 1 }, "has more than 16 segments"],
    ["long segment", { ["y".repeat(129)]: 1 }, "has a segment longer than 128 characters"],
    ["NUL in field", { "a\u0000": 1 }, 'field "a\\u0000" contains a NUL character'],
    ["NUL in value", { a: "x\u0000" }, 'the value at "a" contains a NUL character'],
    ["NUL in a nested key", { a: { "k\u0000": 1 } }, 'the value at "a" (a key) contains a NUL character'],
    ["lone surrogate", { a: { $eq: "\uD800" } }, '"$eq" at "a" contains an unpaired surrogate'],
    ["undefined value", { a: undefined }, 'the value at "a": undefined is not a JSON value'],
    ["undefined in $in", { a: { $in: [1, undefined] } }, '"$in" at "a": undefined is not a JSON value'],
    ["function value", { a: { $eq: () => 1 } }, '"$eq" at "a": function is not a JSON value'],
    ["Date value", { a: new Date(0) }, 'the value at "a": Date is not a JSON value'],
    ["NaN value", { a: Number.NaN }, 'the value at "a": NaN is not a JSON number'],
    ["bigint value", { a: { $ne: 1n } }, '"$ne" at "a": bigint is not a JSON value'],
    [
      "deep literal",
      { a: JSON.parse(`${"[".repeat(65)}${"]".repeat(65)}`) },
      'the value at "a" is nested deeper than 64 levels',
    ],
  ];
  it.each(cases)("%s", (_name, filter, message) => {
    const err = errorOf(() => compileFilter(filter));
    expect(err.argument).toBe("filter");
    expect(err.name).toBe("FilterError");
    expect(err.message).toContain(message);
  });

  it("refuses a cyclic value without overflowing the stack", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(errorOf(() => compileFilter({ a: cyclic })).message).toContain("nested deeper than 64 levels");
  });

  it("stops at the depth limit before recursing into a deeply nested filter", () => {
    expect(errorOf(() => compileFilter(nested(100_000))).message).toBe("filter nesting deeper than 8 levels");
  });

  it("shortens long field names in messages", () => {
    const err = errorOf(() => compileFilter({ ["z".repeat(100)]: { $bad: 1 } }));
    expect(err.message).toBe(`unknown operator "$bad" at "${"z".repeat(57)}..."`);
  });
});

describe("sort and limit", () => {
  it("parses sort keys in priority order", () => {
    expect(parseSort(undefined)).toEqual([]);
    expect(parseSort({ b: -1, "a.c": 1 })).toEqual([
      { field: "b", path: ["b"], direction: -1 },
      { field: "a.c", path: ["a", "c"], direction: 1 },
    ]);
  });

  it.each([
    ["not an object", "name", 'sort must be an object such as {"createdAt": -1}'],
    ["an array", [["a", 1]], "sort must be an object"],
    ["bad direction", { a: "asc" }, 'sort direction for "a" must be 1 or -1'],
    ["zero direction", { a: 0 }, 'sort direction for "a" must be 1 or -1'],
    ["too many keys", { a: 1, b: 1, c: 1, d: 1, e: 1 }, "sort has more than 4 fields"],
    ["bad path", { "a..b": 1 }, 'field "a..b" has an empty segment'],
  ])("refuses a sort that is %s", (_name, sort, message) => {
    const err = errorOf(() => compileFind({ filter: {}, sort }));
    expect(err.argument).toBe("sort");
    expect(err.message).toContain(message);
  });

  it("defaults and clamps the limit", () => {
    expect(parseLimit(undefined)).toBe(100);
    expect(parseLimit(null)).toBe(100);
    expect(parseLimit(1)).toBe(1);
    expect(parseLimit(0)).toBe(1);
    expect(parseLimit(-5)).toBe(1);
    expect(parseLimit(1000)).toBe(1000);
    expect(parseLimit(1e9)).toBe(1000);
    expect(compileFind({ filter: {}, limit: 20 }).limit).toBe(20);
  });

  it.each([[1.5], ["10"], [Number.NaN], [Number.POSITIVE_INFINITY], [true]])(
    "refuses the limit %s",
    (limit) => {
      const err = errorOf(() => compileFind({ filter: {}, limit }));
      expect(err.argument).toBe("limit");
      expect(err.message).toBe("limit must be an integer");
    },
  );
});
