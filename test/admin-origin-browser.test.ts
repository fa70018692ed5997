/**
 * A script's page cannot act on the admin API with a visiting admin's cookie
 * (docs/security.md). In real Chromium: the owner logs in on the admin origin,
 * then visits pages that an app's editor deployed; each page tries to create
 * an owner account through the admin API every way a page can. None gets
 * through, while the same call from the admin origin itself does (so the
 * cookie is live and the test can fail).
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { browserSkipReason, browserSuiteTitle, freePort, launchChromium } from "../src/testing/browser.js";
import { ADMIN, adminCookie, type DaemonProcess, startDaemonProcess } from "../src/testing/daemon.js";

/** The attack: every way a page can send a request to the admin API, with the results written into the page. */
const attackPage = (adminOrigin: string) => `<!doctype html><html><body><pre id="results"></pre><script>
const body = JSON.stringify({ email: "mallory" + Math.random() + "@example.com", password: "mallory password 1", role: "owner" });
const attempts = {
  "same-origin fetch": () => fetch("/api/v1/admin/users", { method: "POST", credentials: "include", headers: { "content-type": "application/json" }, body }),
  "cross-origin fetch": () => fetch("${adminOrigin}/api/v1/admin/users", { method: "POST", credentials: "include", headers: { "content-type": "application/json" }, body }),
  "cross-origin no-cors": () => fetch("${adminOrigin}/api/v1/admin/users", { method: "POST", mode: "no-cors", credentials: "include", headers: { "content-type": "text/plain" }, body }),
};
(async () => {
  const out = {};
  for (const [name, attempt] of Object.entries(attempts)) {
    try { const res = await attempt(); out[name] = res.type === "opaque" ? "opaque" : res.status; }
    catch (e) { out[name] = "refused: " + e.name; }
  }
  document.getElementById("results").textContent = JSON.stringify(out);
})();
</script></body></html>`;

interface Layout {
  /** Daemon settings for this layout, given its port. */
  env(port: number): Record<string, string>;
  adminOrigin(port: number): string;
  appUrl(slug: string, port: number): string;
  /** Chromium flags (name resolution for a layout outside *.localhost). */
  chromiumArgs: string[];
}

const LAYOUTS: [string, Layout][] = [
  [
    "the quickstart's: admin on localhost, apps on *.localhost (other sites)",
    {
      env: () => ({}),
      adminOrigin: (port) => `http://localhost:${port}`,
      appUrl: (slug, port) => `http://${slug}.localhost:${port}`,
      chromiumArgs: [],
    },
  ],
  [
    // Same site: the SameSite=Lax session cookie IS sent along with the page's requests here, so
    // only the origin check and the JSON content-type rule stand between the page and the API.
    "one site: admin on pi.example.com, apps on *.apps.example.com",
    {
      env: (port) => ({
        PICLOUD_PUBLIC_URL: `http://pi.example.com:${port}`,
        PICLOUD_BASE_DOMAIN: "apps.example.com",
      }),
      adminOrigin: (port) => `http://pi.example.com:${port}`,
      appUrl: (slug, port) => `http://${slug}.apps.example.com:${port}`,
      chromiumArgs: ["--host-resolver-rules=MAP *.example.com 127.0.0.1"],
    },
  ],
];

const skipReason = browserSkipReason();

describe.skipIf(skipReason !== null).each(LAYOUTS)(
  browserSuiteTitle("the admin origin in a browser, layout %s", skipReason),
  (_name, layout) => {
    let browser: Browser | undefined;
    let daemon: DaemonProcess | undefined;
    afterAll(async () => {
      await browser?.close();
      await daemon?.stop();
    });

    it("keeps a script's page from creating an owner with the visiting owner's session", async () => {
      const port = await freePort();
      daemon = await startDaemonProcess({
        ...ADMIN,
        PICLOUD_PORT: String(port),
        PICLOUD_DEPLOY_ON_START: "off",
        ...layout.env(port),
      });
      const adminOrigin = layout.adminOrigin(port);
      const appUrl = (slug: string) => layout.appUrl(slug, port);

      // An editor-made page in the default app and in another app.
      const cookie = await adminCookie(daemon.url);
      const admin = (method: string, path: string, body?: unknown) =>
        fetch(`${daemon!.url}/api/v1/admin${path}`, {
          method,
          headers: { "content-type": "application/json", cookie },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const source = `export default { fetch() { return new Response(${JSON.stringify(attackPage(adminOrigin))}, { headers: { "content-type": "text/html" } }) } }`;
      expect((await admin("POST", "/apps", { name: "appa" })).status).toBe(201);
      for (const app of ["default", "appa"]) {
        const deployed = await admin("POST", `/apps/${app}/deploy`, {
          scripts: [{ name: "pwn", source, routes: [{ path: "/pwn" }] }],
        });
        expect(deployed.status).toBe(200);
      }
      // The admin host never serves the page (by IP here; by name in the browser below).
      const byIp = await fetch(`${daemon.url}/pwn`);
      expect(byIp.status).toBe(404);
      expect(byIp.headers.get("content-type")).toContain("application/json");

      browser = await launchChromium(layout.chromiumArgs);
      const context = await browser.newContext();
      const page = await context.newPage();
      // The owner logs in on the admin origin: the browser now holds the session cookie.
      const adminPage = await page.goto(`${adminOrigin}/pwn`);
      expect(adminPage?.status()).toBe(404);
      const loggedIn = await page.evaluate(
        async (creds) =>
          (
            await fetch("/api/v1/admin/auth/login", {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify(creds),
            })
          ).status,
        { email: ADMIN.PICLOUD_ADMIN_EMAIL, password: ADMIN.PICLOUD_ADMIN_PASSWORD },
      );
      expect(loggedIn).toBe(200);

      const results = async (p: Page, url: string) => {
        await p.goto(url);
        await expect.poll(() => p.textContent("#results"), { timeout: 10_000 }).not.toBe("");
        return JSON.parse((await p.textContent("#results"))!) as Record<string, unknown>;
      };
      for (const app of ["default", "appa"]) {
        const seen = await results(page, `${appUrl(app)}/pwn`);
        expect(seen["same-origin fetch"], app).toBe(404);
        expect(seen["cross-origin fetch"], app).toBe("refused: TypeError");
        expect(seen["cross-origin no-cors"], app).toBe("opaque");
      }
      const users = (await (await admin("GET", "/users")).json()) as { users: { email: string }[] };
      expect(users.users.map((u) => u.email)).toEqual([ADMIN.PICLOUD_ADMIN_EMAIL]);

      // Control: the same request from the admin origin, with the same cookie, does create a user.
      await page.goto(`${adminOrigin}/healthz`);
      const control = await page.evaluate(async () => {
        return (
          await fetch("/api/v1/admin/users", {
            method: "POST",
            credentials: "include",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              email: "control@example.com",
              password: "control password 1",
              role: "member",
            }),
          })
        ).status;
      });
      expect(control).toBe(201);
    }, 90_000);
  },
);
