// find/count over 100k documents of one collection (plus 20k in another) on
// PGlite and PostgreSQL: each query compiled from the filter DSL against the
// equivalent hand-written SQL in the same run, alternating, median reported.
// Run after `npm run build`:
//   node bench/docs-find.mjs            (PostgreSQL part needs BENCH_DATABASE_URL or a local server)
import os from "node:os";
import { and, count, eq, sql } from "drizzle-orm";
import postgres from "postgres";
import { compileFilter, compileFind } from "../dist/src/bindings/docs/filter.js";
import { documents } from "../dist/src/bindings/docs/schema.js";
import { openDatabase } from "../dist/src/db/client.js";
import { runMigrations } from "../dist/src/db/migrate.js";

const DOCS = 100_000;
const pgServer = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const APP = "0190f5a0-0000-7000-8000-00000000be0c";
const C = "bench";
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function setUp(database) {
  await runMigrations(database);
  const { db } = database;
  // Until the documents migration exists the table is created here, exactly as in the schema.
  await db.execute(sql`create table if not exists documents (app_id uuid not null, collection text not null,
    id uuid not null, data jsonb not null, created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(), primary key (app_id, collection, id))`);
  await db.execute(
    sql`create index if not exists documents_data_gin on documents using gin (data jsonb_path_ops)`,
  );
  await db.execute(
    sql`insert into apps (id, slug, name) values (${APP}::uuid, 'bench', 'Bench') on conflict do nothing`,
  );
  await db.execute(sql`select setseed(0.42)`);
  for (const [collection, n] of [
    [C, DOCS],
    ["other", 20_000],
  ]) {
    await db.execute(sql`
      insert into documents (app_id, collection, id, data)
      select ${APP}::uuid, ${collection}, gen_random_uuid(), jsonb_build_object(
        'n', i, 'email', 'u' || i || '@example.com', 'status', (array['active', 'idle', 'gone'])[1 + i % 3],
        'score', floor(random() * 100000)::int, 'author', jsonb_build_object('name', 'a' || (i % 1000)),
        'tags', jsonb_build_array('t' || (i % 50), 't' || (i % 7)), 'title', md5(i::text))
      from generate_series(1, ${n}::int) i`);
  }
  await db.execute(sql`analyze documents`);
}

const scope = (extra) => and(eq(documents.appId, APP), eq(documents.collection, C), extra);
const rowsOf = (r) => (Array.isArray(r) ? r : r.rows);

/** The query pairs: [name, compiled(k), hand-written(k)], k a random number per round. */
function pairs(db, cursorRow) {
  const find = (opts) => {
    const q = compileFind(opts);
    return db
      .select({ id: documents.id, data: documents.data })
      .from(documents)
      .where(scope(q.where))
      .orderBy(...q.orderBy)
      .limit(q.limit);
  };
  const raw = (q) => db.execute(q).then(rowsOf);
  const base = sql`app_id = ${APP}::uuid and collection = ${C}`;
  const page2 = compileFind({ filter: {}, sort: { score: -1 }, limit: 20 }).cursorFor(cursorRow);
  return [
    [
      "equality, 1 match (GIN)",
      (k) => find({ filter: { email: `u${k}@example.com` } }),
      (k) =>
        raw(sql`select id, data from documents where ${base}
          and data @> jsonb_build_object('email', ${`u${k}@example.com`}::text) order by id limit 100`),
    ],
    [
      "equality, 100 matches (GIN)",
      (k) => find({ filter: { "author.name": `a${k % 1000}` } }),
      (k) =>
        raw(sql`select id, data from documents where ${base}
          and data @> jsonb_build_object('author', jsonb_build_object('name', ${`a${k % 1000}`}::text))
          order by id limit 100`),
    ],
    [
      "range, 100 matches",
      (k) => find({ filter: { n: { $gte: k, $lt: k + 100 } } }),
      (k) =>
        raw(sql`select id, data from documents where ${base}
          and (data->>'n')::numeric >= ${k} and (data->>'n')::numeric < ${k + 100} order by id limit 100`),
    ],
    [
      "sort by a field + limit 20",
      () => find({ filter: {}, sort: { score: -1 }, limit: 20 }),
      () => raw(sql`select id, data from documents where ${base} order by data->'score' desc, id limit 20`),
    ],
    [
      "sort + limit 20, next page by cursor",
      () => find({ filter: {}, sort: { score: -1 }, limit: 20, cursor: page2 }),
      () =>
        raw(sql`select id, data from documents where ${base}
          and (data->'score' < ${JSON.stringify(cursorRow.data.score)}::jsonb
            or (data->'score' = ${JSON.stringify(cursorRow.data.score)}::jsonb and id > ${cursorRow.id}::uuid))
          order by data->'score' desc, id limit 20`),
    ],
    [
      "count, equality matching 1/3",
      () =>
        db
          .select({ n: count() })
          .from(documents)
          .where(scope(compileFilter({ status: "active" }))),
      () => raw(sql`select count(*) from documents where ${base} and data @> '{"status": "active"}'`),
    ],
    [
      "count, range matching 1/2",
      () =>
        db
          .select({ n: count() })
          .from(documents)
          .where(scope(compileFilter({ score: { $gte: 50_000 } }))),
      () => raw(sql`select count(*) from documents where ${base} and (data->>'score')::numeric >= 50000`),
    ],
  ];
}

