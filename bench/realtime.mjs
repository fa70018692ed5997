// SSE fan-out of PiCloud's realtime topics against a bare Node SSE broadcaster
// in the same run: N subscribers (100, 1,000, 5,000) on one process, a burst of
// messages published, deliveries per second, publish→receive latency p50/p99,
// and server memory per subscriber. Subscribers run in a separate process.
//   npm run build && node bench/realtime.mjs [messages]
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { createHttpApp } from "../dist/src/server/http-app.js";
import { bindingContext, createInstance, percentile } from "./lib/instance.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const MESSAGES = Number(process.argv[2] ?? 50);
const SIZES = [100, 1000, 5000];
const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))[1]) / 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function clients(url, n, host) {
  return new Promise((resolve, reject) => {
    const args = [path.join(here, "lib/sse-clients.mjs"), url, String(n), ...(host ? [host] : [])];
    const child = spawn(process.execPath, args, {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("ready")) {
        out = "";
        resolve({
          stop: () =>
            new Promise((r) => {
              let result = "";
              child.stdout.on("data", (d2) => (result += d2));
              child.once("exit", () => r(JSON.parse(result.trim().split("\n").pop()).latencies));
              child.kill("SIGTERM");
            }),
        });
      }
    });
    child.once("exit", (code) => code && reject(new Error(`clients exited ${code}`)));
  });
}

/** Publishes MESSAGES at ~200/s with `publish(msg)`, then collects the subscribers' latencies. */
async function run(name, n, url, publish, memBefore, host) {
  const c = await clients(url, n, host);
  await sleep(300);
  const memPer = ((rssMiB() - memBefore) * 1024) / n;
  const t0 = performance.now();
  for (let i = 0; i < MESSAGES; i++) {
    await publish({ i, sentAt: Date.now() });
    await sleep(5);
  }
  await sleep(1000);
  const elapsed = (performance.now() - t0) / 1000;
  const latencies = (await c.stop()).sort((a, b) => a - b);
  return {
    name,
    n,
    delivered: latencies.length,
    expected: n * MESSAGES,
    rate: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    memPerKiB: memPer,
  };
}

// --- baseline: a bare SSE broadcaster on node:http
const subscribers = new Set();
const bare = http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.write(": connected\n\n");
  subscribers.add(res);
  req.on("close", () => subscribers.delete(res));
});
await new Promise((r) => bare.listen(0, "127.0.0.1", r));
let seq = 0;
const barePublish = async (message) => {
  const frame = `id: ${++seq}\nevent: message\ndata: ${JSON.stringify({ topic: "bench", message, publishedAt: new Date().toISOString() })}\n\n`;
  for (const s of subscribers) s.write(frame);
};

// --- PiCloud: the real HTTP app (SSE endpoint, broadcaster) over @hono/node-server
const inst = await createInstance("pglite", { PICLOUD_REALTIME_HEARTBEAT_MS: "30000" });
await inst.services.topics.put(inst.appId, "bench", { external: true, auth: "public" });
const server = serve({ fetch: createHttpApp(inst.services).fetch, port: 0, hostname: "127.0.0.1" });
await new Promise((r) => server.once("listening", r));
const ctx = bindingContext(inst);
const picloudPublish = (message) => inst.services.pubsub.publish(ctx, "bench", message);

const rows = [];
for (const n of SIZES) {
  rows.push(
    await run("bare node:http SSE", n, `http://127.0.0.1:${bare.address().port}/`, barePublish, rssMiB()),
  );
  await sleep(500);
  rows.push(
    await run(
      "PiCloud /realtime/topics",
      n,
      `http://127.0.0.1:${server.address().port}/realtime/topics/bench`,
      picloudPublish,
      rssMiB(),
      "default.localhost", // apps answer on their own hosts, never on the admin host 127.0.0.1
    ),
  );
  await sleep(500);
}
server.close();
bare.close();
await inst.close();

console.log(
  `\n${MESSAGES} messages published ~every 5 ms to N subscribers (one client process); latency publish → received (ms)\n`,
);
console.log(
  "| server | N | delivered | deliveries/s | vs bare | p50 ms | p99 ms | server KiB per subscriber |",
);
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (let i = 0; i < rows.length; i++) {
  const r = rows[i];
  const base = rows[i - (i % 2)];
  console.log(
    `| ${r.name} | ${r.n} | ${r.delivered}/${r.expected} | ${r.rate.toFixed(0)} | ${(r.rate / base.rate).toFixed(2)}× | ${r.p50} | ${r.p99} | ${r.memPerKiB.toFixed(1)} |`,
  );
}
process.exit(0);
