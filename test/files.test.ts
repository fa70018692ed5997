/**
 * env.files in the real daemon: the `picloud files` CLI uploads, lists,
 * downloads and removes files over HTTP; a deployed script reads what the CLI
 * uploaded; the bytes sit under PICLOUD_DATA_DIR/files, never under their path;
 * the sweep at start removes what an interrupted write left.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { filesUnder } from "../src/bindings/files/test-disk.js";
import {
  ADMIN,
  type DaemonProcess,
  loginAsAdmin,
  loopbackFetch,
  runCli,
  startDaemonProcess,
} from "../src/testing/daemon.js";
import { createPostgresDatabase, testDbKinds } from "../src/testing/database.js";

describe.each(testDbKinds())("picloud files against a running daemon [%s]", (kind) => {
  let daemon: DaemonProcess | undefined;
  let dropDb = async () => {};
  const work = mkdtempSync(path.join(os.tmpdir(), "picloud-files-cli-"));
  afterAll(async () => {
    await daemon?.stop();
    await dropDb();
    rmSync(work, { recursive: true, force: true });
  });

  it("uploads, lists, downloads and removes files; scripts see them", async () => {
    let dbEnv: Record<string, string> = {};
    if (kind === "postgres") {
      const db = await createPostgresDatabase();
      dropDb = db.drop;
      dbEnv = { DATABASE_URL: db.url };
    }
    // A write interrupted two hours ago (a crash before the rename) left a temp file behind.
    const dataDir = path.join(work, "data");
    const stale = path.join(dataDir, "files", ".tmp", "interrupted.tmp");
    mkdirSync(path.dirname(stale), { recursive: true });
    writeFileSync(stale, "partial");
    const old = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(stale, old, old);
    daemon = await startDaemonProcess({ ...ADMIN, ...dbEnv, PICLOUD_MAX_FILE_BYTES: "2000000" }, { dataDir });
    // The files sweep runs at start.
    expect(JSON.parse(await daemon.waitForLog(/"files sweep"/))).toMatchObject({
      tempFiles: 1,
      orphanBlobs: 0,
    });
    expect(existsSync(stale)).toBe(false);
    const env = { PICLOUD_CONFIG_DIR: path.join(work, "config"), PICLOUD_URL: daemon.url };
    const login = await loginAsAdmin(env);
    expect(login.code, login.stderr).toBe(0);

    const hello = path.join(work, "hello.txt");
    writeFileSync(hello, "hello from the CLI\n");
    const binary = path.join(work, "all.bin");
    const all = Buffer.from(Array.from({ length: 1024 * 1024 + 256 }, (_, i) => i % 256)); // > the 1 MiB admin body limit
    writeFileSync(binary, all);

    const up = await runCli(["files", "put", hello, "docs/hello.txt"], env);
    expect([up.code, up.stdout.trim()]).toEqual([
      0,
      "Uploaded docs/hello.txt (19 B, text/plain; charset=utf-8) in default",
    ]);
    const again = await runCli(["files", "put", hello, "docs/hello.txt"], env);
    expect(again.stdout).toMatch(/^Replaced docs\/hello.txt/);
    const big = await runCli(
      ["files", "put", binary, "bin/all bytes.bin", "--content-type", "image/png"],
      env,
    );
    expect(big.stdout.trim()).toBe("Uploaded bin/all bytes.bin (1.0 MiB, image/png) in default");

    const table = (await runCli(["files", "ls"], env)).stdout.trim().split("\n");
    expect(table[0]).toMatch(/^PATH\s+BYTES\s+TYPE\s+UPDATED$/);
    expect(table.slice(1).map((l) => l.split(/\s{2,}/)[0])).toEqual(["bin/all bytes.bin", "docs/hello.txt"]);
    const json = JSON.parse(
      (await runCli(["files", "ls", "--prefix", "docs/", "--output", "json"], env)).stdout,
    );
    expect(json).toEqual([expect.objectContaining({ path: "docs/hello.txt", size: 19 })]);

    const cat = await runCli(["files", "get", "docs/hello.txt"], env);
    expect(cat.stdout).toBe("hello from the CLI\n");
    const saved = path.join(work, "back.bin");
    const get = await runCli(["files", "get", "bin/all bytes.bin", "-o", saved], env);
    expect(get.code, get.stderr).toBe(0);
    expect(readFileSync(saved).equals(all)).toBe(true);

    // A script in the same app reads what the CLI uploaded.
    const cookie = (
      await fetch(`${daemon.url}/api/v1/admin/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: ADMIN.PICLOUD_ADMIN_EMAIL, password: ADMIN.PICLOUD_ADMIN_PASSWORD }),
      })
    ).headers
      .getSetCookie()[0]!
      .split(";")[0]!;
    const source = `export default { async fetch(req, env) {
      const f = await env.files.get("docs/hello.txt");
      return new Response(f.body, { headers: { "content-type": f.contentType, etag: f.etag } }); } }`;
    const deployed = await fetch(`${daemon.url}/api/v1/admin/apps/default/deploy`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie },
      body: JSON.stringify({ scripts: [{ name: "reader", source, routes: [{ path: "/hello" }] }] }),
    });
    expect(deployed.status).toBe(200);
    const served = await loopbackFetch(`${daemon.appUrl()}/hello`);
    expect([served.status, await served.text()]).toEqual([200, "hello from the CLI\n"]);

    // On disk: keys under files/<app id>/, never the paths.
    const onDisk = filesUnder(path.join(daemon.dataDir, "files"));
    expect(onDisk).toHaveLength(2);
    expect(onDisk.join("\n")).not.toMatch(/hello|all bytes/);

    const refused = await runCli(["files", "put", hello, "../escape.txt"], env);
    expect([refused.code, refused.stderr.trim()]).toEqual([1, "error: path must not contain .. segments"]);
    const absolute = await runCli(["files", "put", hello, "/etc/passwd"], env);
    expect([absolute.code, absolute.stderr.trim()]).toEqual([
      1,
      "error: 400 path must be relative (no leading /)",
    ]);

    expect((await runCli(["files", "rm", "docs/hello.txt"], env)).stdout.trim()).toBe(
      "Removed docs/hello.txt from default",
    );
    const gone = await runCli(["files", "get", "docs/hello.txt"], env);
    expect([gone.code, gone.stderr.trim()]).toEqual([1, "error: 404 file not found"]);
    expect(filesUnder(path.join(daemon.dataDir, "files"))).toHaveLength(1);
  });
});
