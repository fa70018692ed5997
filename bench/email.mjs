// env.email.send() calls/s into the outbox (checked, stored with its outbox row in one
// transaction, nothing delivered yet) against env.kv set in the same execution, on PGlite
// and PostgreSQL, in one run. Then the dispatcher is started and the queued messages are
// delivered to a local SMTP sink (smtp-server): messages/s through the transport.
//   npm run build && node bench/email.mjs [messages]
import { SMTPServer } from "smtp-server";
import { createInstance, deploy, invokeJson, postgresAvailable } from "./lib/instance.mjs";

const N = Number(process.argv[2] ?? 1000);

async function startSink() {
  let received = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, _session, callback) {
      stream.on("data", () => {});
      stream.on("end", () => {
        received++;
        callback(null, "Ok");
      });
    },
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.server.address().port,
    received: () => received,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const invoke = invokeJson;

async function bench(kind, sink) {
  const inst = await createInstance(kind, {
    PICLOUD_SCRIPT_TIMEOUT_MS: "300000",
    PICLOUD_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    PICLOUD_EMAIL_PER_MINUTE: "1000000",
    PICLOUD_EMAIL_PER_DAY: "100000000",
  });
  const { services, appId } = inst;
  await services.email.setSenders(appId, ["bench.example.com"]);
  await deploy(inst, [
    {
      name: "loop",
      source: `export default { async fetch(req, env) {
        const n = Number(new URL(req.url).searchParams.get("n")); const c = env.kv.collection("bench");
        const message = (i) => ({ from: "noreply@bench.example.com", to: "user" + i + "@example.org",
          subject: "Your code " + i, text: "Your code is " + i + ".", html: "<p>Your code is <b>" + i + "</b>.</p>" });
        let t = Date.now(); for (let i = 0; i < n; i++) await c.set("k" + i, message(i)); const kv = Date.now() - t;
        t = Date.now(); for (let i = 0; i < n; i++) await env.email.send(message(i)); const email = Date.now() - t;
        return Response.json({ kv, email }); } }`,
    },
  ]);
  const r = await invoke(services, appId, "loop", `/?n=${N}`);
  const before = sink.received();
  const t = performance.now();
  await services.dispatcher.start();
  while (sink.received() - before < N) await new Promise((resolve) => setTimeout(resolve, 20));
  // Delivered means recorded as sent, not only received by the sink.
  while ((await services.email.list(appId, { status: "queued", limit: 1 })).items.length > 0)
    await new Promise((resolve) => setTimeout(resolve, 20));
  const delivery = performance.now() - t;
  await inst.close();
  const rate = (ms) => (N / ms) * 1000;
  return { kind, kv: rate(r.kv), email: rate(r.email), delivery: rate(delivery) };
}

const sink = await startSink();
const rows = [await bench("pglite", sink)];
if (await postgresAvailable()) rows.push(await bench("postgres", sink));
else console.error("PostgreSQL not reachable: its rows are skipped");
await sink.close();
console.log(`\n${N} sequential calls in one execution each; per second (higher is better)\n`);
console.log(
  "| engine | env.kv set | env.email.send (into the outbox) | ratio | delivered to a local SMTP sink |",
);
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const r of rows)
  console.log(
    `| ${r.kind} | ${r.kv.toFixed(0)} | ${r.email.toFixed(0)} | ${(r.email / r.kv).toFixed(2)}× | ${r.delivery.toFixed(0)} |`,
  );
process.exit(0);
