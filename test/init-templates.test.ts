/**
 * `picloud init` templates deploy as written and answer: each one is created by
 * the real CLI, deployed to a real daemon with `picloud deploy`, and called over
 * HTTP (the chat through its realtime topic, the inbox through real SMTP); its
 * own test passes too.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childProcessEnv } from "../src/config/testing.js";
import {
  ADMIN,
  type DaemonProcess,
  loginAsAdmin,
  loopbackFetch,
  REPO_ROOT,
  runCli,
  startDaemonProcess,
} from "../src/testing/daemon.js";
import { collectSse } from "../src/testing/sse-client.js";

const FILES = ["picloud.toml", "package.json", "tsconfig.json", ".gitignore", ".dev.vars.example"];

describe("picloud init templates, deployed and called", () => {
  let daemon: DaemonProcess;
  let smtpPort: number;
  const root = mkdtempSync(path.join(os.tmpdir(), "picloud-init-"));
  let env: Record<string, string>;
  beforeAll(async () => {
    daemon = await startDaemonProcess({ ...ADMIN, PICLOUD_SMTP_LISTEN: "127.0.0.1:0" });
    smtpPort = (
      JSON.parse(daemon.logs.find((l) => l.includes('"PiCloud is ready"'))!) as { smtpPort: number }
    ).smtpPort;
    env = { PICLOUD_CONFIG_DIR: path.join(root, "config"), PICLOUD_URL: daemon.url };
    await loginAsAdmin(env);
  });
  afterAll(async () => {
    await daemon?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  /** init + (the npm install a user would run: the repository's node_modules) + deploy. */
  async function initAndDeploy(template: string, dirName: string): Promise<string> {
    const made = await runCli(["init", dirName, "--template", template], env, undefined, { cwd: root });
    expect(made.stderr).toBe("");
    expect(made.code).toBe(0);
    expect(made.stdout).toContain(`Created app ${dirName} from the ${template} template`);
    const dir = path.join(root, dirName);
    for (const f of FILES) expect(existsSync(path.join(dir, f)), f).toBe(true);
    expect(readFileSync(path.join(dir, ".gitignore"), "utf8")).toContain(".dev.vars");
    symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
    const deployed = await runCli(["deploy"], env, undefined, { cwd: dir });
    expect(deployed.stderr).toBe("");
    expect(deployed.code).toBe(0);
    expect(deployed.stdout).toContain(`Deployed app ${dirName}`);
    return dir;
  }

  /** The template's own tests pass (vitest, as `npm test` in the project runs them). */
  function templateTestsPass(dir: string): void {
    const run = spawnSync(process.execPath, [path.join(REPO_ROOT, "node_modules/vitest/vitest.mjs"), "run"], {
      cwd: dir,
      env: childProcessEnv(dir),
      encoding: "utf8",
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
  }

  it("hello: greets over HTTP", async () => {
    const dir = await initAndDeploy("hello", "hello-app");
    const res = await loopbackFetch(`${daemon.appUrl("hello-app")}/hello/Ada`);
    expect(await res.json()).toEqual({ message: "Hello, Ada!" });
    templateTestsPass(dir);
  }, 120_000);

  it("hono: the Hono routes answer", async () => {
    const dir = await initAndDeploy("hono", "hono-app");
    const book = await loopbackFetch(`${daemon.appUrl("hono-app")}/books/2`);
    expect(await book.json()).toEqual({ id: 2, title: "Book 2" });
    const home = await loopbackFetch(`${daemon.appUrl("hono-app")}/`);
    expect(await home.json()).toEqual({ message: "Hello from Hono on PiCloud" });
    templateTestsPass(dir);
  }, 120_000);

  it("realtime-chat: a posted message reaches a subscriber of the topic", async () => {
    const dir = await initAndDeploy("realtime-chat", "chat-app");
    const base = daemon.appUrl("chat-app");
    expect(await (await loopbackFetch(`${base}/`)).text()).toContain(
      'new EventSource("/realtime/topics/chat")',
    );
    const stream = collectSse((await loopbackFetch(`${base}/realtime/topics/chat`)) as unknown as Response);
    try {
      await stream.waitFor((_e, raw) => raw.includes(": connected"));
      const posted = await loopbackFetch(`${base}/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "Ada", text: "hello room" }),
      });
      expect(posted.status).toBe(202);
      await stream.waitFor((events) => events.some((e) => e.data.includes("hello room")));
      const bad = await loopbackFetch(`${base}/messages`, { method: "POST", body: "{}" });
      expect(bad.status).toBe(400);
    } finally {
      await stream.close();
    }
    templateTestsPass(dir);
  }, 120_000);

  it("email-inbox: mail sent over SMTP is listed at /messages", async () => {
    const dir = await initAndDeploy("email-inbox", "inbox-app");
    const transport = nodemailer.createTransport({
      host: "127.0.0.1",
      port: smtpPort,
      secure: false,
      ignoreTLS: true,
    });
    const sent = await transport.sendMail({
      from: "ann@sender.example",
      to: "inbox@inbox-app.example.com",
      subject: "first mail",
      text: "hello inbox",
    });
    expect(sent.response).toMatch(/^250 /);
    // Delivery goes through the outbox: wait (bounded) until the handler has stored it.
    let listed: { subject: string; from: string }[] = [];
    for (const until = Date.now() + 30_000; Date.now() < until; ) {
      listed = (await (
        await loopbackFetch(`${daemon.appUrl("inbox-app")}/messages`)
      ).json()) as typeof listed;
      if (listed.length > 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(listed).toEqual([expect.objectContaining({ subject: "first mail", from: "ann@sender.example" })]);
    templateTestsPass(dir);
  }, 120_000);

  it("refuses to overwrite a project, and an unknown template, with the way out", async () => {
    expect((await runCli(["init", "taken"], env, undefined, { cwd: root })).code).toBe(0);
    const again = await runCli(["init", "taken"], env, undefined, { cwd: root });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("taken already has ");
    expect(again.stderr).toContain("picloud.toml");
    expect(again.stderr).toContain("--force");
    const unknown = await runCli(["init", "x", "--template", "blog"], env, undefined, { cwd: root });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown template "blog"');
    expect(unknown.stderr).toContain("realtime-chat");
    const badName = await runCli(["init", "Not_A_Slug!", "--name", "Bad Name"], env, undefined, {
      cwd: root,
    });
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('"Bad Name" is not a valid app name');
  });
});
