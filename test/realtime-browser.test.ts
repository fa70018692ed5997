/**
 * The demo's /live page in a real browser (Debian's Chromium driven by
 * playwright-core): its EventSource receives what a script publishes; then the
 * daemon restarts, the connection drops, and the page resumes with
 * Last-Event-ID without losing or repeating a message.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { type DaemonProcess, REPO_ROOT, startDaemonProcess } from "../src/testing/daemon.js";

const CHROMIUM = "/usr/bin/chromium";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe("realtime in a browser", () => {
  let browser: Browser | undefined;
  let daemon: DaemonProcess | undefined;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "picloud-browser-"));
  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("shows published messages live and resumes after the connection drops", async () => {
    const port = await freePort();
    const env = {
      PICLOUD_PORT: String(port),
      PICLOUD_DEPLOY_ON_START: path.join(REPO_ROOT, "picloud.toml"),
      PICLOUD_ADMIN_EMAIL: "owner@example.com",
      PICLOUD_ADMIN_PASSWORD: "owner password 123",
    };
    daemon = await startDaemonProcess(env, { dataDir });
    const base = `http://127.0.0.1:${port}`;
    const publish = async (text: string) => {
      const res = await fetch(`${base}/api/publish`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text }),
      });
      expect(res.status).toBe(200);
    };

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    const page = await browser.newPage();
    await page.goto(`${base}/live`);
    await expect.poll(() => page.textContent("#status"), { timeout: 10_000 }).toBe("connected");
    await publish("one");
    await expect
      .poll(() => page.$$eval("#messages li", (els) => els.map((e) => e.textContent)), { timeout: 10_000 })
      .toEqual(["one"]);

    // The typed form publishes too (the page's own fetch to the script).
    await page.fill("#text", "typed");
    await page.click("button");
    await expect
      .poll(() => page.$$eval("#messages li", (els) => els.map((e) => e.textContent)), { timeout: 10_000 })
      .toEqual(["one", "typed"]);

    // Drop the connection: restart the daemon; publish while the page is (most likely) still away.
    expect(await daemon.stop()).toBe(0);
    daemon = await startDaemonProcess(env, { dataDir });
    await publish("two");
    await publish("three");
    await expect
      .poll(() => page.$$eval("#messages li", (els) => els.map((e) => e.textContent)), { timeout: 20_000 })
      .toEqual(["one", "typed", "two", "three"]);
    await expect.poll(() => page.textContent("#status"), { timeout: 10_000 }).toBe("connected");
  }, 90_000);
});
