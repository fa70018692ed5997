/**
 * Test support: the filter DSL and the sort order evaluated in plain JS over
 * documents, written from the documented semantics and independently of the
 * compiler, so database results can be checked against it.
 */

type Doc = Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The value at a dotted path; integer segments index arrays (negative from the end). */
export function valueAt(doc: unknown, field: string): unknown {
  let current: unknown = doc;
  for (const seg of field.split(".")) {
    if (Array.isArray(current)) {
      if (!/^-?\d+$/.test(seg)) return undefined;
      const i = Number(seg) < 0 ? current.length + Number(seg) : Number(seg);
      current = i >= 0 && i < current.length ? current[i] : undefined;
    } else if (isObject(current) && Object.hasOwn(current, seg)) {
      current = current[seg];
    } else {
      return undefined;
    }
  }
  return current;
}

/** Deep JSON equality: key order does not matter, array order does. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]))
    );
  }
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false;
    const ka = Object.keys(a);
    return (
      ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]))
    );
  }
  return a === b;
}

/** Byte order of UTF-8, which is what COLLATE "C" compares. */
export const compareBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

function equalsOrNull(v: unknown, want: unknown): boolean {
  return want === null ? v === undefined || v === null : jsonEqual(v, want);
}

function range(v: unknown, op: string, bound: unknown): boolean {
  let c: number;
  if (typeof bound === "number" && typeof v === "number") c = v - bound;
  else if (typeof bound === "string" && typeof v === "string") c = compareBytes(v, bound);
  else return false;
  return op === "$gt" ? c > 0 : op === "$gte" ? c >= 0 : op === "$lt" ? c < 0 : c <= 0;
}

function isOperatorObject(v: unknown): v is Record<string, unknown> {
  return isObject(v) && Object.keys(v).length > 0 && Object.keys(v).every((k) => k.startsWith("$"));
}

function fieldMatches(v: unknown, cond: unknown): boolean {
  if (!isOperatorObject(cond)) return equalsOrNull(v, cond);
  return Object.entries(cond).every(([op, arg]) => {
    switch (op) {
      case "$eq":
        return equalsOrNull(v, arg);
      case "$ne":
        return !equalsOrNull(v, arg);
      case "$in":
        return (arg as unknown[]).some((x) => equalsOrNull(v, x));
      case "$nin":
        return !(arg as unknown[]).some((x) => equalsOrNull(v, x));
      case "$exists":
        return (v !== undefined) === arg;
      case "$not":
        return !fieldMatches(v, arg);
      default:
        return range(v, op, arg);
    }
  });
}

/** Whether a document matches a (valid) filter. */
export function matches(doc: Doc, filter: Record<string, unknown>): boolean {
  return Object.entries(filter).every(([key, cond]) => {
    if (key === "$and") return (cond as Record<string, unknown>[]).every((f) => matches(doc, f));
    if (key === "$or") return (cond as Record<string, unknown>[]).some((f) => matches(doc, f));
    return fieldMatches(valueAt(doc, key), cond);
  });
}

function typeRank(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === "string") return 1;
  if (typeof v === "number") return 2;
  if (typeof v === "boolean") return 3;
  return Array.isArray(v) ? 4 : 5;
}

/** Object keys in jsonb's storage order: shorter first, then by bytes. */
const storageOrder = (o: Record<string, unknown>) =>
  Object.keys(o).sort((a, b) => a.length - b.length || compareBytes(a, b));

/**
 * The documented sort order of two JSON values (missing = null): type first,
 * then strings by bytes, numbers numerically, false < true, arrays by length
 * then element-wise, objects by number of keys then key/value pairs in jsonb
 * storage order.
 */
export function compareJson(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === "string") return Math.sign(compareBytes(a, b as string));
  if (typeof a === "number") return Math.sign(a - (b as number));
  if (typeof a === "boolean") return Number(a) - Number(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return Math.sign(a.length - b.length);
    for (let i = 0; i < a.length; i++) {
      const c = compareJson(a[i], b[i]);
      if (c !== 0) return c;
    }
    return 0;
  }
  if (isObject(a) && isObject(b)) {
    const ka = storageOrder(a);
    const kb = storageOrder(b);
    if (ka.length !== kb.length) return Math.sign(ka.length - kb.length);
    for (let i = 0; i < ka.length; i++) {
      const c = Math.sign(compareBytes(ka[i]!, kb[i]!)) || compareJson(a[ka[i]!], b[kb[i]!]);
      if (c !== 0) return c;
    }
  }
  return 0;
}

/** Documents ordered by a sort spec, id ascending last. */
export function sortDocs<T extends { id: string; data: Doc }>(docs: T[], sort: Record<string, 1 | -1>): T[] {
  return [...docs].sort((x, y) => {
    for (const [field, dir] of Object.entries(sort)) {
      const c = compareJson(valueAt(x.data, field), valueAt(y.data, field));
      if (c !== 0) return c * dir;
    }
    return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
  });
}
