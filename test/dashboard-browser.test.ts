/**
 * The dashboard (/admin) in a real headless Chromium against a real daemon on
 * PGlite, through the UI only: first-run owner creation from the printed setup
 * URL, logout and login, creating an app, writing, deploying and test-running
 * a script in the editor, its executions in the list and the live tail, the KV
 * entry it wrote in the KV browser (edit, delete), minting and revoking an API
 * key, what a viewer member sees (no write buttons; the API says 403), and
 * deleting the app with a typed confirmation. Also: caching headers
 * and CSP of the served files, no CSP violation in the page, phone width, dark.
 *
 * Screenshots go to $PICLOUD_DASHBOARD_SCREENSHOTS when set (docs/dashboard/).
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, launchChromium } from "../src/testing/browser.js";
import { type DaemonProcess, loopbackFetch, startDaemonProcess } from "../src/testing/daemon.js";

const OWNER = { email: "owner@example.com", password: "owner password 123" };
const SHOTS = process.env.PICLOUD_DASHBOARD_SCREENSHOTS;

const SCRIPT_V1 = `export default {
  async fetch(request, env) {
    return new Response("v1");
  },
};
`;
// Typed into the editor as one insertion, so auto-closed brackets do not double up.
const SCRIPT_V2 = `export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const body = await request.text();
    console.log("visit " + url.pathname + " with " + body);
    console.warn("header x-test=" + request.headers.get("x-test"));
    await env.kv.collection("visits").set("last", { path: url.pathname, body });
    return new Response("hello " + body + " at " + url.pathname, { status: 201 });
  },
};
`;

async function shot(page: Page, name: string) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/** Replaces the whole text of the CodeMirror editor on the page (there is one at a time). */
async function typeInEditor(page: Page, text: string) {
  await page.waitForSelector(".editor[data-ready] .cm-content");
  await page.click(".editor .cm-content");
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(text);
}

