/**
 * Sort order and keyset pagination for find.
 *
 * Each sort key orders by two parts so the order is the same on PGlite and
 * PostgreSQL whatever the database collation:
 *   1. a text key, COLLATE "C": the JSON type in jsonb's order as a digit
 *      (null and missing "0" < string "1" < number "2" < boolean "3" < array "4"
 *      < object "5"), strings followed by their text, so strings sort by byte;
 *   2. the jsonb value itself, which orders the rest within one type (numbers
 *      numerically, false < true, arrays and objects by jsonb's rules).
 * Two parts read the field twice per row for non-strings (three times for
 * strings): a sort costs 1.4-2x a hand-written `order by data->'f'` (bench/RESULTS.md).
 * The document id (UUIDv7, time-ordered) ascending is the final tie-breaker, so
 * the order is total and a page boundary is never ambiguous. The next page is
 * the rows strictly after the cursor's row in that order (keyset pagination).
 */
import { type SQL, sql } from "drizzle-orm";
import { FILTER_LIMITS, FilterError, quote } from "./filter-error.js";
import { parsePath } from "./filter-path.js";
import { fieldExpr, jsonParam } from "./filter-sql.js";
import { isPlainObject, type Json } from "./filter-value.js";
import { documents } from "./schema.js";

export interface SortKey {
  field: string;
  path: string[];
  direction: 1 | -1;
}

/** Parses `{field: 1 | -1, …}` (object order is priority); `undefined`/`null` mean "by id". */
export function parseSort(sort: unknown): SortKey[] {
  if (sort === undefined || sort === null) return [];
  if (!isPlainObject(sort)) throw new FilterError("sort", `sort must be an object such as {"createdAt": -1}`);
  const entries = Object.entries(sort);
  if (entries.length > FILTER_LIMITS.maxSortKeys)
    throw new FilterError("sort", `sort has more than ${FILTER_LIMITS.maxSortKeys} fields`);
  return entries.map(([field, direction]) => {
    if (direction !== 1 && direction !== -1)
      throw new FilterError("sort", `sort direction for ${quote(field)} must be 1 or -1`);
    return { field, path: parsePath(field, "sort"), direction };
  });
}

/** The two ordering parts of a jsonb expression (NULL meaning missing); see the module comment. */
function parts(value: SQL): SQL[] {
  return [
    sql`((case jsonb_typeof(${value}) when 'string' then '1' || (${value} #>> '{}') when 'number' then '2' when 'boolean' then '3' when 'array' then '4' when 'object' then '5' else '0' end) collate "C")`,
    sql`coalesce(${value}, 'null'::jsonb)`,
  ];
}

/** ORDER BY terms: two per key, then the id. */
export function orderBy(keys: readonly SortKey[]): SQL[] {
  const terms = keys.flatMap((key) => {
    const dir = key.direction === 1 ? sql`asc` : sql`desc`;
    return parts(fieldExpr(key.path)).map((p) => sql`${p} ${dir}`);
  });
  terms.push(sql`${documents.id} asc`);
  return terms;
}

/**
 * Rows strictly after the cursor position (sort values, then id) in the sort
 * order, as one row comparison `(l1, l2, …, id) > (r1, r2, …, $id)`. A
 * descending part swaps its two sides, which turns "row < cursor" into the
 * same ">" the other parts use. PostgreSQL compares a row left to right and
 * stops at the first unequal pair, so later parts are only computed on ties.
 * No part is ever NULL, so the comparison is never unknown.
 */
export function keysetAfter(
  keys: readonly SortKey[],
  position: { values: readonly Json[]; id: string },
): SQL {
  const left: SQL[] = [];
  const right: SQL[] = [];
  keys.forEach((key, i) => {
    const rowParts = parts(fieldExpr(key.path));
    const cursorParts = parts(jsonParam(position.values[i]!));
    const [l, r] = key.direction === 1 ? [rowParts, cursorParts] : [cursorParts, rowParts];
    left.push(...l);
    right.push(...r);
  });
  left.push(sql`${documents.id}`);
  right.push(sql`${position.id}::text::uuid`);
  return sql`(${sql.join(left, sql`, `)}) > (${sql.join(right, sql`, `)})`;
}
