#!/usr/bin/env node
/**
 * Outbound fetch overhead: PiCloud's guarded fetch (SSRF checks + pinned undici
 * dispatch) against Node's global fetch, in one run, to the same local server.
 * A third client, undici 7's plain `request`, separates the cost of the guard
 * from the cost of the HTTP client underneath.
 *
 *   npm run build && node bench/fetch.mjs [--requests 3000] [--rounds 3] [--size 256]
 *
 * The server runs in a child process so the clients' CPU is what is compared.
 * Rounds alternate the clients; the median round is reported.
 */
import { fork } from "node:child_process";
import http from "node:http";
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    server: { type: "boolean", default: false },
    requests: { type: "string", default: "3000" },
    rounds: { type: "string", default: "3" },
    size: { type: "string", default: "256" },
  },
});

if (args.server) {
  const body = Buffer.alloc(Number(args.size), "x");
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.setHeader("content-type", "text/plain");
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  // Dual-stack so "localhost" works whichever address the resolver puts first.
  server.listen(0, "::", () => process.send(server.address().port));
  process.on("disconnect", () => process.exit(0));
} else {
  await main();
}

async function main() {
  let guardedModule;
  try {
    guardedModule = await import(new URL("../dist/src/bindings/fetch/guarded-fetch.js", import.meta.url));
  } catch (error) {
    console.error("bench/fetch.mjs needs the compiled output: run `npm run build` first.\n", error.message);
    process.exit(1);
  }
  const { createGuardedFetch } = guardedModule;
  const { Agent, request } = await import("undici");

  const requests = Number(args.requests);
  const rounds = Number(args.rounds);
  const child = fork(new URL(import.meta.url), ["--server", "--size", args.size], { stdio: "inherit" });
  const port = await new Promise((resolve) => child.once("message", resolve));

  const plainAgent = new Agent({ keepAliveTimeout: 4_000 });
  const guardedIp = createGuardedFetch({ allow: ["127.0.0.1"] });
  const guardedName = createGuardedFetch({ allow: ["localhost"] });
  const signal = new AbortController().signal;
  const ipUrl = `http://127.0.0.1:${port}/`;
  const nameUrl = `http://localhost:${port}/`;

  const clients = {
    "node fetch (127.0.0.1)": async () => {
      const res = await fetch(ipUrl);
      await res.arrayBuffer();
    },
    "undici.request (127.0.0.1)": async () => {
      const res = await request(ipUrl, { dispatcher: plainAgent });
      await res.body.arrayBuffer();
    },
    "guarded (127.0.0.1)": async () => {
      await guardedIp({ method: "GET", url: ipUrl, headers: [], body: null }, signal);
    },
    "node fetch (localhost)": async () => {
      const res = await fetch(nameUrl);
      await res.arrayBuffer();
    },
    "guarded (localhost, lookup per request)": async () => {
      await guardedName({ method: "GET", url: nameUrl, headers: [], body: null }, signal);
    },
  };

  async function measure(once, concurrency) {
    const latencies = new Float64Array(requests);
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < requests; i = next++) {
          const t0 = performance.now();
          await once();
          latencies[i] = performance.now() - t0;
        }
      }),
    );
    const elapsed = performance.now() - start;
    latencies.sort();
    return { rps: requests / (elapsed / 1000), p50: latencies[Math.floor(requests * 0.5)] };
  }

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const results = {};
  for (const concurrency of [1, 16]) {
    for (const once of Object.values(clients)) {
      for (let i = 0; i < 300; i++) await once(); // warm up connections and JIT
    }
    const samples = Object.fromEntries(Object.keys(clients).map((name) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const [name, once] of Object.entries(clients))
        samples[name].push(await measure(once, concurrency));
    }
    results[concurrency] = Object.fromEntries(
      Object.entries(samples).map(([name, runs]) => [
        name,
        { rps: median(runs.map((r) => r.rps)), p50: median(runs.map((r) => r.p50)) },
      ]),
    );
  }

  console.log(
    `Outbound fetch — node ${process.version}, ${cpus().length} CPU (${cpus()[0]?.model}), ` +
      `${requests} GET requests × ${rounds} rounds per cell, ${args.size}-byte body, median round\n`,
  );
  const pad = (s, n) => String(s).padEnd(n);
  for (const [concurrency, table] of Object.entries(results)) {
    console.log(`concurrency ${concurrency}`);
    console.log(`  ${pad("client", 42)}${pad("req/s", 10)}${pad("p50 ms", 10)}vs node fetch (req/s, p50)`);
    for (const [name, { rps, p50 }] of Object.entries(table)) {
      const base = name.includes("localhost")
        ? table["node fetch (localhost)"]
        : table["node fetch (127.0.0.1)"];
      const ratio = `${(rps / base.rps).toFixed(2)}×, ${(p50 / base.p50).toFixed(2)}×`;
      console.log(`  ${pad(name, 42)}${pad(rps.toFixed(0), 10)}${pad(p50.toFixed(3), 10)}${ratio}`);
    }
    console.log("");
  }

  await plainAgent.close();
  child.disconnect();
  child.kill();
}
