/**
 * Outbound e-mail in the real daemon: PICLOUD_SMTP_URL from the environment,
 * `[email] senders` deployed from picloud.toml by `picloud deploy`, a message
 * sent while the relay is down kept across a restart and delivered once it is
 * up, `picloud email ls` showing the result — and no log line with the body.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type SmtpSink, startSmtpSink } from "../src/bindings/email/test-smtp-sink.js";
import {
  ADMIN,
  type DaemonProcess,
  loginAsAdmin,
  loopbackFetch,
  runCli,
  startDaemonProcess,
} from "../src/testing/daemon.js";
import { createPostgresDatabase, testDbKinds } from "../src/testing/database.js";

const BODY = "magic-link-token-5f1e2d3c-never-in-logs";

const TOML = `name = "mailer"
[email]
senders = ["noreply@mailer.example.com"]
[[scripts]]
name = "send"
main = "send.js"
routes = ["POST /send"]
`;

const SCRIPT = `export default { async fetch(req, env) {
  const { to } = await req.json();
  return Response.json(await env.email.send({ to, subject: "Sign in", text: ${JSON.stringify(BODY)} }));
} }`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.each(testDbKinds())("outbound e-mail against a running daemon [%s]", (kind) => {
  const work = mkdtempSync(path.join(os.tmpdir(), "picloud-email-"));
  let daemon: DaemonProcess | undefined;
  let sink: SmtpSink | undefined;
  let dropDb = async () => {};
  afterAll(async () => {
    await daemon?.stop();
    await sink?.close();
    await dropDb();
    rmSync(work, { recursive: true, force: true });
  });

  it("keeps a message queued while the relay is down, across a restart, and delivers it when it is up", {
    timeout: 120_000,
  }, async () => {
    let dbEnv: Record<string, string> = {};
    if (kind === "postgres") {
      const db = await createPostgresDatabase();
      dropDb = db.drop;
      dbEnv = { DATABASE_URL: db.url };
    }
    const port = await freePort();
    const dataDir = path.join(work, "data");
    mkdirSync(dataDir);
    const env = {
      ...ADMIN,
      ...dbEnv,
      PICLOUD_DEPLOY_ON_START: "off",
      PICLOUD_SMTP_URL: `smtp://127.0.0.1:${port}`,
      PICLOUD_RETRY_MAX_ATTEMPTS: "50",
      PICLOUD_RETRY_BACKOFF: "constant",
      PICLOUD_RETRY_DELAY_MS: "200",
    };
    daemon = await startDaemonProcess(env, { dataDir });
    const cli = { PICLOUD_CONFIG_DIR: path.join(work, "config"), PICLOUD_URL: daemon.url };
    await loginAsAdmin(cli);
    const project = path.join(work, "project");
    mkdirSync(project);
    writeFileSync(path.join(project, "picloud.toml"), TOML);
    writeFileSync(path.join(project, "send.js"), SCRIPT);
    const deployed = await runCli(["deploy"], cli, undefined, { cwd: project });
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.stdout).toContain("senders");

    const res = await loopbackFetch(`${daemon.appUrl("mailer")}/send`, {
      method: "POST",
      body: JSON.stringify({ to: "ann@example.org" }),
    });
    const { id } = (await res.json()) as { id: string };
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await daemon.waitForLog(/e-mail delivery failed; will retry/);
    const ls = async () =>
      JSON.parse((await runCli(["email", "ls", "--app", "mailer", "-o", "json"], cli)).stdout).items;
    const [queued] = await ls();
    expect(queued).toMatchObject({ id, status: "queued", to: ["ann@example.org"], subject: "Sign in" });
    expect(queued.serverAnswer).toContain("ECONNREFUSED");
    const firstLogs = [...daemon.logs, ...daemon.stderr];
    expect(await daemon.stop()).toBe(0);

    // The relay comes up on the configured port; the restarted daemon finds the message and sends it.
    sink = await startSmtpSink({ port, startTls: false });
    daemon = await startDaemonProcess(env, { dataDir });
    const cli2 = { ...cli, PICLOUD_URL: daemon.url };
    await loginAsAdmin(cli2);
    await daemon.waitForLog(/"e-mail sent"/, 30_000);
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0]!.raw.toString("utf8")).toContain(BODY);
    const [sent] = JSON.parse(
      (await runCli(["email", "ls", "-a", "mailer", "-o", "json"], cli2)).stdout,
    ).items;
    expect(sent).toMatchObject({ id, status: "sent", serverMessageId: expect.stringMatching(/^SINK\d+$/) });
    const table = (await runCli(["email", "ls", "--app", "mailer"], cli2)).stdout.trim().split("\n");
    expect(table[0]).toMatch(/^ID\s+STATUS\s+CREATEDAT\s+FROM\s+TO\s+SUBJECT\s+ATTEMPTS\s+ANSWER$/);
    expect(table[1]).toMatch(
      new RegExp(`^${id}\\s+sent\\s+.*noreply@mailer\\.example\\.com\\s+ann@example\\.org\\s+Sign in`),
    );
    const shown = await runCli(["email", "show", id, "--app", "mailer"], cli2);
    expect(shown.stdout).toContain("status:");
    expect(shown.stdout).not.toContain(BODY);
    expect([...firstLogs, ...daemon.logs, ...daemon.stderr].join("\n")).not.toContain(BODY);
  });
});
