/**
 * The CLI as a new user meets it (issue 15 papercuts), through the real CLI
 * against a real daemon: what it says without credentials or with an expired
 * session, an unknown --app, a dry run that plans exactly what the deploy does,
 * a route listed twice, and `scripts ls` with several routes.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN,
  type DaemonProcess,
  loginAsAdmin,
  runCli,
  startDaemonProcess,
} from "../src/testing/daemon.js";

/** A project using every part of picloud.toml that a deploy reconciles. */
const FULL_PROJECT = `
name = "planned"

[vars]
TITLE = "Planned"
MODE = "test"

[[scripts]]
name = "lib/text"
kind = "module"
main = "src/text.ts"

[[scripts]]
name = "api"
main = "src/api.ts"
routes = ["GET /posts", "POST /posts", { route = "POST /jobs", dispatch = "async" }]
crons = ["0 7 * * *"]
triggers = [{ kind = "kv", collection = "carts*", ops = ["insert"] }, { kind = "pubsub", topic = "orders.*" }]

[[scripts]]
name = "inbox"
main = "src/inbox.ts"

[[topics]]
name = "comments"
external = true
auth = "public"

[email]
senders = ["noreply@planned.example.com"]
addresses = ["support@planned.example.com"]
handler = "inbox"
`;

function writeProject(dir: string, toml: string): void {
  mkdirSync(path.join(dir, "src"), { recursive: true });
  writeFileSync(path.join(dir, "picloud.toml"), toml);
  writeFileSync(path.join(dir, "src/text.ts"), "export const shout = (s: string) => s.toUpperCase();\n");
  writeFileSync(
    path.join(dir, "src/api.ts"),
    'import { shout } from "lib/text";\nexport default { fetch() { return new Response(shout("ok")); }, scheduled() {}, trigger() {} };\n',
  );
  writeFileSync(path.join(dir, "src/inbox.ts"), "export default { email() {} };\n");
}

describe("the CLI for a new user", () => {
  let daemon: DaemonProcess;
  const root = mkdtempSync(path.join(os.tmpdir(), "picloud-papercuts-"));
  const configDir = path.join(root, "config");
  let env: Record<string, string>;
  beforeAll(async () => {
    daemon = await startDaemonProcess({ ...ADMIN });
    env = { PICLOUD_CONFIG_DIR: configDir, PICLOUD_URL: daemon.url };
    await loginAsAdmin(env);
  });
  afterAll(async () => {
    await daemon?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("says 'not logged in: run picloud login' when there are no credentials", async () => {
    const anon = await runCli(["apps", "ls"], { PICLOUD_CONFIG_DIR: path.join(root, "nobody") });
    expect(anon.code).toBe(1);
    expect(anon.stderr.trim()).toBe(
      "error: not logged in: run picloud login (or set PICLOUD_TOKEN to an API key; PICLOUD_URL to the instance)",
    );
  });

  it("hints at logging in again when the stored session has ended", async () => {
    const stored = JSON.parse(readFileSync(path.join(configDir, "credentials.json"), "utf8")) as {
      token: string;
    };
    // End the session on the server behind the CLI's back, as an expiry would.
    const out = await fetch(`${daemon.url}/api/v1/admin/auth/logout`, {
      method: "POST",
      headers: { cookie: `picloud_session=${stored.token}`, origin: daemon.url },
    });
    expect(out.status).toBeLessThan(300);
    const who = await runCli(["whoami"], env);
    expect(who.code).toBe(1);
    expect(who.stderr).toContain("401");
    expect(who.stderr).toContain("your session has expired or was ended: run picloud login again");
    await loginAsAdmin(env);
  });

  it("names the app that does not exist", async () => {
    const ghost = await runCli(["scripts", "ls", "--app", "ghost"], env);
    expect(ghost.code).toBe(1);
    expect(ghost.stderr.trim()).toBe("error: 404 app ghost not found");
  });

  it("plans in a dry run exactly the changes the deploy then makes, for a new app", async () => {
    const dir = path.join(root, "planned");
    writeProject(dir, FULL_PROJECT);
    const dry = await runCli(["deploy", "--dry-run", "-o", "json"], env, undefined, { cwd: dir });
    expect(dry.stderr).toBe("");
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout) as { dryRun: boolean; changes: { kind: string }[] };
    expect(plan.dryRun).toBe(true);
    // Nothing was made by the dry run.
    expect((await runCli(["apps", "show", "planned"], env)).code).toBe(1);

    const real = await runCli(["deploy", "-o", "json"], env, undefined, { cwd: dir });
    expect(real.code).toBe(0);
    const done = JSON.parse(real.stdout) as { dryRun: boolean; changes: { kind: string }[] };
    expect(done.dryRun).toBe(false);
    expect(plan.changes).toEqual(done.changes);
    // Every kind the file describes is in the plan, not only scripts and routes.
    expect(new Set(plan.changes.map((c) => c.kind))).toEqual(
      new Set(["app", "vars", "script", "route", "trigger", "topic", "email"]),
    );
    expect(JSON.stringify(plan.changes)).toContain("0 7 * * *");
  });

  it("lists a script's routes one per line", async () => {
    const ls = await runCli(["scripts", "ls", "--app", "planned"], env);
    expect(ls.code).toBe(0);
    const lines = ls.stdout.trimEnd().split("\n");
    const api = lines.findIndex((l) => l.startsWith("api "));
    // The first route shares the script's line; each further one is a line of its own.
    const routes = [lines[api]!.split(/\s{2,}/).pop(), lines[api + 1]!.trim(), lines[api + 2]!.trim()];
    expect(routes.sort()).toEqual(["GET /posts", "POST /jobs (async)", "POST /posts"]);
    expect(lines[api + 1]).toMatch(/^\s+\S/);
  });

  it("refuses a route listed twice for one script, saying which", async () => {
    const dir = path.join(root, "twice");
    mkdirSync(path.join(dir, "src"), { recursive: true });
    writeFileSync(
      path.join(dir, "src/api.ts"),
      'export default { fetch() { return new Response("ok"); } };\n',
    );
    writeFileSync(
      path.join(dir, "picloud.toml"),
      'name = "twice"\n[[scripts]]\nname = "api"\nmain = "src/api.ts"\nroutes = ["GET /posts", "GET /posts"]\n',
    );
    const res = await runCli(["deploy"], env, undefined, { cwd: dir });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("script api lists the route GET /posts twice");
    expect((await runCli(["apps", "show", "twice"], env)).code).toBe(1);
  });

  it("lists apps fetch-allow in --help", async () => {
    const help = await runCli(["--help"], env);
    expect(help.stdout).toContain("fetch-allow <app>");
  });
});
