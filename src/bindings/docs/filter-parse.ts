/**
 * Validates a MongoDB-like filter and normalizes it into a small AST that
 * filter-sql.ts compiles. Every rule of the DSL (see docs/documents.md) is
 * decided here; the SQL side only translates. Recursion is bounded by the
 * depth limit before it happens, so a hostile filter cannot exhaust the stack.
 */
import { FILTER_LIMITS, FilterError, quote } from "./filter-error.js";
import { parsePath } from "./filter-path.js";
import { checkJson, isPlainObject, type Json } from "./filter-value.js";

export type Comparison = "gt" | "gte" | "lt" | "lte";

export type FilterNode =
  | { kind: "true" }
  | { kind: "and" | "or"; children: FilterNode[] }
  | { kind: "not"; child: FilterNode }
  | { kind: "eq" | "ne"; path: string[]; value: Json }
  | { kind: "cmp"; op: Comparison; path: string[]; value: number | string }
  | { kind: "in" | "nin"; path: string[]; values: Json[] }
  | { kind: "exists"; path: string[]; exists: boolean };

const FIELD_OPERATORS = new Set([
  "$eq",
  "$ne",
  "$gt",
  "$gte",
  "$lt",
  "$lte",
  "$in",
  "$nin",
  "$exists",
  "$not",
]);

interface Budget {
  operators: number;
}

/** Parses a filter; `undefined`/`null` mean "every document". */
export function parseFilter(filter: unknown): FilterNode {
  if (filter === undefined || filter === null) return { kind: "true" };
  return parseObject(filter, 1, { operators: 0 });
}

function count(budget: Budget): void {
  if (++budget.operators > FILTER_LIMITS.maxOperators)
    throw new FilterError("filter", `filter has more than ${FILTER_LIMITS.maxOperators} operators`);
}

function enter(depth: number): number {
  if (depth > FILTER_LIMITS.maxDepth)
    throw new FilterError("filter", `filter nesting deeper than ${FILTER_LIMITS.maxDepth} levels`);
  return depth;
}

function conjunction(children: FilterNode[]): FilterNode {
  if (children.length === 0) return { kind: "true" };
  if (children.length === 1) return children[0]!;
  return { kind: "and", children };
}

/** A filter object: field conditions and top-level $and/$or, all of which must hold. */
function parseObject(filter: unknown, depth: number, budget: Budget): FilterNode {
  enter(depth);
  if (!isPlainObject(filter))
    throw new FilterError("filter", `a filter must be an object such as {"status": "active"}`);
  const children: FilterNode[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (key === "$and" || key === "$or") {
      count(budget);
      if (!Array.isArray(value) || value.length === 0)
        throw new FilterError("filter", `"${key}" needs a non-empty array of filters`);
      const parts = value.map((f) => parseObject(f, depth + 1, budget));
      children.push(
        parts.length === 1 ? parts[0]! : { kind: key === "$and" ? "and" : "or", children: parts },
      );
    } else if (key.startsWith("$")) {
      if (FIELD_OPERATORS.has(key))
        throw new FilterError(
          "filter",
          `"${key}" applies to a field: write {"field": {${quote(key)}: …}} instead of {${quote(key)}: …}`,
        );
      throw new FilterError("filter", `unknown operator ${quote(key)}`);
    } else {
      children.push(parseField(key, parsePath(key, "filter"), value, depth, budget));
    }
  }
  return conjunction(children);
}

/** The kind of a field's value: operator object, literal object, or mixed (an error). */
function operatorKeys(value: Record<string, unknown>, field: string): boolean {
  const keys = Object.keys(value);
  const ops = keys.filter((k) => k.startsWith("$")).length;
  if (ops > 0 && ops < keys.length)
    throw new FilterError(
      "filter",
      `the value at ${quote(field)} mixes operators and fields: use either operators ({"$gt": 1}) or a literal object`,
    );
  return ops > 0;
}

function parseField(
  field: string,
  path: string[],
  value: unknown,
  depth: number,
  budget: Budget,
): FilterNode {
  if (isPlainObject(value) && operatorKeys(value, field))
    return parseOperators(field, path, value, depth, budget);
  count(budget);
  checkJson(value, "filter", `the value at ${quote(field)}`);
  return { kind: "eq", path, value };
}

function parseOperators(
  field: string,
  path: string[],
  ops: Record<string, unknown>,
  depth: number,
  budget: Budget,
): FilterNode {
  const at = (op: string) => `${quote(op)} at ${quote(field)}`;
  const children: FilterNode[] = [];
  for (const [op, arg] of Object.entries(ops)) {
    count(budget);
    switch (op) {
      case "$eq":
      case "$ne":
        checkJson(arg, "filter", at(op));
        children.push({ kind: op === "$eq" ? "eq" : "ne", path, value: arg });
        break;
      case "$gt":
      case "$gte":
      case "$lt":
      case "$lte":
        if (!(typeof arg === "string" || (typeof arg === "number" && Number.isFinite(arg))))
          throw new FilterError("filter", `${at(op)} needs a number or a string`);
        checkJson(arg, "filter", at(op));
        children.push({ kind: "cmp", op: op.slice(1) as Comparison, path, value: arg });
        break;
      case "$in":
      case "$nin": {
        if (!Array.isArray(arg) || arg.length > FILTER_LIMITS.maxInValues)
          throw new FilterError(
            "filter",
            `${at(op)} needs an array of at most ${FILTER_LIMITS.maxInValues} values`,
          );
        for (const v of arg) checkJson(v, "filter", at(op));
        children.push({ kind: op === "$in" ? "in" : "nin", path, values: arg as Json[] });
        break;
      }
      case "$exists":
        if (typeof arg !== "boolean") throw new FilterError("filter", `${at(op)} needs true or false`);
        children.push({ kind: "exists", path, exists: arg });
        break;
      case "$not": {
        enter(depth + 1);
        if (!isPlainObject(arg) || Object.keys(arg).length === 0 || !operatorKeys(arg, field))
          throw new FilterError("filter", `${at(op)} needs an operator object such as {"$gt": 5}`);
        children.push({ kind: "not", child: parseOperators(field, path, arg, depth + 1, budget) });
        break;
      }
      case "$and":
      case "$or":
        throw new FilterError(
          "filter",
          `${at(op)} is not a field operator: use {${quote(op)}: [{${quote(field)}: …}, …]} at the top level`,
        );
      default:
        throw new FilterError("filter", `unknown operator ${at(op)}`);
    }
  }
  return conjunction(children);
}
