/**
 * The demo's /live page in a real browser (Debian's Chromium driven by
 * playwright-core): its EventSource receives what a script publishes; then the
 * daemon restarts, the connection drops, and the page resumes with
 * Last-Event-ID without losing or repeating a message.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { browserSkipReason, browserSuiteTitle, freePort, launchChromium } from "../src/testing/browser.js";
import { type DaemonProcess, loopbackFetch, REPO_ROOT, startDaemonProcess } from "../src/testing/daemon.js";

const skipReason = browserSkipReason();

describe.skipIf(skipReason !== null)(browserSuiteTitle("realtime in a browser", skipReason), () => {
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
    // The demo is the default app: it answers on default.localhost, which Chromium sends to loopback.
    const base = daemon.appUrl();
    const publish = async (text: string) => {
      const res = await loopbackFetch(`${base}/api/publish`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text }),
      });
      expect(res.status).toBe(200);
    };

    browser = await launchChromium();
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
