/**
 * The CLI verbs of issue 15 through the real CLI against a real daemon: kv,
 * docs (with the filter language), apps domains, apps members, version. Each
 * prints JSON with --output json; bad input is a clear message and a non-zero exit.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN,
  adminCookie,
  type DaemonProcess,
  loginAsAdmin,
  runCli,
  startDaemonProcess,
} from "../src/testing/daemon.js";

describe("picloud kv, docs, apps domains, apps members, version", () => {
  let daemon: DaemonProcess;
  const root = mkdtempSync(path.join(os.tmpdir(), "picloud-verbs-"));
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, env, undefined, { cwd: root });
  const json = async (...args: string[]) => {
    const r = await cli(...args, "-o", "json");
    if (r.code !== 0) throw new Error(`picloud ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  beforeAll(async () => {
    daemon = await startDaemonProcess({ ...ADMIN });
    env = { PICLOUD_CONFIG_DIR: path.join(root, "config"), PICLOUD_URL: daemon.url };
    await loginAsAdmin(env);
  });
  afterAll(async () => {
    await daemon?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("kv: put, get, ls, rm, with keys holding slashes and values of every JSON kind", async () => {
    expect((await cli("kv", "put", "carts", "user/1", '{"items":[1,2]}')).stdout).toBe("Set carts/user/1\n");
    await cli("kv", "put", "carts", "user/2", "null");
    writeFileSync(path.join(root, "v.json"), '"from a file"');
    await cli("kv", "put", "carts", "other", "@v.json", "--ttl", "3600");

    const got = await cli("kv", "get", "carts", "user/1");
    expect(JSON.parse(got.stdout)).toEqual({ items: [1, 2] });
    expect(await json("kv", "get", "carts", "user/2")).toEqual({
      collection: "carts",
      key: "user/2",
      value: null,
    });
    expect((await json("kv", "get", "carts", "other")).value).toBe("from a file");

    const listed = await json("kv", "ls", "carts", "--prefix", "user/");
    expect(listed).toEqual([
      { key: "user/1", value: { items: [1, 2] } },
      { key: "user/2", value: null },
    ]);
    const table = await cli("kv", "ls", "carts");
    expect(table.stdout.split("\n")[0]).toMatch(/^KEY\s+VALUE$/);

    expect(await json("kv", "rm", "carts", "user/1")).toEqual({ removed: "user/1" });
    const gone = await cli("kv", "get", "carts", "user/1");
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("404 key user/1 not found");
  });

  it("kv: bad input is refused with the reason and a non-zero exit", async () => {
    const notJson = await cli("kv", "put", "carts", "k", "{broken");
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain("the value is not JSON");
    const badTtl = await cli("kv", "put", "carts", "k", "1", "--ttl", "soon");
    expect(badTtl.code).toBe(2);
    expect(badTtl.stderr).toContain('--ttl must be a whole number ≥ 1, not "soon"');
    const missing = await cli("kv", "get", "carts");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("usage: picloud kv");
    const longKey = await cli("kv", "put", "carts", "k".repeat(600), "1");
    expect(longKey.code).toBe(1);
    expect(longKey.stderr).toContain("key is longer than 512 characters");
    const ghost = await cli("kv", "ls", "carts", "--app", "ghost");
    expect(ghost.stderr).toContain("404 app ghost not found");
  });

  it("docs: put (insert, replace, merge), get, find with the filter language, rm", async () => {
    const a = await json("docs", "put", "posts", '{"title":"A","status":"draft","views":5}');
    const b = await json("docs", "put", "posts", '{"title":"B","status":"published","views":50}');
    await json("docs", "put", "posts", '{"title":"C","status":"published","views":7}');
    expect(a.data).toEqual({ title: "A", status: "draft", views: 5 });

    const found = await json("docs", "find", "posts", '{"status":"published","views":{"$gt":10}}');
    expect(found.items.map((d: { id: string }) => d.id)).toEqual([b.id]);
    const sorted = await json("docs", "find", "posts", "{}", "--sort", '{"views":-1}', "--limit", "2");
    expect(sorted.items.map((d: { data: { title: string } }) => d.data.title)).toEqual(["B", "C"]);
    expect(sorted.cursor).toEqual(expect.any(String));

    const merged = await json("docs", "put", "posts", '{"views":6}', "--id", a.id, "--merge");
    expect(merged.data).toEqual({ title: "A", status: "draft", views: 6 });
    const replaced = await json("docs", "put", "posts", '{"title":"A2"}', "--id", a.id);
    expect(replaced.data).toEqual({ title: "A2" });
    expect(JSON.parse((await cli("docs", "get", "posts", a.id)).stdout)).toEqual({ title: "A2" });

    expect((await cli("docs", "rm", "posts", a.id)).stdout).toBe(`Removed posts/${a.id}\n`);
    const gone = await cli("docs", "get", "posts", a.id);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`404 document ${a.id} not found`);
  });

  it("docs: a bad filter names the operator; other bad input is refused", async () => {
    const badOp = await cli("docs", "find", "posts", '{"views":{"$gte":1,"$near":2}}');
    expect(badOp.code).toBe(1);
    expect(badOp.stderr).toContain("400");
    expect(badOp.stderr).toContain("$near");
    const notObject = await cli("docs", "put", "posts", "[1,2]");
    expect(notObject.code).toBe(1);
    expect(notObject.stderr).toContain("data must be a JSON object");
    const mergeWithoutId = await cli("docs", "put", "posts", "{}", "--merge");
    expect(mergeWithoutId.code).toBe(2);
    expect(mergeWithoutId.stderr).toContain("--merge needs --id");
  });

  it("apps domains: add, ls, rm; a bad hostname is refused", async () => {
    const added = await json("apps", "domains", "add", "blog.example.com");
    expect(added).toMatchObject({ hostname: "blog.example.com" });
    expect((await json("apps", "domains", "ls")).map((d: { hostname: string }) => d.hostname)).toEqual([
      "blog.example.com",
    ]);
    expect((await cli("apps", "domains", "rm", "blog.example.com")).stdout).toBe(
      "Removed domain blog.example.com\n",
    );
    expect(await json("apps", "domains", "ls")).toEqual([]);
    const bad = await cli("apps", "domains", "add", "not a host");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("400");
    const missing = await cli("apps", "domains", "rm", "nowhere.example.com");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("404 domain not found");
  });

  it("apps members: add, set, ls, rm by e-mail; bad roles and strangers are refused", async () => {
    const cookie = await adminCookie(daemon.url);
    const created = await fetch(`${daemon.url}/api/v1/admin/users`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie, origin: daemon.url },
      body: JSON.stringify({ email: "ann@example.com", password: "ann password 123", role: "member" }),
    });
    expect(created.status).toBe(201);

    expect((await cli("apps", "members", "add", "ann@example.com", "--role", "viewer")).stdout).toBe(
      "Added ann@example.com as viewer\n",
    );
    expect(await json("apps", "members", "set", "ann@example.com", "--role", "editor")).toMatchObject({
      email: "ann@example.com",
      role: "editor",
    });
    expect(
      (await json("apps", "members", "ls")).map((m: { email: string; role: string }) => [m.email, m.role]),
    ).toEqual([["ann@example.com", "editor"]]);
    const badRole = await cli("apps", "members", "set", "ann@example.com", "--role", "boss");
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain("--role must be one of viewer, editor, app_admin");
    const stranger = await cli("apps", "members", "rm", "bob@example.com");
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toContain("bob@example.com is not a member of this app");
    expect((await cli("apps", "members", "rm", "ann@example.com")).stdout).toBe(
      "Removed ann@example.com from the app\n",
    );
    expect(await json("apps", "members", "ls")).toEqual([]);
  });

  it("version: the CLI's version, without credentials, also as --version", async () => {
    const v = await runCli(["version", "-o", "json"], {});
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ picloud: "0.1.0", node: process.version });
    expect((await runCli(["--version"], {})).stdout).toMatch(/^picloud 0\.1\.0 \(node v\d+/);
  });
});
