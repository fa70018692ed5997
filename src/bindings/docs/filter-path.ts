/**
 * Dotted field paths ("author.name") as filters and sorts use them, and a JS
 * mirror of PostgreSQL's jsonb_extract_path so a cursor can be built from a
 * row the database returned with exactly the value SQL sorted on.
 */
import { FILTER_LIMITS, type FilterArgument, FilterError, quote } from "./filter-error.js";
import { checkString, isPlainObject } from "./filter-value.js";

/** Splits and checks a field path: non-empty segments, no leading `$`, bounded count and length. */
export function parsePath(field: string, argument: FilterArgument): string[] {
  if (field === "") throw new FilterError(argument, "field name is empty");
  checkString(field, argument, `field ${quote(field)}`);
  const segments = field.split(".");
  if (segments.length > FILTER_LIMITS.maxPathSegments)
    throw new FilterError(
      argument,
      `field ${quote(field)} has more than ${FILTER_LIMITS.maxPathSegments} segments`,
    );
  for (const seg of segments) {
    if (seg === "") throw new FilterError(argument, `field ${quote(field)} has an empty segment`);
    if (seg.length > FILTER_LIMITS.maxSegmentLength)
      throw new FilterError(
        argument,
        `field ${quote(field)} has a segment longer than ${FILTER_LIMITS.maxSegmentLength} characters`,
      );
    if (seg.startsWith("$"))
      throw new FilterError(argument, `field ${quote(field)} has a segment starting with "$"`);
  }
  return segments;
}

// What PostgreSQL's strtoint accepts when jsonb_extract_path meets an array:
// C whitespace, an optional sign, decimal digits, nothing after.
const INDEX_LIKE = /^[ \t\n\v\f\r]*[+-]?[0-9]+$/;

/** True when a segment may be read as an array index (then `@>` containment is not equivalent). */
export function mayIndexArray(segment: string): boolean {
  return INDEX_LIKE.test(segment);
}

function arrayIndex(segment: string, length: number): number | undefined {
  if (!INDEX_LIKE.test(segment)) return undefined;
  const n = Number(segment.trimStart());
  if (!Number.isInteger(n) || n > 2 ** 31 - 1 || n < -(2 ** 31)) return undefined;
  if (n >= 0) return n < length ? n : undefined;
  return -n > length ? undefined : length + n;
}

/** jsonb_extract_path(data, ...path) in JS: `undefined` where SQL gives NULL (missing). */
export function extractPath(data: unknown, path: readonly string[]): unknown {
  let current: unknown = data;
  for (const seg of path) {
    if (Array.isArray(current)) {
      const i = arrayIndex(seg, current.length);
      if (i === undefined) return undefined;
      current = current[i];
    } else if (isPlainObject(current)) {
      if (!Object.hasOwn(current, seg)) return undefined;
      current = current[seg];
    } else {
      return undefined;
    }
  }
  return current;
}
