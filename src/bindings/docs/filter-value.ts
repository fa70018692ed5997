/**
 * Literal JSON values inside filters and cursors. A value must be something
 * jsonb can hold, so a bad value is a clear FilterError here rather than a
 * database error later: no undefined/NaN/Infinity/functions/class instances,
 * no NUL characters and no unpaired surrogates (jsonb rejects both), bounded
 * nesting (which also stops cyclic objects).
 */
import { FILTER_LIMITS, type FilterArgument, FilterError } from "./filter-error.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A plain `{}` object (any realm), not an array, null or class instance. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Throws unless `s` can be stored in PostgreSQL text and jsonb. */
export function checkString(s: string, argument: FilterArgument, where: string): void {
  if (s.includes("\u0000")) throw new FilterError(argument, `${where} contains a NUL character`);
  if (LONE_SURROGATE.test(s)) throw new FilterError(argument, `${where} contains an unpaired surrogate`);
}

function describe(v: unknown): string {
  if (v === undefined) return "undefined";
  if (typeof v === "number") return String(v);
  if (typeof v === "object" && v !== null) return v.constructor?.name ?? "object";
  return typeof v;
}

/** Throws a FilterError naming `where` unless `value` is a JSON value jsonb accepts. */
export function checkJson(
  value: unknown,
  argument: FilterArgument,
  where: string,
  depth = 0,
): asserts value is Json {
  if (value === null || typeof value === "boolean") return;
  if (typeof value === "string") return checkString(value, argument, where);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new FilterError(argument, `${where}: ${value} is not a JSON number`);
    return;
  }
  if (depth >= FILTER_LIMITS.maxValueDepth)
    throw new FilterError(argument, `${where} is nested deeper than ${FILTER_LIMITS.maxValueDepth} levels`);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkJson(value[i], argument, where, depth + 1);
    return;
  }
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      checkString(k, argument, `${where} (a key)`);
      checkJson(v, argument, where, depth + 1);
    }
    return;
  }
  throw new FilterError(argument, `${where}: ${describe(value)} is not a JSON value`);
}

/** True when the value holds at least one scalar (so a GIN containment probe has something to look up). */
export function hasScalarLeaf(value: Json): boolean {
  if (Array.isArray(value)) return value.some(hasScalarLeaf);
  if (value !== null && typeof value === "object") return Object.values(value).some(hasScalarLeaf);
  return true;
}
