// KV get/set through a script (env.kv inside one QuickJS execution) against
// the same operations as direct drizzle queries, on PGlite and PostgreSQL, in
// one run. Also one HTTP-style execution per operation (fresh sandbox each).
//   npm run build && node bench/kv.mjs [ops]
import { and, eq } from "drizzle-orm";
import { kvEntries } from "../dist/src/bindings/kv/schema.js";
import { createInstance, deploy, invokeJson, postgresAvailable } from "./lib/instance.mjs";

const OPS = Number(process.argv[2] ?? 2000);

const invoke = invokeJson;

async function bench(kind) {
  const inst = await createInstance(kind, { PICLOUD_SCRIPT_TIMEOUT_MS: "300000" });
  const { services, appId } = inst;
  const { db } = services.database;
  await deploy(inst, [
    {
      name: "loop",
      source: `export default { async fetch(req, env) {
        const n = Number(new URL(req.url).searchParams.get("n")); const c = env.kv.collection("bench");
        let t = Date.now(); for (let i = 0; i < n; i++) await c.set("k" + i, { i, s: "value" }); const set = Date.now() - t;
        t = Date.now(); for (let i = 0; i < n; i++) await c.get("k" + i); const get = Date.now() - t;
        return Response.json({ set, get }); } }`,
    },
    {
      name: "one",
      source: `export default { async fetch(req, env) { return Response.json(await env.kv.collection("bench").get("k1")); } }`,
    },
  ]);
  // Direct drizzle: the same upsert and select, sequentially.
  let t = performance.now();
  for (let i = 0; i < OPS; i++) {
    await db
      .insert(kvEntries)
      .values({ appId, collection: "direct", key: `k${i}`, value: { i, s: "value" } })
      .onConflictDoUpdate({
        target: [kvEntries.appId, kvEntries.collection, kvEntries.key],
        set: { value: { i, s: "value" } },
      });
  }
  const directSet = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < OPS; i++) {
    await db
      .select({ value: kvEntries.value })
      .from(kvEntries)
      .where(and(eq(kvEntries.appId, appId), eq(kvEntries.collection, "direct"), eq(kvEntries.key, `k${i}`)));
  }
  const directGet = performance.now() - t;
  const inScript = await invoke(services, appId, "loop", `/?n=${OPS}`);
  const perExec = Math.min(OPS, 500);
  t = performance.now();
  for (let i = 0; i < perExec; i++) await invoke(services, appId, "one", "/");
  const perExecution = performance.now() - t;
  await inst.close();
  const rate = (ms, n = OPS) => (n / ms) * 1000;
  return [
    { kind, what: "set", direct: rate(directSet), script: rate(inScript.set) },
    {
      kind,
      what: "get",
      direct: rate(directGet),
      script: rate(inScript.get),
      execution: rate(perExecution, perExec),
    },
  ];
}

const rows = [...(await bench("pglite"))];
if (await postgresAvailable()) rows.push(...(await bench("postgres")));
else console.error("PostgreSQL not reachable: its rows are skipped");
console.log(`\n${OPS} sequential operations each; ops/s (higher is better)\n`);
console.log("| engine | op | direct drizzle | env.kv in one execution | ratio | one execution per get |");
console.log("| --- | --- | ---: | ---: | ---: | ---: |");
for (const r of rows) {
  console.log(
    `| ${r.kind} | ${r.what} | ${r.direct.toFixed(0)} | ${r.script.toFixed(0)} | ${(r.script / r.direct).toFixed(2)}× | ${r.execution ? r.execution.toFixed(0) : "-"} |`,
  );
}
process.exit(0);
