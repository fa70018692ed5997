/**
 * Inbound e-mail against the real daemon: picloud.toml's `[email]` section
 * (deployed on start) routes mail from a real SMTP client to the handler, and
 * a message acknowledged with 250 survives a kill -9 right after: the restarted
 * daemon delivers it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import nodemailer from "nodemailer";
import { describe, expect, it } from "vitest";
import { ADMIN, type DaemonProcess, loopbackFetch, startDaemonProcess } from "../src/testing/daemon.js";

const TOML = `
name = "default"

[email]
addresses = ["support@blog.example.com"]
handler = "inbox"

[[scripts]]
name = "inbox"
main = "inbox.js"

[[scripts]]
name = "reader"
main = "reader.js"
routes = ["/mail"]
`;
// Slow on purpose: the kill lands while the first delivery is still running (or not yet claimed).
const INBOX = `export default { async email(message, env) {
  await new Promise((r) => setTimeout(r, 1000));
  await env.kv.collection("mail").set(message.id, { subject: message.subject, to: message.to, size: message.attachments[0]?.size ?? 0 });
} };`;
const READER = `export default { async fetch(req, env) {
  return Response.json((await env.kv.collection("mail").list({ limit: 100 })).items.map((i) => i.value));
} };`;

describe("inbound e-mail in the daemon", () => {
  it("delivers a message acknowledged with 250 even when the daemon is killed right after", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "picloud-email-in-"));
    writeFileSync(path.join(dir, "picloud.toml"), TOML);
    writeFileSync(path.join(dir, "inbox.js"), INBOX);
    writeFileSync(path.join(dir, "reader.js"), READER);
    const env = { ...ADMIN, PICLOUD_SMTP_LISTEN: "127.0.0.1:0", PICLOUD_OUTBOX_LEASE_MS: "1500" };
    let daemon: DaemonProcess | undefined;
    try {
      daemon = await startDaemonProcess(env, { dataDir: path.join(dir, "data"), cwd: dir });
      const ready = JSON.parse(daemon.logs.find((l) => l.includes('"PiCloud is ready"'))!) as {
        smtpPort: number;
      };
      expect(ready.smtpPort).toBeGreaterThan(0);
      const transport = nodemailer.createTransport({
        host: "127.0.0.1",
        port: ready.smtpPort,
        secure: false,
        ignoreTLS: true,
      });
      const refused = await transport
        .sendMail({ from: "a@sender.example", to: "nobody@blog.example.com", text: "?" })
        .catch((e) => e);
      expect(refused.responseCode).toBe(550);
      const info = await transport.sendMail({
        from: "a@sender.example",
        to: "support@blog.example.com",
        subject: "survives",
        text: "hello",
        attachments: [{ filename: "a.bin", content: Buffer.alloc(5000, 7) }],
      });
      expect(info.response).toMatch(/^250 /);
      daemon.child.kill("SIGKILL");
      await daemon.stop();

      daemon = await startDaemonProcess(env, { dataDir: path.join(dir, "data"), cwd: dir });
      const restarted = daemon;
      await expect
        .poll(async () => (await (await loopbackFetch(`${restarted.appUrl()}/mail`)).json()) as unknown[], {
          timeout: 30_000,
          interval: 300,
        })
        .toEqual([{ subject: "survives", to: ["support@blog.example.com"], size: 5000 }]);
      // Nothing about the message body reaches the logs.
      expect(restarted.logs.concat(restarted.stderr).join("\n")).not.toContain("hello");
    } finally {
      await daemon?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
