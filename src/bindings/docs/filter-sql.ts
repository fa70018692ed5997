/**
 * Compiles a filter AST into one boolean SQL expression over documents.data.
 *
 * Two rules hold for everything emitted here:
 * - every user string (values and field path segments) is a bound parameter,
 *   cast from text in SQL (`$1::text::jsonb`), so no driver re-encodes it and
 *   nothing a user writes becomes SQL text;
 * - every leaf is two-valued (never NULL), so NOT and OR behave as in JS.
 */
import { type SQL, sql } from "drizzle-orm";
import type { FilterNode } from "./filter-parse.js";
import { mayIndexArray } from "./filter-path.js";
import { hasScalarLeaf, type Json } from "./filter-value.js";
import { documents } from "./schema.js";

/** jsonb_extract_path(data, $1, $2, …): the value at a path, SQL NULL when missing. */
export function fieldExpr(path: readonly string[]): SQL {
  const segments = sql.join(
    path.map((s) => sql`${s}::text`),
    sql`, `,
  );
  return sql`jsonb_extract_path(${documents.data}, ${segments})`;
}

/** A JSON value as a bound jsonb parameter. */
export function jsonParam(value: Json): SQL {
  return sql`${JSON.stringify(value)}::text::jsonb`;
}

/**
 * The set of values of an $in/$nin: one jsonb-array parameter unpacked by a
 * subquery, which PostgreSQL runs once and hashes, so each row costs one hash
 * probe whatever the list length (and however the plan is cached).
 */
function valueSet(values: readonly Json[]): SQL {
  return sql`(select jsonb_array_elements(${JSON.stringify(values)}::text::jsonb))`;
}

/** Up to this many $in values also get a GIN probe each; longer lists are filtered by the hashed set only. */
const MAX_IN_PROBES = 32;

/** {"a": {"b": value}} for path a.b: what `data @> …` looks for. */
function container(path: readonly string[], value: Json): Json {
  let out: Json = value;
  for (let i = path.length - 1; i >= 0; i--) out = { [path[i]!]: out };
  return out;
}

/**
 * Whether `data @> container(path, v)` is implied by exact equality at `path`,
 * so adding it changes no result but lets the GIN index (jsonb_path_ops) answer:
 * - no segment may index an array (containment would look for an object key);
 * - the value must hold a scalar somewhere, or the index has nothing to look up.
 * The exact check stays next to it because containment is weaker than equality
 * (`{"tags": ["a", "b"]}` contains `{"tags": ["a"]}`).
 */
function indexable(path: readonly string[], value: Json): boolean {
  return value !== null && !path.some(mayIndexArray) && hasScalarLeaf(value);
}

function eq(path: readonly string[], value: Json, useIndex: boolean): SQL {
  const x = fieldExpr(path);
  if (value === null) return sql`coalesce(${x} = 'null'::jsonb, true)`;
  const exact = sql`coalesce(${x} = ${jsonParam(value)}, false)`;
  if (!useIndex || !indexable(path, value)) return exact;
  return sql`(${documents.data} @> ${jsonParam(container(path, value))} and ${exact})`;
}

function isIn(path: readonly string[], values: readonly Json[], useIndex: boolean): SQL {
  if (values.length === 0) return sql`false`;
  const nullMatchesMissing = values.includes(null) ? sql`true` : sql`false`;
  const exact = sql`coalesce(${fieldExpr(path)} in ${valueSet(values)}, ${nullMatchesMissing})`;
  if (!useIndex || values.length > MAX_IN_PROBES || !values.every((v) => indexable(path, v))) return exact;
  // An ARRAY[] of immutable casts is folded into one constant, which a bitmap index scan takes as array keys.
  const probes = sql.join(
    values.map((v) => jsonParam(container(path, v))),
    sql`, `,
  );
  return sql`(${documents.data} @> any(array[${probes}]) and ${exact})`;
}

const COMPARE = { gt: sql`>`, gte: sql`>=`, lt: sql`<`, lte: sql`<=` } as const;

type NumericBound = Extract<FilterNode, { kind: "cmp" }> & { value: number };

/**
 * The parts of an AND. Numeric bounds on one field with both a lower and an
 * upper bound become one condition without a type check: jsonb orders null,
 * strings (and a top-level []) below every number and booleans, arrays and
 * objects above, so only numbers lie between two numeric bounds. This reads
 * the field once per bound instead of twice.
 */
function conjuncts(children: readonly FilterNode[]): SQL[] {
  const bounds = new Map<string, NumericBound[]>();
  const rest: SQL[] = [];
  for (const child of children) {
    if (child.kind === "cmp" && typeof child.value === "number") {
      const key = JSON.stringify(child.path);
      bounds.set(key, [...(bounds.get(key) ?? []), child as NumericBound]);
    } else {
      rest.push(filterToSql(child));
    }
  }
  const merged: SQL[] = [];
  for (const group of bounds.values()) {
    const lower = group.some((b) => b.op === "gt" || b.op === "gte");
    const upper = group.some((b) => b.op === "lt" || b.op === "lte");
    if (!lower || !upper) {
      merged.push(...group.map(filterToSql));
      continue;
    }
    const x = fieldExpr(group[0]!.path);
    const tests = group.map((b) => sql`${x} ${COMPARE[b.op]} ${jsonParam(b.value)}`);
    merged.push(sql`coalesce(${sql.join(tests, sql` and `)}, false)`);
  }
  return [...merged, ...rest];
}

/** The filter as a boolean SQL expression that is never NULL. */
export function filterToSql(node: FilterNode): SQL {
  switch (node.kind) {
    case "true":
      return sql`true`;
    case "and":
      return sql`(${sql.join(conjuncts(node.children), sql` and `)})`;
    case "or":
      return sql`(${sql.join(node.children.map(filterToSql), sql` or `)})`;
    case "not":
      return sql`not (${filterToSql(node.child)})`;
    case "eq":
      return eq(node.path, node.value, true);
    case "ne":
      return sql`not (${eq(node.path, node.value, false)})`;
    case "in":
      return isIn(node.path, node.values, true);
    case "nin":
      return sql`not (${isIn(node.path, node.values, false)})`;
    case "exists":
      return node.exists ? sql`${fieldExpr(node.path)} is not null` : sql`${fieldExpr(node.path)} is null`;
    case "cmp": {
      const x = fieldExpr(node.path);
      const op = COMPARE[node.op];
      if (typeof node.value === "number")
        return sql`coalesce(jsonb_typeof(${x}) = 'number' and ${x} ${op} ${jsonParam(node.value)}, false)`;
      return sql`coalesce(jsonb_typeof(${x}) = 'string' and (${x} #>> '{}') collate "C" ${op} ${node.value}::text, false)`;
    }
  }
}
