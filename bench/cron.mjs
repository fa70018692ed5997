// Cron fire accuracy: how late a per-second cron (`* * * * * *`) starts, on
// PGlite and on PostgreSQL, idle and under load, in one run.
//   fire  = cron_runs.created_at − scheduled time (the scheduler enqueued it)
//   start = Date.now() at the top of scheduled() − controller.scheduledTime
// Load = 2× as many loops as execution slots, each invoking (without HTTP) a
// script that computes for a while and writes 5 KV entries, back to back: the
// process is saturated, and the cron's delivery queues for a slot like any
// background work.
// The idle run is the baseline; the ratios are loaded / idle.
//   npm run build && node bench/cron.mjs [seconds per phase]
import { and, gte, lt } from "drizzle-orm";
import { cronRuns } from "../dist/src/events/schema.js";
import { createInstance, deploy, percentile, postgresAvailable } from "./lib/instance.mjs";

const SECONDS = Number(process.argv[2] ?? 30);

const TICK = `export default { scheduled(controller) {
  console.log(JSON.stringify({ s: controller.scheduledTime, late: Date.now() - controller.scheduledTime }));
} }`;
const BUSY = `export default { async fetch(req, env) {
  let x = 0; for (let i = 0; i < 20000; i++) x = (x + i * 7) % 1000003;
  const c = env.kv.collection("load");
  for (let i = 0; i < 5; i++) await c.set("k" + ((x + i) % 500), { x });
  return new Response("ok");
} }`;

async function invoke(services, appId, script) {
  const permit = await services.executor.gate.acquire();
  const run = await services.executor.start(
    {
      appId,
      script,
      entry: "fetch",
      input: { request: { method: "GET", url: "http://localhost/busy", headers: [], body: null } },
      trigger: "bench",
    },
    permit,
  );
  await run.finished;
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s.at(-1) };
};

async function phase(inst, starts, loaded) {
  const { services, appId } = inst;
  const busy = await services.scripts.runnable(appId, (await services.scripts.get(appId, "busy")).id);
  let stop = false;
  let executions = 0;
  const loops = loaded
    ? Array.from({ length: services.options.runtime.maxConcurrent * 2 }, async () => {
        while (!stop) {
          await invoke(services, appId, busy);
          executions++;
          // Nothing in this chain waits for real I/O on PGlite: without a yield, no timer would fire.
          await new Promise((r) => setImmediate(r));
        }
      })
    : [];
  // Skip the first second of each phase (the load ramping up).
  await new Promise((r) => setTimeout(r, 1000));
  const from = new Date(Math.ceil(Date.now() / 1000) * 1000);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const to = new Date(Math.floor(Date.now() / 1000) * 1000);
  stop = true;
  await Promise.all(loops);
  await new Promise((r) => setTimeout(r, 1500)); // the last runs of the window
  const started = starts.filter((x) => x.s >= from.getTime() && x.s < to.getTime()).map((x) => x.late);
  const rows = await services.database.db
    .select()
    .from(cronRuns)
    .where(and(gte(cronRuns.scheduledAt, from), lt(cronRuns.scheduledAt, to)));
  return {
    expected: (to.getTime() - from.getTime()) / 1000,
    fired: rows.length,
    fire: stats(rows.map((r) => r.createdAt.getTime() - r.scheduledAt.getTime())),
    start: stats(started),
    started: started.length,
    loadPerSec: executions / (SECONDS + 1),
  };
}

async function bench(kind) {
  const inst = await createInstance(kind, { PICLOUD_RETRY_MAX_ATTEMPTS: "3" });
  const { services, appId } = inst;
  await deploy(inst, [
    {
      name: "tick",
      source: TICK,
      triggers: [{ kind: "cron", config: { schedule: "* * * * * *" }, retry: {} }],
    },
    { name: "busy", source: BUSY },
  ]);
  const starts = [];
  services.tail.subscribe(appId, (e) => {
    if (e.type === "log" && e.scriptName === "tick") starts.push(JSON.parse(e.message));
  });
  await services.dispatcher.start();
  await services.cron.start();
  const idle = await phase(inst, starts, false);
  const loaded = await phase(inst, starts, true);
  await services.cron.stop();
  await inst.close();
  return { kind, idle, loaded, slots: services.options.runtime.maxConcurrent };
}

const kinds = ["pglite"];
if (await postgresAvailable()) kinds.push("postgres");
else console.log("PostgreSQL not reachable: PGlite only");
const results = [];
for (const kind of kinds) results.push(await bench(kind));

const f = (x) => (Number.isFinite(x) ? String(Math.round(x)) : "–");
console.log(`\n${SECONDS} s per phase, one \`* * * * * *\` cron trigger; ms after the scheduled second\n`);
console.log(
  "| database | phase | fired / started / seconds | fire p50 | fire p99 | start p50 | start p99 | start max | load exec/s |",
);
console.log(
  "| -------- | ----- | ------------------------: | -------: | -------: | --------: | --------: | --------: | ----------: |",
);
for (const r of results) {
  for (const [name, p] of [
    ["idle", r.idle],
    [`loaded (${r.slots * 2} loops, ${r.slots} slots)`, r.loaded],
  ]) {
    console.log(
      `| ${r.kind} | ${name} | ${p.fired} / ${p.started} / ${p.expected} | ${f(p.fire.p50)} | ${f(p.fire.p99)} | ${f(p.start.p50)} | ${f(p.start.p99)} | ${f(p.start.max)} | ${p.loadPerSec ? f(p.loadPerSec) : "–"} |`,
    );
  }
}
console.log("\nRatios loaded / idle (start):");
for (const r of results)
  console.log(
    `  ${r.kind}: p50 ${(r.loaded.start.p50 / r.idle.start.p50).toFixed(1)}×, p99 ${(r.loaded.start.p99 / r.idle.start.p99).toFixed(1)}×`,
  );
