/**
 * Property test: for thousands of random filters, sorts and cursors built from
 * hostile strings (as values, keys and field names), the rendered SQL text
 * never contains any of them; each reaches the database only as a parameter.
 */
import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { uuidv7 } from "../../lib/ids.js";
import { compileFilter, compileFind, FilterError } from "./filter.js";

const PIECES = [
  "'",
  "''",
  '"',
  "\\",
  "'); drop table documents; --",
  "' or '1'='1",
  "' || pg_sleep(10) || '",
  "$1",
  "$2::text",
  "$$",
  "$tag$",
  "--",
  "/*",
  "*/",
  ";",
  "é",
  "😀",
  "\u202e",
  "ｄｒｏｐ",
  "\n",
  "\r\n",
  "\t",
  "%s",
  "{",
  "}",
  ",",
  "::jsonb",
  "E'\\x27'",
  "\u2028",
  "\u00a0",
  "\ufeff",
  "null",
  "true",
  "[1]",
  "?",
  ":name",
  "\\u0000",
  "documents",
  "collate",
  "(select 1)",
  ")",
  "(",
];

/** mulberry32: a small seeded PRNG so a failure can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]! };
}

function generator(seed: number) {
  const r = rng(seed);
  const used: string[] = [];
  let counter = 0;
  /** A hostile string led by a unique marker, recorded so the test can look for it. */
  const hostile = () => {
    let s = `Ψ${seed}x${counter++}Ψ`;
    for (let i = r.int(4); i > 0; i--) s += r.pick(PIECES);
    used.push(s);
    return s;
  };
  const field = () => Array.from({ length: 1 + r.int(3) }, hostile).join(".");
  const scalar = () => r.pick([hostile, () => r.int(1000) - 500, () => r.next() < 0.5, () => null])();
  const value = (depth = 0): unknown => {
    const roll = r.next();
    if (depth > 2 || roll < 0.6) return scalar();
    if (roll < 0.8) return Array.from({ length: r.int(4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: r.int(3) }, () => [hostile(), value(depth + 1)]));
  };
  const operators = (depth: number): Record<string, unknown> => {
    const ops: Record<string, unknown> = {};
    for (let i = 1 + r.int(3); i > 0; i--) {
      const op = r.pick(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$not"]);
      if (op in ops) continue;
      if (op === "$not") ops[op] = depth < 6 ? operators(depth + 1) : { $exists: true };
      else if (op === "$exists") ops[op] = r.next() < 0.5;
      else if (op === "$in" || op === "$nin")
        // Non-empty: an empty $in binds nothing (its field is not even read).
        ops[op] = Array.from({ length: 1 + r.int(5) }, () => value());
      else if (op.startsWith("$g") || op.startsWith("$l")) ops[op] = r.next() < 0.5 ? hostile() : r.int(99);
      else ops[op] = value();
    }
    return ops;
  };
  const filter = (depth = 1): Record<string, unknown> => {
    const f: Record<string, unknown> = {};
    for (let i = 1 + r.int(3); i > 0; i--) {
      const roll = r.next();
      const logical = r.pick(["$and", "$or"]);
      if (depth < 4 && roll < 0.2 && !(logical in f))
        f[logical] = Array.from({ length: 1 + r.int(3) }, () => filter(depth + 1));
      else f[field()] = roll < 0.55 ? value() : operators(depth);
    }
    return f;
  };
  return { r, used, hostile, field, value, filter };
}

const ALLOWED_LITERALS = new Set(
  ["null", "number", "string", "boolean", "array", "object", "{}", "0", "1", "2", "3", "4", "5"].map(
    (l) => `'${l}'`,
  ),
);
const dialect = new PgDialect();

