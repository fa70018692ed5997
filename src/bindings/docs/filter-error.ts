/**
 * The one error a malformed find/count argument raises, and the limits it
 * enforces. Messages name the operator and field so a script author can fix
 * the call without reading the source; they never echo more than a short
 * prefix of a user string.
 */

/** Which argument of find/count was wrong. */
export type FilterArgument = "filter" | "sort" | "limit" | "cursor";

export class FilterError extends Error {
  constructor(
    readonly argument: FilterArgument,
    message: string,
  ) {
    super(message);
    this.name = "FilterError";
  }
}

export const FILTER_LIMITS = {
  /** Nesting of filter objects through $and/$or elements and $not. */
  maxDepth: 8,
  /** Conditions (each operator, implicit equality, $and/$or/$not) in one filter. */
  maxOperators: 200,
  /** Values in one $in/$nin array. */
  maxInValues: 1000,
  /** Segments of a dotted field path. */
  maxPathSegments: 16,
  /** Characters per path segment. */
  maxSegmentLength: 128,
  /** Nesting of a literal JSON value (also stops cyclic objects). */
  maxValueDepth: 64,
  /** Keys of a sort object. */
  maxSortKeys: 4,
  defaultLimit: 100,
  maxLimit: 1000,
} as const;

/** A user string as shown in an error message: JSON-quoted, cut to 60 characters. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}