async function measure(fn, k) {
  const t0 = performance.now();
  await fn(k);
  return performance.now() - t0;
}

async function runEngine(name, database) {
  const t0 = performance.now();
  await setUp(database);
  console.error(`${name}: ${DOCS} documents loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const { db } = database;
  const cursorRow = await lastRowOfFirstPage(db);
  const out = [];
  for (const [query, compiled, baseline] of pairs(db, cursorRow)) {
    // Same result sets first: the comparison is only fair between equivalent queries.
    const a = await compiled(4242);
    const b = await baseline(4242);
    const key = (rows) => JSON.stringify(rows.map((r) => String(r.id ?? r.n ?? r.count)));
    if (key(a) !== key(b)) throw new Error(`${name} ${query}: compiled and hand-written results differ`);
    const probe = await measure(compiled, 7);
    const rounds = Math.max(7, Math.min(60, Math.round(4000 / Math.max(probe, 1))));
    const tc = [];
    const tb = [];
    for (let r = 0; r < rounds; r++) {
      const k = 1 + Math.floor(Math.random() * (DOCS - 200));
      if (r % 2) {
        tc.push(await measure(compiled, k));
        tb.push(await measure(baseline, k));
      } else {
        tb.push(await measure(baseline, k));
        tc.push(await measure(compiled, k));
      }
    }
    out.push({ engine: name, query, compiled: median(tc), baseline: median(tb), rounds });
  }
  // Reference points: a primary-key lookup, and compiling a filter in JS alone.
  const ids = rowsOf(await db.execute(sql`select id from documents where collection = ${C} limit 50`)).map(
    (r) => r.id,
  );
  const pk = [];
  for (let r = 0; r < 50; r++) {
    const t = performance.now();
    await db
      .select()
      .from(documents)
      .where(and(eq(documents.appId, APP), eq(documents.collection, C), eq(documents.id, ids[r])));
    pk.push(performance.now() - t);
  }
  out.push({
    engine: name,
    query: "(reference) get by primary key",
    compiled: median(pk),
    baseline: null,
    rounds: 50,
  });
  return out;
}

async function lastRowOfFirstPage(db) {
  const q = compileFind({ filter: {}, sort: { score: -1 }, limit: 20 });
  const rows = await db
    .select({ id: documents.id, data: documents.data })
    .from(documents)
    .where(scope(q.where))
    .orderBy(...q.orderBy)
    .limit(q.limit);
  return rows.at(-1);
}

function compileCost() {
  const filter = {
    status: "active",
    "author.name": { $in: ["a1", "a2", "a3"] },
    $or: [{ score: { $gte: 10, $lt: 500 } }, { tags: { $nin: ["t1", "t2"] } }],
  };
  const n = 20_000;
  for (let i = 0; i < 2000; i++) compileFind({ filter, sort: { score: -1 } });
  const t = performance.now();
  for (let i = 0; i < n; i++) compileFind({ filter, sort: { score: -1 } });
  return ((performance.now() - t) / n) * 1000;
}

const results = [];
const pglite = await openDatabase({ kind: "pglite-memory" });
try {
  results.push(...(await runEngine("PGlite", pglite)));
} finally {
  await pglite.close();
}

const admin = postgres(pgServer, { max: 1, onnotice: () => {} });
let pgUrl;
try {
  await admin`drop database if exists picloud_bench_docs with (force)`;
  await admin`create database picloud_bench_docs`;
  const u = new URL(pgServer);
  u.pathname = "/picloud_bench_docs";
  pgUrl = u.toString();
} catch (err) {
  console.error(`PostgreSQL part skipped: ${err.message}`);
}
if (pgUrl) {
  const pg = await openDatabase({ kind: "postgres", url: pgUrl, max: 2 });
  try {
    results.push(...(await runEngine("PostgreSQL", pg)));
  } finally {
    await pg.close();
    await admin`drop database if exists picloud_bench_docs with (force)`;
  }
}
await admin.end();

console.log(
  `\nfind/count over ${DOCS} documents of one collection, median ms (Node ${process.version}, ${os.cpus().length} cpus)\n`,
);
console.log("| engine | query | compiled DSL ms | hand-written SQL ms | ratio | rounds |");
console.log("| --- | --- | ---: | ---: | ---: | ---: |");
for (const r of results) {
  const ratio = r.baseline === null ? "" : `${(r.compiled / r.baseline).toFixed(2)}×`;
  const baseline = r.baseline === null ? "" : r.baseline.toFixed(2);
  console.log(
    `| ${r.engine} | ${r.query} | ${r.compiled.toFixed(2)} | ${baseline} | ${ratio} | ${r.rounds} |`,
  );
}
console.log(`\ncompileFind of a 6-condition filter with a sort: ${compileCost().toFixed(1)} µs per call`);
