/**
 * Whole-daemon tests: `picloud start` runs as a child process on a free port and
 * is driven over real HTTP and through the real CLI, on PGlite and PostgreSQL.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ADMIN,
  type DaemonProcess,
  loginAsAdmin,
  runCli,
  startDaemonProcess,
} from "../src/testing/daemon.js";
import { createPostgresDatabase, testDbKinds } from "../src/testing/database.js";

async function databaseEnv(kind: string): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (kind === "pglite") return { env: {}, drop: async () => {} };
  const db = await createPostgresDatabase();
  return { env: { DATABASE_URL: db.url }, drop: db.drop };
}

describe.each(testDbKinds())("the daemon as a user runs it [%s]", (kind) => {
  let daemon: DaemonProcess | undefined;
  let dropDb = async () => {};
  const configDir = mkdtempSync(path.join(os.tmpdir(), "picloud-cli-"));
  afterAll(async () => {
    await daemon?.stop();
    await dropDb();
    rmSync(configDir, { recursive: true, force: true });
  });

  it("starts, answers health checks, and serves the admin API to a real client", async () => {
    const db = await databaseEnv(kind);
    dropDb = db.drop;
    daemon = await startDaemonProcess({ ...ADMIN, ...db.env });
    expect(daemon.logs.some((l) => l.includes("owner account created"))).toBe(true);
    const base = daemon.url;
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: "ok" });
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: "ready", database: kind });

    const login = await fetch(`${base}/api/v1/admin/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: ADMIN.PICLOUD_ADMIN_EMAIL, password: ADMIN.PICLOUD_ADMIN_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
    const minted = await fetch(`${base}/api/v1/admin/api-keys`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie },
      body: JSON.stringify({ name: "deploy", scopes: ["app:admin", "script:write"] }),
    });
    expect(minted.status).toBe(201);
    const { token } = (await minted.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const created = await fetch(`${base}/api/v1/admin/apps`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ name: "Blog" }),
    });
    expect(created.status).toBe(201);
    const listed = (await (await fetch(`${base}/api/v1/admin/apps`, { headers: auth })).json()) as {
      apps: { slug: string }[];
    };
    expect(listed.apps.map((a) => a.slug)).toEqual(["blog", "default"]);
  });

  it("is driven by the picloud CLI: login, whoami, apps, api-keys, logout", async () => {
    const env = { PICLOUD_CONFIG_DIR: configDir, PICLOUD_URL: daemon!.url };
    const login = await loginAsAdmin(env);
    expect(login.stderr).toBe("");
    expect(login.code).toBe(0);
    expect(login.stdout).toContain("Logged in");
    expect(statSync(path.join(configDir, "credentials.json")).mode & 0o777).toBe(0o600);

    const who = await runCli(["whoami", "--output", "json"], env);
    expect(JSON.parse(who.stdout)).toMatchObject({
      email: "owner@example.com",
      role: "owner",
      via: "session",
    });

    expect((await runCli(["apps", "create", "Shop", "--slug", "shop"], env)).stdout).toContain(
      "Created app shop",
    );
    const apps = await runCli(["apps", "ls", "--output", "json"], env);
    expect(JSON.parse(apps.stdout).map((a: { slug: string }) => a.slug)).toEqual(["blog", "default", "shop"]);
    const table = await runCli(["apps", "ls"], env);
    expect(table.stdout.split("\n")[0]).toMatch(/^SLUG\s+NAME\s+ROLE\s+ID$/);

    const mint = await runCli(["api-keys", "mint", "ci", "--scope", "app:read", "--app", "shop"], env);
    expect(mint.code).toBe(0);
    const token = mint.stdout.trim();
    expect(token).toMatch(/^pic_/);
    expect(mint.stderr).toContain("shown only once");
    const keys = JSON.parse((await runCli(["api-keys", "ls", "-o", "json"], env)).stdout);
    expect(keys.map((k: { name: string }) => k.name)).toEqual(["deploy", "ci"]);

    // PICLOUD_TOKEN overrides the stored session: the bound key sees only its app.
    const scoped = await runCli(["apps", "ls", "-o", "json"], { ...env, PICLOUD_TOKEN: token });
    expect(JSON.parse(scoped.stdout).map((a: { slug: string }) => a.slug)).toEqual(["shop"]);

    const missing = await runCli(["apps", "show", "nope"], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("404 app nope not found");

    const refused = await runCli(["apps", "create", "Again", "--slug", "shop"], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('409 an app with slug "shop" already exists');

    const token2 = (
      await runCli(["api-keys", "mint", "events", "--scope", "script:write", "--scope", "app:admin"], env)
    ).stdout.trim();
    const rm = await runCli(["api-keys", "rm", keys[1].id], env);
    expect(rm.code).toBe(0);
    const revoked = await runCli(["apps", "ls"], { ...env, PICLOUD_TOKEN: token });
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toContain("401");

    // Events commands: add a trigger to a deployed script, list it, list (no) dead letters.
    await runCli(["apps", "create", "Events", "--slug", "events"], env);
    const deployed = await fetch(`${daemon!.url}/api/v1/admin/apps/events/deploy`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token2}` },
      body: JSON.stringify({ scripts: [{ name: "audit", source: "export default { trigger() {} }" }] }),
    });
    expect(deployed.status).toBe(200);
    const added = await runCli(
      [
        "triggers",
        "add",
        "audit",
        "--kind",
        "kv",
        "--collection",
        "orders*",
        "--ops",
        "insert,update",
        "--app",
        "events",
      ],
      env,
    );
    expect(added.stdout).toMatch(
      /^Added kv trigger [0-9a-f-]+ → audit \(collection=orders\* ops=insert,update\)/,
    );
    const triggers = JSON.parse(
      (await runCli(["triggers", "ls", "--app", "events", "-o", "json"], env)).stdout,
    );
    expect(triggers).toEqual([expect.objectContaining({ kind: "kv", scriptName: "audit", enabled: true })]);
    // Topics commands: set (create, then change), list, remove; a bad name is refused.
    expect(
      (
        await runCli(
          ["topics", "set", "rooms/lobby", "--external", "--auth", "public", "--app", "events"],
          env,
        )
      ).stdout,
    ).toBe("Topic rooms/lobby: external (browsers may subscribe), auth public\n");
    expect((await runCli(["topics", "set", "rooms/lobby", "--app", "events"], env)).stdout).toBe(
      "Topic rooms/lobby: internal, auth token\n",
    );
    const topics = JSON.parse((await runCli(["topics", "ls", "--app", "events", "-o", "json"], env)).stdout);
    expect(topics).toEqual([
      expect.objectContaining({ name: "rooms/lobby", external: false, auth: "token" }),
    ]);
    const badTopic = await runCli(["topics", "set", "../up", "--app", "events"], env);
    expect(badTopic.code).toBe(1);
    expect((await runCli(["topics", "rm", "rooms/lobby", "--app", "events"], env)).stdout).toBe(
      "Removed topic rooms/lobby\n",
    );
    expect(JSON.parse((await runCli(["topics", "ls", "--app", "events", "-o", "json"], env)).stdout)).toEqual(
      [],
    );

    const dls = await runCli(["dead-letters", "ls", "--app", "events"], env);
    expect(dls.stdout.trim()).toBe("(none)");
    expect(dls.stderr).toContain("0 unresolved");

    expect((await runCli(["logout"], env)).stdout).toContain("Logged out");
    const after = await runCli(["whoami"], env);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain("not logged in: run picloud login");
  });

  it("logs in with --token and rejects a bad one", async () => {
    const env = { PICLOUD_CONFIG_DIR: configDir, PICLOUD_URL: daemon!.url };
    const bad = await runCli(["login", "--token", "pic_nonsense"], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("401");
  });

  it("shuts down gracefully on SIGTERM with exit code 0", async () => {
    const code = await daemon!.stop("SIGTERM");
    expect(code).toBe(0);
    expect(daemon!.logs.some((l) => l.includes('"stopped"'))).toBe(true);
    daemon = undefined;
  });
});

describe("first start without admin credentials", () => {
  it("prints a one-time setup URL that creates the owner, and keeps data across restarts", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "picloud-setup-"));
    try {
      let daemon = await startDaemonProcess({}, { dataDir });
      const line = await daemon.waitForLog(/PiCloud setup: /);
      const url = new URL(line.split("PiCloud setup: ")[1]!.trim());
      expect(url.pathname).toBe("/admin/setup");
      const page = await fetch(`${daemon.url}${url.pathname}${url.search}`);
      // The dashboard's first-run page (the plain setup page when the dashboard is not built).
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toContain("text/html");
      const setup = await fetch(`${daemon.url}/api/v1/admin/auth/setup`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          token: url.searchParams.get("token"),
          email: "first@example.com",
          password: "first password 1",
        }),
      });
      expect(setup.status).toBe(201);
      expect(await daemon.stop()).toBe(0);

      daemon = await startDaemonProcess({}, { dataDir });
      expect(daemon.stderr.join("\n")).not.toContain("PiCloud setup:");
      const login = await fetch(`${daemon.url}/api/v1/admin/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "first@example.com", password: "first password 1" }),
      });
      expect(login.status).toBe(200);
      expect(await daemon.stop()).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    // Two daemon starts: on a loaded 2-core machine they alone can take more than the default 30 s.
  }, 120_000);

  it("refuses to start with a bad setting, naming the variable", async () => {
    const { code, stderr } = await runCli(["start"], { PICLOUD_PORT: "eighty" });
    expect(code).toBe(2);
    expect(stderr).toContain('PICLOUD_PORT="eighty": must be a whole number');
  });
});
