/**
 * Secrets in the real daemon: the master key at start (a generated development
 * key file, a production start refused without a key), `picloud secrets` over
 * HTTP with the value on stdin, a script reading the secret, and a key rotation
 * with PICLOUD_SECRET_KEY_PREVIOUS across restarts. No log line carries the value.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  ADMIN,
  adminCookie,
  type DaemonProcess,
  loginAsAdmin,
  loopbackFetch,
  runCli,
  startDaemonProcess,
} from "../src/testing/daemon.js";
import { createPostgresDatabase, testDbKinds } from "../src/testing/database.js";

const VALUE = "whsec_daemon-test-value-0123456789";
const READER = `export default { async fetch(req, env) {
  try { const v = await env.secrets.get("API_KEY"); return Response.json({ length: v === null ? null : v.length, matches: v === ${JSON.stringify(VALUE)} }); }
  catch (e) { return Response.json({ error: e.message }); }
} }`;

async function deployReader(daemon: DaemonProcess): Promise<void> {
  const res = await fetch(`${daemon.url}/api/v1/admin/apps/default/deploy`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie: await adminCookie(daemon.url) },
    body: JSON.stringify({ scripts: [{ name: "reader", source: READER, routes: [{ path: "/secret" }] }] }),
  });
  expect(res.status).toBe(200);
}

const readSecret = async (daemon: DaemonProcess) =>
  (await loopbackFetch(`${daemon.appUrl()}/secret`)).json() as Promise<Record<string, unknown>>;

describe("a production start without PICLOUD_SECRET_KEY", () => {
  it("is refused with a message saying how to make a key", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "picloud-prod-"));
    try {
      const res = await runCli(["start"], {
        PICLOUD_DATA_DIR: dataDir,
        PICLOUD_PORT: "0",
        PICLOUD_ENV: "production",
      });
      expect(res.code).toBe(2);
      expect(res.stderr).toContain("PICLOUD_SECRET_KEY is required in production");
      expect(res.stderr).toContain("openssl rand -base64 32");
      expect(existsSync(path.join(dataDir, "secret.key"))).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("a development key file that is not a key", () => {
  it("stops the start with a message naming the file", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "picloud-badkey-"));
    try {
      writeFileSync(path.join(dataDir, "secret.key"), "not a key\n");
      const res = await runCli(["start"], { PICLOUD_DATA_DIR: dataDir, PICLOUD_PORT: "0" });
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(`${path.join(dataDir, "secret.key")}: must hold base64 of 32 bytes`);
      expect(res.stderr).not.toContain("not a key");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe.each(testDbKinds())("secrets against a running daemon [%s]", (kind) => {
  const work = mkdtempSync(path.join(os.tmpdir(), "picloud-secrets-"));
  let daemon: DaemonProcess | undefined;
  let dropDb = async () => {};
  let dbEnv: Record<string, string> = {};
  afterAll(async () => {
    await daemon?.stop();
    await dropDb();
    rmSync(work, { recursive: true, force: true });
  });
  const start = async (dataDir: string, env: Record<string, string> = {}) => {
    mkdirSync(dataDir, { recursive: true });
    daemon = await startDaemonProcess(
      { ...ADMIN, ...dbEnv, PICLOUD_DEPLOY_ON_START: "off", ...env },
      { dataDir },
    );
    return daemon;
  };
  const stop = async () => {
    expect(await daemon!.stop()).toBe(0);
    daemon = undefined;
  };
  const noValueIn = (d: DaemonProcess) => expect([...d.logs, ...d.stderr].join("\n")).not.toContain(VALUE);

  it("generates a development key, sets secrets from stdin with the CLI, and keeps them across restarts", {
    timeout: 120_000,
  }, async () => {
    if (kind === "postgres") {
      const db = await createPostgresDatabase();
      dropDb = db.drop;
      dbEnv = { DATABASE_URL: db.url };
    }
    const dataDir = path.join(work, "dev");
    let d = await start(dataDir);
    const keyFile = path.join(dataDir, "secret.key");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(await d.waitForLog(/generated a development key file/)).toContain('"level":40');
    const env = { PICLOUD_CONFIG_DIR: path.join(work, "config"), PICLOUD_URL: d.url };
    await loginAsAdmin(env);

    const put = await runCli(["secrets", "put", "API_KEY"], env, `${VALUE}\n`);
    expect([put.code, put.stdout.trim()]).toEqual([0, "Secret API_KEY set (new)"]);
    const again = await runCli(["secrets", "put", "API_KEY"], env, VALUE);
    expect(again.stdout.trim()).toBe("Secret API_KEY set (replaced)");
    const asArgument = await runCli(["secrets", "put", "OTHER", VALUE], env);
    expect(asArgument.code).toBe(2);
    expect(asArgument.stderr).toContain("never an argument");
    const empty = await runCli(["secrets", "put", "OTHER"], env, "");
    expect([empty.code, empty.stderr]).toEqual([1, expect.stringContaining("no value given for OTHER")]);
    const badName = await runCli(["secrets", "put", "9LIVES"], env, "x");
    expect(badName.stderr).toContain("secret name");

    const table = (await runCli(["secrets", "ls"], env)).stdout.trim().split("\n");
    expect(table[0]).toMatch(/^NAME\s+CREATEDAT\s+UPDATEDAT$/);
    expect(table.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(["API_KEY"]);
    const json = JSON.parse((await runCli(["secrets", "ls", "-o", "json"], env)).stdout);
    expect(json).toEqual([{ name: "API_KEY", createdAt: expect.any(String), updatedAt: expect.any(String) }]);

    await deployReader(d);
    expect(await readSecret(d)).toEqual({ length: VALUE.length, matches: true });
    noValueIn(d);
    await stop();

    // The next start finds the key file and reads the same secrets.
    d = await start(dataDir);
    await d.waitForLog(/using the development key file/);
    expect(await readSecret(d)).toEqual({ length: VALUE.length, matches: true });
    const env2 = { ...env, PICLOUD_URL: d.url };
    await loginAsAdmin(env2); // the stored credentials are per URL, and the port changed
    const rm = await runCli(["secrets", "rm", "API_KEY"], env2);
    expect([rm.code, rm.stdout.trim(), rm.stderr]).toEqual([0, "Removed secret API_KEY", ""]);
    expect(await readSecret(d)).toEqual({ length: null, matches: false });
    noValueIn(d);
    await stop();
  });

  it("rotates the master key: restart with the new key and the previous one, then with the new key alone", {
    timeout: 120_000,
  }, async () => {
    if (kind === "postgres") {
      await dropDb();
      const db = await createPostgresDatabase();
      dropDb = db.drop;
      dbEnv = { DATABASE_URL: db.url };
    }
    const dataDir = path.join(work, "rotate");
    const oldKey = randomBytes(32).toString("base64");
    const newKey = randomBytes(32).toString("base64");
    let d = await start(dataDir, { PICLOUD_SECRET_KEY: oldKey });
    expect(existsSync(path.join(dataDir, "secret.key"))).toBe(false);
    const env = { PICLOUD_CONFIG_DIR: path.join(work, "config-rotate"), PICLOUD_URL: d.url };
    await loginAsAdmin(env);
    expect((await runCli(["secrets", "put", "API_KEY"], env, VALUE)).code).toBe(0);
    await deployReader(d);
    await stop();

    d = await start(dataDir, { PICLOUD_SECRET_KEY: newKey, PICLOUD_SECRET_KEY_PREVIOUS: oldKey });
    const rotated = JSON.parse(await d.waitForLog(/secrets re-encrypted under the current master key/));
    expect(rotated.secrets).toEqual({ reencrypted: 1, unreadable: 0, remaining: 0 });
    expect(await readSecret(d)).toEqual({ length: VALUE.length, matches: true });
    // The CLI asks the running daemon to do it again: nothing left.
    const env2 = { ...env, PICLOUD_URL: d.url };
    await loginAsAdmin(env2);
    const check = await runCli(["admin", "rotate-secret-key"], env2);
    expect([check.code, check.stdout.trim().split("\n")[1]]).toEqual([
      0,
      "Nothing is left under the previous key: remove PICLOUD_SECRET_KEY_PREVIOUS and restart.",
    ]);
    await stop();

    d = await start(dataDir, { PICLOUD_SECRET_KEY: newKey });
    expect(await readSecret(d)).toEqual({ length: VALUE.length, matches: true });
    await stop();

    // The old key alone opens nothing any more, and says so without the value.
    d = await start(dataDir, { PICLOUD_SECRET_KEY: oldKey });
    await d.waitForLog(/not under the current master key/);
    const env3 = { ...env, PICLOUD_URL: d.url };
    await loginAsAdmin(env3);
    const stuck = await runCli(["admin", "rotate-secret-key"], env3);
    expect(stuck.code).toBe(1);
    expect(stuck.stderr).toContain("1 value(s) are under a key the daemon does not have");
    expect(await readSecret(d)).toEqual({
      error: "secret API_KEY cannot be read: it was encrypted under a master key this instance does not have",
    });
    noValueIn(d);
    await stop();
  });
});
