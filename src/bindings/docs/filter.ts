/**
 * The query compiler of env.docs: turns a MongoDB-like filter, a sort, a limit
 * and a cursor into drizzle SQL fragments over the documents table. The
 * caller adds the app and collection conditions:
 *
 *   const q = compileFind({ filter, sort, limit, cursor });
 *   const rows = await db.select().from(documents)
 *     .where(and(eq(documents.appId, app), eq(documents.collection, name), q.where))
 *     .orderBy(...q.orderBy).limit(q.limit);
 *   const next = rows.length === q.limit ? q.cursorFor(rows.at(-1)!) : null;
 *
 * Semantics (docs/documents.md has the full DSL with examples):
 * - `{a: v}` and `{a: {$eq: v}}` are exact jsonb equality (1 equals 1.0; an
 *   array field equals only an equal array: no implicit "array contains").
 *   A value object whose keys all start with `$` is an operator object; with no
 *   `$` keys it is a literal object; mixing both is an error.
 * - `null` (via `$eq`/`$in`) matches null or missing; `$ne`, `$nin` and
 *   `$not` match missing fields.
 * - `$gt/$gte/$lt/$lte` take a number (matches JSON numbers only, numerically)
 *   or a string (matches JSON strings only, by byte: COLLATE "C").
 * - Dotted paths go through objects; a numeric segment indexes an array
 *   (negative counts from the end), exactly as jsonb_extract_path does.
 * - Equality and `$in` add a `data @> …` probe where it is implied by the
 *   exact check, so the GIN index (jsonb_path_ops) narrows the rows.
 * - Sort: see sort-cursor.ts. Limit: default 100, clamped to 1..1000.
 * Every user string (values and path segments) is a bound parameter.
 */
import { type SQL, sql } from "drizzle-orm";
import { FILTER_LIMITS, FilterError } from "./filter-error.js";
import { parseFilter } from "./filter-parse.js";
import { filterToSql } from "./filter-sql.js";
import { keysetAfter, orderBy, parseSort } from "./sort-cursor.js";
import { decodeCursor, encodeCursor } from "./sort-cursor-codec.js";

export { FILTER_LIMITS, FilterError } from "./filter-error.js";

/** A boolean SQL expression over documents.data, never NULL. */
export function compileFilter(filter: unknown): SQL {
  return filterToSql(parseFilter(filter));
}

/** The page size: default 100, integers clamped to 1..1000. */
export function parseLimit(limit: unknown): number {
  if (limit === undefined || limit === null) return FILTER_LIMITS.defaultLimit;
  if (typeof limit !== "number" || !Number.isInteger(limit))
    throw new FilterError("limit", "limit must be an integer");
  return Math.min(FILTER_LIMITS.maxLimit, Math.max(1, limit));
}

export interface CompiledFind {
  /** The filter, and the cursor position when a cursor was given. */
  where: SQL;
  /** The sort, ending with the id as tie-breaker. */
  orderBy: SQL[];
  limit: number;
  /** The cursor of the page that starts after `row`. */
  cursorFor(row: { id: string; data: unknown }): string;
}

export function compileFind(opts: {
  filter: unknown;
  sort?: unknown;
  limit?: unknown;
  cursor?: unknown;
}): CompiledFind {
  const filter = filterToSql(parseFilter(opts.filter));
  const keys = parseSort(opts.sort);
  const limit = parseLimit(opts.limit);
  const position =
    opts.cursor === undefined || opts.cursor === null ? undefined : decodeCursor(keys, opts.cursor);
  return {
    where: position ? sql`(${filter} and ${keysetAfter(keys, position)})` : filter,
    orderBy: orderBy(keys),
    limit,
    cursorFor: (row) => encodeCursor(keys, row),
  };
}
