import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { uuidv7 } from "../../lib/ids.js";
import { compileFind, FilterError } from "./filter.js";
import { parseSort } from "./sort-cursor.js";
import { decodeCursor, encodeCursor } from "./sort-cursor-codec.js";

const keys = parseSort({ "a.b": 1, c: -1 });
const id = uuidv7();

function errorOf(fn: () => unknown): FilterError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FilterError) return e;
    throw e;
  }
  throw new Error("expected a FilterError");
}

/** A cursor with a valid checksum around any payload: what a forger who read the source could make. */
function forge(payload: unknown): string {
  return forgeText(JSON.stringify(payload));
}

function forgeText(text: string): string {
  const check = createHash("sha256").update(text).digest("base64url").slice(0, 12);
  return `${Buffer.from(text).toString("base64url")}.${check}`;
}

const signature = (cursor: string) =>
  JSON.parse(Buffer.from(cursor.split(".")[0]!, "base64url").toString())[1];

describe("cursor encoding", () => {
  it("round-trips the sort values (missing as null) and the id", () => {
    const cursor = encodeCursor(keys, { id, data: { a: { b: ["x", { y: 1 }] } } });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{12}$/);
    expect(decodeCursor(keys, cursor)).toEqual({ values: [["x", { y: 1 }], null], id });
  });

  it("reads sort values through arrays as jsonb_extract_path does", () => {
    const k = parseSort({ "a.-1": 1, "a. 0": 1, "a.5": 1 });
    const cursor = encodeCursor(k, { id, data: { a: [10, 20] } });
    expect(decodeCursor(k, cursor).values).toEqual([20, 10, null]);
  });

  it("is accepted by compileFind for the same sort", () => {
    const cursor = encodeCursor(keys, { id, data: { c: 3 } });
    expect(() => compileFind({ filter: {}, sort: { "a.b": 1, c: -1 }, cursor })).not.toThrow();
    expect(() => compileFind({ filter: {}, sort: { "a.b": 1, c: -1 }, cursor: null })).not.toThrow();
  });
});

describe("cursor validation", () => {
  const good = encodeCursor(keys, { id, data: { a: { b: "héllo 'quoted'" }, c: 1 } });
  const [body, check] = good.split(".") as [string, string];
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);

  const tampered: Array<[string, string]> = [
    ["empty", ""],
    ["no checksum", body],
    ["a changed body character", `${flip(body, 5)}.${check}`],
    ["a changed checksum", `${body}.${flip(check, 0)}`],
    ["truncated", good.slice(0, -1)],
    ["extended", `${good}A`],
    ["a longer body", `${body}AAAA.${check}`],
    ["not base64url", `${body.slice(0, 4)}+/=.${check}`],
    ["junk", "not a cursor at all"],
    ["huge", `${"A".repeat(2 * 1024 * 1024)}.${check}`],
    ["not JSON", forgeText("{oops")],
    ["wrong version", forge([2, signature(good), ["x", 1], id])],
    ["not an array", forge({ id })],
    ["wrong number of values", forge([1, signature(good), ["x"], id])],
    ["id not a UUID", forge([1, signature(good), ["x", 1], "1 or 1=1"])],
    ["value with NUL", forge([1, signature(good), ["x\u0000", 1], id])],
    ["values not an array", forge([1, signature(good), "x", id])],
  ];
  it.each(tampered)("refuses a cursor that is %s", (_name, cursor) => {
    const err = errorOf(() => compileFind({ filter: {}, sort: { "a.b": 1, c: -1 }, cursor }));
    expect(err.argument).toBe("cursor");
    expect(err.message).toBe("cursor is invalid");
  });

  it("accepts a forged cursor of the right shape: it only moves the start", () => {
    expect(decodeCursor(keys, forge([1, signature(good), ["'); drop table documents; --", 1], id]))).toEqual({
      values: ["'); drop table documents; --", 1],
      id,
    });
  });

  it.each([[{ "a.b": -1, c: -1 }], [{ c: -1, "a.b": 1 }], [{ "a.b": 1 }], [{ "a.b": 1, c: -1, d: 1 }], [{}]])(
    "refuses a cursor from another sort (%j)",
    (sort) => {
      expect(errorOf(() => compileFind({ filter: {}, sort, cursor: good })).message).toBe(
        "cursor is invalid",
      );
    },
  );

  it("names a cursor of the wrong type", () => {
    const err = errorOf(() => compileFind({ filter: {}, cursor: 42 }));
    expect(err.argument).toBe("cursor");
    expect(err.message).toBe("cursor must be a string returned by find");
  });
});
