// Opens N Server-Sent Events connections to a URL (raw node:http, so the client
// is cheap) and reports, per received message, now - message.sentAt.
// Usage: node sse-clients.mjs <url> <n> [host]   — prints "ready" when all are
// open, then one JSON line {latencies: [...]} on SIGTERM. `host` is sent as the
// Host header (an app's host, e.g. default.localhost, while connecting to 127.0.0.1).
import http from "node:http";

const [url, nArg, host] = process.argv.slice(2);
const n = Number(nArg);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
const latencies = [];
let open = 0;

for (let i = 0; i < n; i++) {
  const req = http.get(
    url,
    { agent, headers: { accept: "text/event-stream", ...(host ? { host } : {}) } },
    (res) => {
      if (res.statusCode !== 200) {
        console.error(`status ${res.statusCode}`);
        process.exit(1);
      }
      if (++open === n) console.log("ready");
      let buf = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        buf += chunk;
        let end = buf.indexOf("\n\n");
        while (end !== -1) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const data = block.split("\n").find((l) => l.startsWith("data: "));
          if (data) {
            const sentAt = /"sentAt":(\d+)/.exec(data)?.[1];
            if (sentAt) latencies.push(Date.now() - Number(sentAt));
          }
          end = buf.indexOf("\n\n");
        }
      });
    },
  );
  req.on("error", (err) => {
    console.error(err.message);
    process.exit(1);
  });
}

process.on("SIGTERM", () => {
  process.stdout.write(`${JSON.stringify({ latencies })}\n`, () => process.exit(0));
});