/** The problems of a rendered query (plain checks: thousands of expect() calls would dominate the run). */
function problems(query: { sql: string; params: unknown[] }, used: readonly string[]): string[] {
  const out: string[] = [];
  // Only ASCII SQL of our own making: every user string carries non-ASCII marker characters.
  if (!/^[\x20-\x7e]*$/.test(query.sql)) out.push("non-ASCII SQL text");
  for (const literal of query.sql.match(/'[^']*'/g) ?? [])
    if (!ALLOWED_LITERALS.has(literal)) out.push(`unexpected literal ${literal}`);
  if (new Set(query.sql.match(/\$\d+/g)).size !== query.params.length) out.push("placeholder count");
  if (!query.params.every((p) => typeof p === "string")) out.push("a parameter is not a string");
  for (const s of used) {
    const marker = s.slice(0, s.indexOf("Ψ", 1) + 1);
    if (query.sql.includes(marker)) out.push(`${marker} in SQL text`);
    if (!query.params.some((p) => (p as string).includes(marker))) out.push(`${marker} not in parameters`);
  }
  return out;
}

function checkRendered(query: { sql: string; params: unknown[] }, used: readonly string[]): void {
  const found = problems(query, used);
  if (found.length) expect.fail(`${found.slice(0, 5).join("; ")}\nSQL: ${query.sql.slice(0, 800)}`);
}

describe("no user string ever becomes SQL text", () => {
  it("holds for 3000 random hostile filters", () => {
    let compiled = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const g = generator(seed);
      const filter = g.filter();
      let rendered: { sql: string; params: unknown[] };
      try {
        rendered = dialect.sqlToQuery(compileFilter(filter));
      } catch (e) {
        // Random nesting can exceed the operator budget; anything else is a bug.
        if (e instanceof FilterError && /more than 200 operators/.test(e.message)) continue;
        throw new Error(`seed ${seed}: ${(e as Error).message}\n${JSON.stringify(filter)}`);
      }
      compiled++;
      checkRendered(rendered, g.used);
    }
    expect(compiled).toBeGreaterThan(2900);
  });

  it("holds for random hostile sorts and cursors made from hostile documents", () => {
    for (let seed = 10_001; seed <= 11_000; seed++) {
      const g = generator(seed);
      const fields = Array.from({ length: 1 + g.r.int(4) }, g.field);
      const sort = Object.fromEntries(fields.map((f) => [f, g.r.next() < 0.5 ? 1 : -1]));
      const data: Record<string, unknown> = {};
      for (const f of fields) {
        let node = data;
        const segs = f.split(".");
        for (const seg of segs.slice(0, -1)) {
          node[seg] ??= {};
          node = node[seg] as Record<string, unknown>;
        }
        node[segs.at(-1)!] = g.value();
      }
      // Sort fields and the values at them (which the cursor carries) must all be parameters.
      const sortStrings = [...g.used];
      const first = compileFind({ filter: g.filter(), sort, limit: 10 });
      checkRendered(dialect.sqlToQuery(first.where), g.used.slice(sortStrings.length));
      const cursor = first.cursorFor({ id: uuidv7(), data });
      const next = compileFind({ filter: {}, sort, limit: 10, cursor });
      checkRendered(dialect.sqlToQuery(next.where), sortStrings);
      for (const term of next.orderBy) {
        const q = dialect.sqlToQuery(term);
        checkRendered(q, []);
        expect(q.params.every((p) => fields.some((f) => f.split(".").includes(p as string)))).toBe(true);
      }
    }
  });

  it("binds an $in list as one JSON parameter, and each GIN probe as another", () => {
    const tricky = ['","', "\\", '"}', "{", "a,b", '\\"', " "];
    const q = dialect.sqlToQuery(compileFilter({ tags: { $in: tricky } }));
    expect(q.params).toContain(JSON.stringify(tricky));
    for (const t of tricky) expect(q.params).toContain(JSON.stringify({ tags: t }));
    const long = dialect.sqlToQuery(
      compileFilter({ tags: { $in: Array.from({ length: 1000 }, (_, i) => `t${i}`) } }),
    );
    expect(long.params).toEqual(["tags", JSON.stringify(Array.from({ length: 1000 }, (_, i) => `t${i}`))]);
  });
});
