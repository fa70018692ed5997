/**
 * Deploy on start: `picloud start` deploys ./picloud.toml while the instance
 * has no scripts, so the app answers right after the first start; later starts
 * leave the deployed scripts alone; a broken file is logged, not fatal. Also
 * the repository's own demo app, as `npm start` serves it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ADMIN,
  loginAsAdmin,
  loopbackFetch,
  REPO_ROOT,
  runCli,
  startDaemonProcess,
} from "../src/testing/daemon.js";
import { createPostgresDatabase, testDbKinds } from "../src/testing/database.js";

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** The daemon's picloud_sandbox_snapshots_taken metric. */
async function snapshotsTaken(url: string): Promise<number> {
  const text = await (await loopbackFetch(`${url}/metrics`)).text();
  return Number(/^picloud_sandbox_snapshots_taken (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

/** A project directory with a picloud.toml and its sources. */
function project(files: Record<string, string>): string {
  const dir = tempDir("picloud-project-");
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const SITE = {
  "picloud.toml": [
    'name = "default"',
    "[vars]",
    'WHO = "the first start"',
    "[[scripts]]",
    'name = "site"',
    'main = "src/site.ts"',
    'routes = ["GET /"]',
    "[[scripts]]",
    'name = "lib/text"',
    'main = "src/text.ts"',
    'kind = "module"',
  ].join("\n"),
  "src/site.ts": [
    "interface Env { WHO: string }",
    "export default {",
    "  fetch(_request: Request, env: Env): Response {",
    '    return new Response("deployed by " + env.WHO);',
    "  },",
    "};",
  ].join("\n"),
  "src/text.ts": "export const shout = (s: string): string => s.toUpperCase();\n",
};

describe.each(testDbKinds())("deploy on start [%s]", (kind) => {
  it("deploys ./picloud.toml on an empty instance, and leaves the scripts alone on the next start", async () => {
    const dir = project(SITE);
    const dataDir = tempDir("picloud-data-");
    const db = kind === "postgres" ? await createPostgresDatabase() : null;
    const env = { ...ADMIN, ...(db ? { DATABASE_URL: db.url } : {}) };
    try {
      let daemon = await startDaemonProcess(env, { dataDir, cwd: dir });
      try {
        const line = JSON.parse(await daemon.waitForLog(/"deployed .* to app default"/)) as {
          changes: string[];
        };
        expect(line.changes).toEqual([
          "~ vars (+WHO)",
          "+ script lib/text (module, version 1)",
          "+ script site (handler, version 1)",
          "+ route GET / (site)",
        ]);
        // The routed script is evaluated and snapshotted at start, before any request asks for it.
        await expect.poll(async () => snapshotsTaken(daemon.url), { timeout: 20_000, interval: 200 }).toBe(1);
        const res = await loopbackFetch(`${daemon.appUrl()}/`);
        expect([res.status, await res.text()]).toEqual([200, "deployed by the first start"]);

        // What was deployed is visible to the CLI like anything deployed with picloud deploy.
        const cliEnv = { PICLOUD_CONFIG_DIR: tempDir("picloud-cli-"), PICLOUD_URL: daemon.url };
        await loginAsAdmin(cliEnv);
        const scripts = JSON.parse(
          (await runCli(["scripts", "ls", "-o", "json"], cliEnv, undefined, { cwd: dir })).stdout,
        );
        expect(scripts.map((s: { name: string }) => s.name)).toEqual(["lib/text", "site"]);
        const show = await runCli(["scripts", "show", "lib/text", "--source", "--app", "default"], cliEnv);
        expect(show.code).toBe(0);
        expect(show.stdout).toContain("kind:      module");
        expect(show.stdout).toContain("s.toUpperCase()");
      } finally {
        expect(await daemon.stop()).toBe(0);
      }

      // The sources change, the instance has scripts: the next start does not redeploy.
      writeFileSync(
        path.join(dir, "picloud.toml"),
        SITE["picloud.toml"].replace("the first start", "the second start"),
      );
      daemon = await startDaemonProcess({ ...env, PICLOUD_LOG_LEVEL: "debug" }, { dataDir, cwd: dir });
      try {
        await daemon.waitForLog(/deploy on start skipped: the instance already has scripts/);
        const res = await loopbackFetch(`${daemon.appUrl()}/`);
        expect(await res.text()).toBe("deployed by the first start");
        expect(daemon.logs.some((l) => l.includes('"deployed '))).toBe(false);
      } finally {
        expect(await daemon.stop()).toBe(0);
      }
    } finally {
      await db?.drop();
    }
  }, 120_000);
});

describe("deploy on start, edge cases", () => {
  it("logs a broken picloud.toml with the reason and keeps serving", async () => {
    const dir = project({
      ...SITE,
      "picloud.toml": SITE["picloud.toml"].replace('routes = ["GET /"]', 'routes = ["GIT /"]'),
    });
    const daemon = await startDaemonProcess(ADMIN, { cwd: dir });
    try {
      const line = JSON.parse(await daemon.waitForLog(/picloud.toml not deployed/)) as {
        level: number;
        msg: string;
      };
      expect(line.level).toBe(50);
      expect(line.msg).toBe(
        `picloud.toml not deployed: ${path.join(dir, "picloud.toml")}: line 7: scripts[0].routes[0]: route "GIT /": unknown method "GIT" (use GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, or none for any method)`,
      );
      expect((await fetch(`${daemon.url}/healthz`)).status).toBe(200);
      const res = await loopbackFetch(`${daemon.appUrl()}/`);
      expect([res.status, await res.json()]).toEqual([404, { error: "no route for GET /" }]);
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
  }, 60_000);

  it("logs a script that does not bundle, naming file:line:column", async () => {
    const dir = project({
      ...SITE,
      "src/site.ts": 'import fs from "node:fs";\nexport default { fetch: () => new Response(String(fs)) };\n',
    });
    const daemon = await startDaemonProcess(ADMIN, { cwd: dir });
    try {
      const line = JSON.parse(await daemon.waitForLog(/picloud.toml not deployed/)) as { msg: string };
      expect(line.msg).toContain('src/site.ts:1:16: "node:fs" is a Node.js built-in module');
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
  }, 60_000);

  it("serves the repository's demo app, as `npm start` does from the repository root", async () => {
    const daemon = await startDaemonProcess(ADMIN, { cwd: REPO_ROOT, dataDir: tempDir("picloud-demo-") });
    try {
      await daemon.waitForLog(/"deployed .*picloud.toml to app default"/);
      const home = await loopbackFetch(`${daemon.appUrl()}/`);
      expect(home.status).toBe(200);
      expect(home.headers.get("content-type")).toBe("text/html; charset=utf-8");
      const page = await home.text();
      expect(page).toContain("<h1>PiCloud is running</h1>");
      for (const endpoint of ["/api/hello?name=Ada", "/api/echo", "/api/time"])
        expect(page).toContain(endpoint);

      expect(await (await loopbackFetch(`${daemon.appUrl()}/api/hello?name=Ada`)).json()).toEqual({
        message: "Hello, Ada!",
        name: "Ada",
      });
      const echo = await loopbackFetch(`${daemon.appUrl()}/api/echo`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ hello: "pi" }),
      });
      expect(await echo.json()).toEqual({
        echo: { hello: "pi" },
        contentType: "application/json",
        characters: 14,
      });
      const bad = await loopbackFetch(`${daemon.appUrl()}/api/echo`, { method: "POST", body: "nope" });
      expect(bad.status).toBe(400);
      const time = (await (await loopbackFetch(`${daemon.appUrl()}/api/time`)).json()) as {
        iso: string;
        epochMs: number;
      };
      expect(new Date(time.iso).getTime()).toBe(time.epochMs);
      expect(Math.abs(time.epochMs - Date.now())).toBeLessThan(60_000);
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
  }, 60_000);
});