describe("the dashboard in a browser", () => {
  let browser: Browser | undefined;
  let daemon: DaemonProcess | undefined;
  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
  });

  it("creates the owner, an app, a script run from the editor, and shows its data and executions", async () => {
    const port = await freePort();
    daemon = await startDaemonProcess({ PICLOUD_PORT: String(port), PICLOUD_DEPLOY_ON_START: "off" });
    const origin = `http://localhost:${port}`;
    const setupLine = await daemon.waitForLog(/PiCloud setup: /);
    const setupUrl = new URL(setupLine.split("PiCloud setup: ")[1]!.trim());

    // The served files: index.html for every page, never cached, under the CSP; hashed assets for a year.
    const deep = await fetch(`${daemon.url}/admin/apps/anything/scripts`);
    expect(deep.status).toBe(200);
    expect(deep.headers.get("cache-control")).toBe("no-cache");
    expect(deep.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await deep.text();
    const asset = /\/admin\/assets\/[^"]+\.js/.exec(html)?.[0];
    expect(asset).toBeDefined();
    const js = await fetch(`${daemon.url}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(js.headers.get("content-type")).toContain("text/javascript");
    expect(js.headers.get("content-encoding")).toBe("gzip");
    expect((await fetch(`${daemon.url}/admin/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${daemon.url}/admin/assets/..%2Fpackage.json`)).status).toBe(404);
    // App hosts never serve the dashboard.
    const onAppHost = await loopbackFetch(`${daemon.appUrl()}/admin/`);
    expect(onAppHost.status).toBe(404);

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    page.on("pageerror", (e) => problems.push(String(e)));
    // What the CSP refused, with a sample of it, for a readable failure.
    await page.addInitScript(
      `addEventListener("securitypolicyviolation", (e) => console.error("CSP " + e.violatedDirective + ": " + JSON.stringify(e.sample) + " at " + e.sourceFile + ":" + e.lineNumber));`,
    );

    // --- first run: /admin shows the first-run page; the printed URL fills in the token
    await page.goto(`${origin}/admin/`);
    await page.getByRole("heading", { name: "Create the owner account" }).waitFor();
    expect(await page.inputValue("#token")).toBe("");
    await page.goto(`${origin}${setupUrl.pathname}${setupUrl.search}`);
    expect(await page.inputValue("#token")).toBe(setupUrl.searchParams.get("token"));
    await page.fill("#email", OWNER.email);
    await page.fill("#password", "short");
    await page.click("button[type=submit]");
    // The API's own message, next to the field.
    await expect.poll(() => page.textContent("#password-error")).toContain("password");
    await shot(page, "setup");
    await page.fill("#password", OWNER.password);
    await page.click("button[type=submit]");
    await page.getByRole("heading", { name: "Apps" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/admin/");

    // --- logout, then a wrong and a right login
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("heading", { name: "Log in to PiCloud" }).waitFor();
    await page.fill("#email", OWNER.email);
    await page.fill("#password", "wrong password 123");
    await page.click("button[type=submit]");
    await page.locator(".error").waitFor();
    await page.fill("#password", OWNER.password);
    await page.click("button[type=submit]");
    await page.getByRole("heading", { name: "Apps" }).waitFor();

    // --- create an app: the slug comes from the name
    await page.fill("#app-name", "Shop Front");
    expect(await page.textContent("#app-slug-hint")).toContain("shop-front");
    await page.getByRole("button", { name: "Create app" }).click();
    await page.getByRole("heading", { name: /Shop Front/ }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/admin/apps/shop-front");
    await page.goto(`${origin}/admin/`);
    await page.getByRole("link", { name: "Shop Front" }).waitFor();
    await shot(page, "apps");
    // A taken slug: the API's message next to the slug field.
    await page.fill("#app-name", "Another");
    await page.fill("#app-slug", "shop-front");
    await page.getByRole("button", { name: "Create app" }).click();
    await expect.poll(() => page.textContent("#app-slug-error")).toMatch(/slug|taken|exists/i);

    // --- a script written in the editor, deployed, edited, deployed again
    await page.goto(`${origin}/admin/apps/shop-front/scripts`);
    await page.getByRole("button", { name: "New script" }).click();
    await page.fill("#script-name", "hello");
    await typeInEditor(page, SCRIPT_V1);
    await page.getByRole("button", { name: "Create and deploy" }).click();
    await page.getByRole("heading", { name: "Script hello" }).waitFor();
    await expect.poll(() => page.textContent(".current-version")).toBe("1");
    await typeInEditor(page, SCRIPT_V2);
    await page.getByRole("button", { name: "Deploy", exact: true }).click();
    await expect.poll(() => page.textContent(".deploy-message")).toContain("Deployed version 2");
    expect(await page.textContent(".current-version")).toBe("2");
    // The source of an older version.
    await page.getByRole("row", { name: /^1 / }).getByRole("button", { name: "View source" }).click();
    await expect.poll(() => page.textContent(".version-source")).toContain('new Response("v1")');

    // --- test run: method, path, headers, body → status, body, console lines, duration
    await page.selectOption("#run-method", "POST");
    await page.fill("#run-path", "/checkout");
    await page.fill("#run-headers", "x-test: yes");
    await page.fill("#run-body", "basket");
    await page.getByRole("button", { name: "Run" }).click();
    await page.locator(".run-result").waitFor();
    expect(await page.textContent(".run-status")).toBe("201");
    expect(await page.textContent(".run-body")).toBe("hello basket at /checkout");
    const logs = await page.textContent(".run-logs");
    expect(logs).toContain("[log] visit /checkout with basket");
    expect(logs).toContain("[warn] header x-test=yes");
    expect(await page.textContent(".run-duration")).toMatch(/^\d+ ms$/);
    await shot(page, "script");

    // --- executions: the live tail shows a new run as it happens; the list has both
    await page.getByRole("link", { name: "Executions" }).click();
    await page.getByRole("button", { name: "Start live tail" }).click();
    await expect.poll(() => page.textContent(".tail-state")).toBe("live");
    const invoked = await page.evaluate(async () => {
      const res = await fetch("/api/v1/admin/apps/shop-front/scripts/hello/invoke", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ request: { method: "POST", path: "/tailed", body: "live" } }),
      });
      return res.status;
    });
    expect(invoked).toBe(200);
    await expect
      .poll(() => page.textContent("pre.tail"), { timeout: 10_000 })
      .toContain("visit /tailed with live");
    await expect.poll(() => page.textContent("pre.tail")).toContain("POST /tailed → 201");
    // Records are written just after the run ends: refresh until both are there.
    await expect
      .poll(async () => {
        await page.getByRole("button", { name: "Refresh" }).click();
        return page.locator("table.executions tbody tr:has(td.status-ok)").count();
      })
      .toBe(2);
    await page.selectOption("#f-status", "error");
    await expect.poll(() => page.textContent("table.executions tbody")).toContain("No executions match");
    await page.selectOption("#f-status", "");
    await expect.poll(() => page.locator("table.executions tbody tr").count()).toBe(2);
    await page.locator("table.executions tbody tr").first().getByRole("button").click();
    await expect.poll(() => page.textContent("table.executions")).toContain("[log] visit /tailed with live");
    await shot(page, "executions");
    await page.getByRole("button", { name: "Stop tail" }).click();

    // --- KV: the entry the script wrote; edit it, then delete it
    await page.getByRole("link", { name: "KV" }).click();
    await expect.poll(() => page.inputValue("#kv-collection")).toBe("visits");
    await page.getByRole("button", { name: "last" }).click();
    const value = JSON.parse(await page.inputValue("#kv-value"));
    expect(value).toEqual({ path: "/tailed", body: "live" });
    await shot(page, "kv");
    await page.fill("#kv-value", "not json");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.textContent(".field-error")).toContain("not JSON");
    await page.fill("#kv-value", '{"edited": true}');
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.textContent("table.kv-entries")).toContain('{"edited":true}');
    // Prefix search and paging: more keys than a page.
    await page.getByRole("button", { name: "New key" }).click();
    await page.fill("#kv-key", "other");
    await page.fill("#kv-value", "42");
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.textContent("table.kv-entries")).toContain("other");
    await page.fill("#kv-prefix", "la");
    await page.getByRole("button", { name: "Search" }).click();
    await expect.poll(() => page.locator("table.kv-entries tbody tr").count()).toBe(1);
    await page.getByRole("button", { name: "last" }).click();
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("button", { name: "Yes, delete" }).click();
    await expect.poll(() => page.textContent("table.kv-entries")).toContain("No keys.");

    // --- dead letters: a trigger that fails once lands one; fixed in the editor, replayed from the UI
    const setUp = await page.evaluate(async () => {
      const call = (path: string, body: unknown) =>
        fetch(`/api/v1/admin/apps/shop-front${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        }).then((r) => r.status);
      return [
        await call("/scripts", {
          name: "audit",
          source: `export default { async trigger(event) { throw new Error("audit is broken for " + event.key); } };`,
        }),
        await call("/triggers", {
          script: "audit",
          kind: "kv",
          config: { collection: "orders" },
          retry: { maxAttempts: 1 },
        }),
      ];
    });
    expect(setUp).toEqual([201, 201]);
    await page.fill("#kv-collection", "orders");
    await page.fill("#kv-prefix", "");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("button", { name: "New key" }).click();
    await page.fill("#kv-key", "o1");
    await page.fill("#kv-value", '{"total": 5}');
    await page.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => page.textContent("table.kv-entries")).toContain("o1");
    await expect
      .poll(
        async () => {
          await page.goto(`${origin}/admin/`);
          return page.getByRole("link", { name: "1 unresolved dead letters" }).count();
        },
        { timeout: 15_000 },
      )
      .toBe(1);
    await page.getByRole("link", { name: "1 unresolved dead letters" }).click();
    await page.getByRole("heading", { name: "Dead letters" }).waitFor();
    await expect.poll(() => page.textContent("main")).toContain("audit is broken for o1");
    await shot(page, "dead-letters");
    await page.goto(`${origin}/admin/apps/shop-front/scripts/audit`);
    await typeInEditor(
      page,
      `export default { async trigger(event, env) { await env.kv.collection("audited").set(event.key, event.value); } };`,
    );
    await page.getByRole("button", { name: "Deploy", exact: true }).click();
    await expect.poll(() => page.textContent(".deploy-message")).toContain("Deployed version 2");
    await page.getByRole("link", { name: /Dead letters/ }).click();
    await page.locator("table tbody tr").first().getByRole("button").click();
    await expect.poll(() => page.textContent("main pre")).toContain('"key": "o1"');
    await page.getByRole("button", { name: "Replay" }).click();
    await expect.poll(() => page.textContent("main")).toContain("Replayed");
    await expect.poll(() => page.textContent("main table")).toContain("No dead letters.");
    await page.getByRole("link", { name: "KV" }).click();
    await page.fill("#kv-collection", "audited");
    await expect
      .poll(async () => {
        await page.getByRole("button", { name: "Search" }).click();
        return page.textContent("table.kv-entries");
      })
      .toContain("o1");

    // --- API keys: mint (token shown once), the token works, revoke, it no longer does
    await page.getByRole("link", { name: "API keys" }).click();
    await page.fill("#key-name", "");
    await page.getByRole("button", { name: "Create key" }).click();
    await expect.poll(() => page.textContent("#key-name-error")).toContain("name");
    await page.fill("#key-name", "ci deploys");
    await page.getByRole("button", { name: "Create key" }).click();
    const token = (await page.locator(".minted-token").textContent()) ?? "";
    expect(token).toMatch(/^pic_/);
    const withKey = () =>
      fetch(`${daemon!.url}/api/v1/admin/apps`, { headers: { authorization: `Bearer ${token}` } });
    expect((await withKey()).status).toBe(200);
    await shot(page, "api-keys");
    await page.getByRole("button", { name: "Done" }).click();
    expect(await page.locator(".minted-token").count()).toBe(0);
    await page
      .getByRole("row", { name: /ci deploys/ })
      .getByRole("button", { name: "Revoke" })
      .click();
    await page.getByRole("button", { name: "Yes, revoke ci deploys" }).click();
    await expect.poll(() => page.textContent("table.api-keys")).toContain("revoked");
    expect((await withKey()).status).toBe(401);

    // --- a viewer: a deep link survives the login; no write buttons; the API refuses a write anyway
    const made = await page.evaluate(async () => {
      const post = (path: string, body: unknown) =>
        fetch(`/api/v1/admin${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        }).then((r) => r.status);
      return [
        await post("/users", {
          email: "viewer@example.com",
          password: "viewer password 123",
          role: "member",
        }),
        await post("/apps/shop-front/members", { email: "viewer@example.com", role: "viewer" }),
      ];
    });
    expect(made).toEqual([201, 201]);
    const viewerContext = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const viewer = await viewerContext.newPage();
    await viewer.goto(`${origin}/admin/apps/shop-front/scripts/hello`);
    await viewer.getByRole("heading", { name: "Log in to PiCloud" }).waitFor();
    await viewer.fill("#email", "viewer@example.com");
    await viewer.fill("#password", "viewer password 123");
    await viewer.click("button[type=submit]");
    await viewer.getByRole("heading", { name: "Script hello" }).waitFor();
    await viewer.waitForSelector(".editor[data-ready] .cm-content");
    expect(await viewer.getByRole("button", { name: "Deploy", exact: true }).count()).toBe(0);
    expect(await viewer.getByRole("heading", { name: "Test run" }).count()).toBe(0);
    expect(await viewer.getAttribute(".cm-content", "contenteditable")).toBe("false");
    await viewer.getByRole("link", { name: "Scripts" }).click();
    await viewer.getByRole("link", { name: "hello" }).waitFor();
    expect(await viewer.getByRole("button", { name: "New script" }).count()).toBe(0);
    await viewer.getByRole("link", { name: "KV" }).click();
    await expect.poll(() => viewer.inputValue("#kv-collection")).not.toBe("");
    expect(await viewer.getByRole("button", { name: "New key" }).count()).toBe(0);
    const refused = await viewer.evaluate(async () => {
      const res = await fetch("/api/v1/admin/apps/shop-front/scripts/hello/versions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ source: "export default {}" }),
      });
      return [res.status, ((await res.json()) as { error: { message: string } }).error.message];
    });
    expect(refused).toEqual([403, "missing permission: script.write"]);
    await viewerContext.close();

    // --- phone width and dark mode
    await page.setViewportSize({ width: 390, height: 800 });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(`${origin}/admin/apps/shop-front/scripts/hello`);
    await page.getByRole("heading", { name: "Script hello" }).waitFor();
    await page.waitForSelector(".editor[data-ready] .cm-content");
    const overflow = (await page.evaluate(
      "document.documentElement.scrollWidth - window.innerWidth",
    )) as number;
    expect(overflow).toBeLessThanOrEqual(0);
    const bg = await page.evaluate("getComputedStyle(document.body).backgroundColor");
    expect(bg).toBe("rgb(21, 23, 27)");
    await shot(page, "phone-dark");
    await page.setViewportSize({ width: 1200, height: 800 });
    await page.emulateMedia({ colorScheme: "light" });

    // --- delete the app: the button waits for the typed slug
    await page.goto(`${origin}/admin/apps/shop-front/settings`);
    const remove = page.getByRole("button", { name: "Delete app" });
    await page.fill("#confirm-slug", "shop");
    expect(await remove.isDisabled()).toBe(true);
    await page.fill("#confirm-slug", "shop-front");
    await remove.click();
    await page.getByRole("heading", { name: "Apps" }).waitFor();
    await expect.poll(() => page.getByRole("link", { name: "Shop Front" }).count()).toBe(0);

    // Nothing the CSP refused, no uncaught error (the failed login's 401 is the one expected console error).
    expect(problems.filter((p) => !/status of 4\d\d/.test(p))).toEqual([]);
  }, 150_000);
});
