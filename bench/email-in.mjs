// Inbound e-mail throughput: messages/s from a real SMTP client (nodemailer,
// pooled, 8 connections) through PiCloud's listener — stored with its outbox
// row, 250, then parsed and handed to an email() handler in a fresh sandbox —
// until the N-th handler ran. Baselines in the same run: the same client into
// a bare smtp-server that drains each message and answers 250 (a sink: SMTP
// cost alone), and N KV writes each triggering a handler through the outbox
// (PiCloud's event path without SMTP or MIME).
//   npm run build && node bench/email-in.mjs [messages] [attachment KiB]
import nodemailer from "nodemailer";
import { SMTPServer } from "smtp-server";
import { SmtpListener } from "../dist/src/email-in/listener.js";
import { createLogger } from "../dist/src/lib/logger.js";
import { bindingContext, createInstance, deploy, postgresAvailable } from "./lib/instance.mjs";

const N = Number(process.argv[2] ?? 300);
const ATTACH_KIB = Number(process.argv[3] ?? 10);
const CONNECTIONS = 8;
const attachment = Buffer.alloc(ATTACH_KIB * 1024, 0x61);

async function sendAll(port) {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: CONNECTIONS,
    maxMessages: Number.POSITIVE_INFINITY,
  });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: N }, (_, i) =>
      transport.sendMail({
        from: "bench@sender.example",
        to: "inbox@bench.example",
        subject: `message ${i}`,
        text: "hello from the bench",
        attachments: ATTACH_KIB > 0 ? [{ filename: "a.bin", content: attachment }] : [],
      }),
    ),
  );
  const acceptedMs = performance.now() - t0;
  transport.close();
  return { t0, acceptedMs };
}

async function benchSink() {
  let seen = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    logger: false,
    onData(stream, _session, callback) {
      stream.on("data", () => {});
      stream.on("end", () => {
        seen++;
        callback();
      });
    },
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { acceptedMs } = await sendAll(server.server.address().port);
  await new Promise((r) => server.close(r));
  return {
    name: "bare smtp-server sink",
    perSec: (N / acceptedMs) * 1000,
    acceptedPerSec: (N / acceptedMs) * 1000,
    seen,
  };
}

/** Counts handler completions through the live tail (each handler logs once). */
function counter(services, appId) {
  let seen = 0;
  const target = N;
  let done = () => {};
  const all = new Promise((r) => {
    done = r;
  });
  services.tail.subscribe(appId, (e) => {
    if (e.type === "log" && ++seen === target) done();
  });
  return { all };
}

async function benchKv(kind) {
  const inst = await createInstance(kind);
  const { services } = inst;
  await deploy(inst, [
    {
      name: "handler",
      source: `export default { trigger(e) { console.log(e.key); } }`,
      triggers: [{ kind: "kv", config: { collection: "jobs", ops: ["insert"] }, retry: {} }],
    },
  ]);
  const { all } = counter(services, inst.appId);
  await services.dispatcher.start();
  const ctx = bindingContext(inst);
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < N) await services.kv.set(ctx, "jobs", `k${next++}`, { i: next });
    }),
  );
  await all;
  const ms = performance.now() - t0;
  await inst.close();
  return { name: `kv write → trigger, ${kind}`, perSec: (N / ms) * 1000 };
}

async function benchEmail(kind) {
  const inst = await createInstance(kind);
  const { services } = inst;
  await deploy(inst, [
    {
      name: "inbox",
      source: `export default { email(m) { console.log(m.subject, m.attachments.length); } }`,
      triggers: [{ kind: "email", config: { address: "*" }, retry: {} }],
    },
  ]);
  await services.emailClaims.set(inst.appId, { addresses: [], domains: ["bench.example"] });
  const listener = new SmtpListener(
    services.inbox,
    {
      host: "127.0.0.1",
      port: 0,
      maxBytes: 10 * 1024 * 1024,
      maxRecipients: 100,
      tls: null,
      hostname: "mx.bench",
      closeTimeoutMs: 5000,
    },
    createLogger("silent"),
  );
  await listener.start();
  const { all } = counter(services, inst.appId);
  await services.dispatcher.start();
  const { t0, acceptedMs } = await sendAll(listener.port);
  await all;
  const ms = performance.now() - t0;
  await listener.stop();
  await inst.close();
  return {
    name: `PiCloud listener → email(), ${kind}`,
    perSec: (N / ms) * 1000,
    acceptedPerSec: (N / acceptedMs) * 1000,
  };
}

const kinds = ["pglite", ...((await postgresAvailable()) ? ["postgres"] : [])];
if (kinds.length === 1) console.log("(no PostgreSQL server answers: PGlite only)");
const sink = await benchSink();
const rows = [sink];
for (const kind of kinds) {
  const kv = await benchKv(kind);
  const email = await benchEmail(kind);
  rows.push(kv, { ...email, vsKv: email.perSec / kv.perSec });
}
console.log(`${N} messages, ${ATTACH_KIB} KiB attachment each, ${CONNECTIONS} SMTP connections`);
for (const r of rows)
  console.log(
    [
      r.name.padEnd(38),
      `${r.perSec.toFixed(0).padStart(6)}/s end to end`,
      r.acceptedPerSec ? `${r.acceptedPerSec.toFixed(0).padStart(6)}/s accepted (250)` : "".padStart(22),
      `${(r.perSec / sink.perSec).toFixed(2)}× sink`,
      r.vsKv ? `${r.vsKv.toFixed(2)}× kv trigger` : "",
    ].join("  "),
  );
process.exit(0);
