// env.files put/get throughput against plain fs in the same run, for 4 KiB
// and 1 MiB files, on PGlite and PostgreSQL:
//   - fs: fs.writeFile / fs.readFile (no fsync), the floor;
//   - fs+fsync: temp file + fsync + rename + directory fsync, the write
//     protocol the local BlobStore follows, without the database;
//   - service: FilesService.put/get (blob + metadata row in a transaction);
//   - script: env.files.put/get in a loop inside one execution.
//   npm run build && node bench/files.mjs [ops for 4 KiB] [ops for 1 MiB]
// Each cell is the median of 3 alternating rounds.
import { mkdtempSync, rmSync } from "node:fs";
import { mkdir, open, readFile, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInstance, deploy, invokeJson, postgresAvailable } from "./lib/instance.mjs";

const OPS = { 4096: Number(process.argv[2] ?? 400), [1024 * 1024]: Number(process.argv[3] ?? 40) };
const ROUNDS = 3;
const label = (size) => (size === 4096 ? "4 KiB" : "1 MiB");

async function timed(n, f) {
  const t = performance.now();
  for (let i = 0; i < n; i++) await f(i);
  return performance.now() - t;
}

async function plainFs(size, n) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "picloud-bench-fs-"));
  const bytes = new Uint8Array(size).fill(7);
  const put = await timed(n, (i) => writeFile(path.join(dir, `f${i}`), bytes));
  const get = await timed(n, (i) => readFile(path.join(dir, `f${i}`)));
  await mkdir(path.join(dir, "d"));
  const durable = await timed(n, async (i) => {
    const tmp = path.join(dir, `t${i}`);
    const fh = await open(tmp, "wx");
    await fh.writeFile(bytes);
    await fh.sync();
    await fh.close();
    await rename(tmp, path.join(dir, "d", `f${i}`));
    const d = await open(path.join(dir, "d"), "r");
    await d.sync();
    await d.close();
  });
  rmSync(dir, { recursive: true, force: true });
  return { put, get, durable };
}

const invoke = (services, appId, name, query) => invokeJson(services, appId, name, `/?${query}`);

async function bench(kind) {
  const inst = await createInstance(kind, {
    PICLOUD_SCRIPT_TIMEOUT_MS: "300000",
    PICLOUD_SCRIPT_MEMORY_MB: "256",
  });
  const { services, appId } = inst;
  await deploy(inst, [
    {
      name: "loop",
      limits: { timeMs: 300_000, memoryMb: 256 },
      source: `export default { async fetch(req, env) {
        const q = new URL(req.url).searchParams; const n = Number(q.get("n")); const size = Number(q.get("size"));
        const body = new Uint8Array(size).fill(7);
        let t = Date.now(); for (let i = 0; i < n; i++) await env.files.put("script/" + size + "/" + i, body); const put = Date.now() - t;
        t = Date.now(); let total = 0;
        for (let i = 0; i < n; i++) total += (await env.files.get("script/" + size + "/" + i)).body.byteLength;
        const get = Date.now() - t;
        if (total !== n * size) throw new Error("short read");
        return Response.json({ put, get }); } }`,
    },
  ]);
  const ctx = { appId, depth: 0, rootExecutionId: "00000000-0000-7000-8000-000000000000" };
  const rows = [];
  for (const size of [4096, 1024 * 1024]) {
    const n = OPS[size];
    const bytes = new Uint8Array(size).fill(7);
    // Alternating rounds, median per cell: the machine is shared and noisy.
    const rounds = [];
    for (let round = 0; round < ROUNDS; round++) {
      const fs = await plainFs(size, n);
      const put = await timed(n, (i) =>
        services.files.put(ctx, `svc/${size}/${i}`, bytes, "application/octet-stream"),
      );
      const get = await timed(n, async (i) => {
        const f = await services.files.get(appId, `svc/${size}/${i}`);
        if (f.body.byteLength !== size) throw new Error("short read");
      });
      const script = await invoke(services, appId, "loop", `n=${n}&size=${size}`);
      rounds.push({ fs, service: { put, get }, script });
    }
    const med = (pick) => rounds.map(pick).sort((a, b) => a - b)[Math.floor(rounds.length / 2)];
    rows.push({
      kind,
      size,
      n,
      fs: { put: med((r) => r.fs.put), get: med((r) => r.fs.get), durable: med((r) => r.fs.durable) },
      service: { put: med((r) => r.service.put), get: med((r) => r.service.get) },
      script: { put: med((r) => r.script.put), get: med((r) => r.script.get) },
    });
  }
  await inst.close();
  return rows;
}

const results = [...(await bench("pglite"))];
if (await postgresAvailable()) results.push(...(await bench("postgres")));
else console.error("PostgreSQL not reachable: its rows are skipped");

const rate = (ms, n) => (n / ms) * 1000;
const mbps = (ms, n, size) => ((n * size) / 1024 / 1024 / ms) * 1000;
console.log(
  `\nsequential operations, median of ${ROUNDS} alternating rounds; ops/s (MiB/s), higher is better; ratios against plain fs in the same run\n`,
);
console.log(
  "| engine | size | op | n | fs | fs+fsync | service | script | service/fs | service/fs+fsync | script/fs |",
);
console.log("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of results) {
  for (const op of ["put", "get"]) {
    const fsMs = r.fs[op];
    const durable = op === "put" ? r.fs.durable : null;
    const cell = (ms) => `${rate(ms, r.n).toFixed(0)} (${mbps(ms, r.n, r.size).toFixed(0)})`;
    console.log(
      `| ${r.kind} | ${label(r.size)} | ${op} | ${r.n} | ${cell(fsMs)} | ${durable ? cell(durable) : "-"} | ${cell(r.service[op])} | ${cell(r.script[op])} | ${(fsMs / r.service[op]).toFixed(2)}× | ${durable ? `${(durable / r.service[op]).toFixed(2)}×` : "-"} | ${(fsMs / r.script[op]).toFixed(2)}× |`,
    );
  }
}
process.exit(0);
