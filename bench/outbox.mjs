// Outbox throughput (events/s from write to handler completion) and
// write-to-handler latency p50/p99, on PGlite and on PostgreSQL, against
// graphile-worker 0.16 on the same PostgreSQL as the baseline, in one run.
// PiCloud's numbers include running each handler in a fresh QuickJS sandbox;
// graphile-worker's handler is a plain function.
//   npm run build && node bench/outbox.mjs [events]
import { Logger, makeWorkerUtils, run } from "graphile-worker";
import pg from "pg";
import postgres from "postgres";
import {
  bindingContext,
  createInstance,
  deploy,
  PG_SERVER,
  percentile,
  postgresAvailable,
} from "./lib/instance.mjs";

const N = Number(process.argv[2] ?? 2000);
const WRITERS = 16;
const LATENCY_SAMPLES = 200;

function summary(name, elapsedMs, latencies) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    name,
    eventsPerSec: (N / elapsedMs) * 1000,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  };
}

async function parallel(count, writers, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

async function benchPicloud(kind) {
  const inst = await createInstance(kind, { PICLOUD_RETRY_MAX_ATTEMPTS: "3" });
  const { services } = inst;
  await deploy(inst, [
    {
      name: "handler",
      source: `export default { trigger(e) { console.log(String(Date.now() - Date.parse(e.at))); } }`,
      triggers: [
        { kind: "kv", config: { collection: "jobs", ops: ["insert", "update", "delete"] }, retry: {} },
      ],
    },
  ]);
  let seen = 0;
  let latencies = [];
  let done = () => {};
  services.tail.subscribe(inst.appId, (e) => {
    if (e.type !== "log") return;
    latencies.push(Number(e.message));
    if (++seen === target) done();
  });
  let target = N;
  await services.dispatcher.start();
  const ctx = bindingContext(inst);
  // Throughput: N writes from 16 concurrent writers, until the N-th handler ran.
  const all = new Promise((r) => {
    done = r;
  });
  const t0 = performance.now();
  await parallel(N, WRITERS, (i) => services.kv.set(ctx, "jobs", `k${i}`, { i }));
  await all;
  const elapsed = performance.now() - t0;
  const loaded = latencies;
  // Latency: one write at a time with a pause, so nothing queues.
  latencies = [];
  seen = 0;
  target = LATENCY_SAMPLES;
  const quiet = new Promise((r) => {
    done = r;
  });
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    await services.kv.set(ctx, "jobs", `q${i}`, i);
    await new Promise((r) => setTimeout(r, 5));
  }
  await quiet;
  const result = {
    ...summary(`picloud outbox, ${kind}`, elapsed, loaded),
    quietP50: percentile(
      [...latencies].sort((a, b) => a - b),
      50,
    ),
    quietP99: percentile(
      [...latencies].sort((a, b) => a - b),
      99,
    ),
  };
  await inst.close();
  return result;
}

async function benchGraphile() {
  const dbName = `picloud_bench_gw_${process.pid}`;
  const admin = postgres(PG_SERVER, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists "${dbName}"`);
  await admin.unsafe(`create database "${dbName}"`);
  const u = new URL(PG_SERVER);
  u.pathname = `/${dbName}`;
  const connectionString = u.toString();
  let latencies = [];
  let seen = 0;
  let target = N;
  let done = () => {};
  const quiet_ = new Logger(() => () => {});
  const pgPool = new pg.Pool({ connectionString, max: 24 });
  pgPool.on("error", () => {});
  const utils = await makeWorkerUtils({ pgPool, logger: quiet_ });
  await utils.migrate();
  const runner = await run({
    pgPool,
    concurrency: 16,
    noHandleSignals: true,
    pollInterval: 2000,
    logger: quiet_,
    taskList: {
      t: async (payload) => {
        latencies.push(Date.now() - payload.t);
        if (++seen === target) done();
      },
    },
  });
  const all = new Promise((r) => {
    done = r;
  });
  const t0 = performance.now();
  await parallel(N, WRITERS, (i) => utils.addJob("t", { i, t: Date.now() }));
  await all;
  const elapsed = performance.now() - t0;
  const loaded = latencies;
  latencies = [];
  seen = 0;
  target = LATENCY_SAMPLES;
  const quiet = new Promise((r) => {
    done = r;
  });
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    await utils.addJob("t", { i, t: Date.now() });
    await new Promise((r) => setTimeout(r, 5));
  }
  await quiet;
  const sorted = [...latencies].sort((a, b) => a - b);
  await runner.stop();
  await utils.release();
  await pgPool.end();
  await admin.unsafe(`drop database if exists "${dbName}" with (force)`);
  await admin.end();
  return {
    ...summary("graphile-worker 0.16, postgres (plain function)", elapsed, loaded),
    quietP50: percentile(sorted, 50),
    quietP99: percentile(sorted, 99),
  };
}

const rows = [];
rows.push(await benchPicloud("pglite"));
if (await postgresAvailable()) {
  rows.push(await benchPicloud("postgres"));
  rows.push(await benchGraphile());
} else {
  console.error(
    `PostgreSQL at ${PG_SERVER} not reachable: its rows and the graphile-worker baseline are skipped`,
  );
}
const base = rows.find((r) => r.name.startsWith("graphile")) ?? rows[0];
console.log(
  `\n${N} events from ${WRITERS} concurrent writers; latency from write to handler start (ms); quiet = one write every 5 ms\n`,
);
console.log("| queue | events/s | vs baseline | p50 under load | p99 under load | quiet p50 | quiet p99 |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows) {
  console.log(
    `| ${r.name} | ${r.eventsPerSec.toFixed(0)} | ${(r.eventsPerSec / base.eventsPerSec).toFixed(2)}× | ${r.p50} | ${r.p99} | ${r.quietP50} | ${r.quietP99} |`,
  );
}
process.exit(0);
