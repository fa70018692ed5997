/**
 * The Hono example (examples/hono-app), an unmodified Hono app, deployed with
 * `picloud deploy` to a real daemon and driven over real HTTP and the real CLI:
 * deploy, idempotent redeploy, dry runs, invoke, logs, scripts, tail.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childProcessEnv } from "../src/config/testing.js";
import {
  ADMIN,
  CLI_ENTRY,
  type DaemonProcess,
  loginAsAdmin,
  REPO_ROOT,
  runCli,
  startDaemonProcess,
} from "../src/testing/daemon.js";
import { createPostgresDatabase, testDbKinds } from "../src/testing/database.js";

const EXAMPLE = path.join(REPO_ROOT, "examples/hono-app");
const HOST = "hono-example.localhost";
/** An open tail stream holds a graceful stop until the shutdown timeout: keep it short here. */
const QUICK_STOP = { PICLOUD_DEPLOY_ON_START: "off", PICLOUD_SHUTDOWN_TIMEOUT_MS: "1000" };

async function http(
  base: string,
  method: string,
  pathname: string,
  opts: { body?: string; headers?: Record<string, string>; host?: string } = {},
) {
  const res = await request(`${base}${pathname}`, {
    method: method as "GET",
    headers: { host: opts.host ?? HOST, ...opts.headers },
    body: opts.body,
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

/** A CLI process that keeps running (tail), with its output so far and a way to wait for a line. */
function spawnCli(args: string[], env: Record<string, string>, cwd: string) {
  const child: ChildProcess = spawn(process.execPath, [CLI_ENTRY, ...args], {
    cwd,
    env: { ...childProcessEnv(), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out = { stdout: "", stderr: "" };
  child.stdout!.on("data", (d) => {
    out.stdout += d;
  });
  child.stderr!.on("data", (d) => {
    out.stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  /** Waits until `pattern` shows in `stream`, looking only at what came after character `from`. */
  const waitFor = async (stream: "stdout" | "stderr", pattern: RegExp, from = 0, timeoutMs = 20_000) => {
    const until = Date.now() + timeoutMs;
    while (!pattern.test(out[stream].slice(from))) {
      if (Date.now() > until || child.exitCode !== null)
        throw new Error(`no ${pattern} in ${stream}:\n${out.stdout}\n--- stderr:\n${out.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, out, exited, waitFor };
}

describe.each(testDbKinds())("the Hono example, deployed with picloud deploy [%s]", (kind) => {
  let daemon: DaemonProcess | undefined;
  let dropDb = async () => {};
  let dbEnv: Record<string, string> = {};
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "picloud-hono-"));
  const configDir = mkdtempSync(path.join(os.tmpdir(), "picloud-hono-cli-"));
  let env: Record<string, string>;
  const cli = (args: string[], cwd = EXAMPLE) => runCli(args, env, undefined, { cwd });

  beforeAll(async () => {
    if (kind === "postgres") {
      const db = await createPostgresDatabase();
      dropDb = db.drop;
      dbEnv = { DATABASE_URL: db.url };
    }
    daemon = await startDaemonProcess({ ...ADMIN, ...dbEnv, ...QUICK_STOP }, { dataDir });
    env = { PICLOUD_CONFIG_DIR: configDir, PICLOUD_URL: daemon.url };
    await loginAsAdmin(env);
  }, 90_000);
  afterAll(async () => {
    await daemon?.stop();
    await dropDb();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
  });

  it("deploys the example from its directory, creating the app", async () => {
    const { code, stdout, stderr } = await cli(["deploy"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Bundled api \d+\.\d KiB$/m);
    expect(stdout.split("\n").slice(1)).toEqual([
      "+ app hono-example",
      "~ vars (+APP_TITLE)",
      "+ script api (handler, version 1)",
      "+ route * /* (api)",
      "Deployed app hono-example: 4 changes.",
      "",
    ]);
  });

  it("serves the Hono routes over real HTTP: params, query, JSON bodies, headers, status codes, 404", async () => {
    const base = daemon!.url;
    const cases: [string, string, { body?: string; headers?: Record<string, string> }, number, unknown][] = [
      ["GET", "/books/2", {}, 200, { id: 2, title: "Kindred", author: "Octavia E. Butler" }],
      ["GET", "/books/9", {}, 404, { error: "no book 9" }],
      [
        "GET",
        "/search?q=KIN&limit=5&tag=a&tag=b",
        {},
        200,
        {
          q: "kin",
          limit: 5,
          tags: ["a", "b"],
          hits: [{ id: 2, title: "Kindred", author: "Octavia E. Butler" }],
        },
      ],
      [
        "POST",
        "/books",
        {
          body: JSON.stringify({ title: "Dune", author: "Frank Herbert" }),
          headers: { "content-type": "application/json" },
        },
        201,
        { id: 4, title: "Dune", author: "Frank Herbert" },
      ],
      [
        "POST",
        "/books",
        { body: "not json", headers: { "content-type": "application/json" } },
        400,
        { error: "send {title, author} as JSON" },
      ],
      [
        "GET",
        "/headers",
        { headers: { "user-agent": "hono-test/1.0", "x-request-id": "req-42" } },
        200,
        { userAgent: "hono-test/1.0", requestId: "req-42" },
      ],
      ["GET", "/boom", {}, 500, { error: "something broke" }],
      ["GET", "/no/such/page", {}, 404, { error: "not found", path: "/no/such/page" }],
    ];
    for (const [method, url, opts, status, json] of cases) {
      const res = await http(base, method, url, opts);
      expect({ method, url, status: res.status, json: res.json }).toEqual({ method, url, status, json });
    }

    const home = await http(base, "GET", "/");
    expect(home.status).toBe(200);
    expect(home.headers["content-type"]).toMatch(/^text\/plain/);
    expect(home.text).toBe("Hono on PiCloud: try /books, /books/1, /search?q=kin or POST /books");

    const created = await http(base, "POST", "/books", {
      body: JSON.stringify({ title: "Ubik", author: "Philip K. Dick" }),
      headers: { "content-type": "application/json" },
    });
    expect(created.headers.location).toBe("/books/4");

    const headers = await http(base, "GET", "/headers");
    expect(headers.headers["x-powered-by"]).toBe("hono-on-picloud");
    expect(headers.headers["cache-control"]).toBe("no-store");
    expect(headers.headers["x-picloud-execution-id"]).toMatch(/^[0-9a-f-]{36}$/);

    const teapot = await http(base, "GET", "/teapot");
    expect([teapot.status, teapot.text]).toEqual([418, "I'm a teapot"]);

    // Other hosts are other apps: the default app has no routes, and the admin host serves no app.
    const other = await http(base, "GET", "/books/2", { host: "default.localhost" });
    expect(other.status).toBe(404);
    expect(other.json).toEqual({ error: "no route for GET /books/2" });
    const admin = await http(base, "GET", "/books/2", { host: "127.0.0.1" });
    expect(admin.status).toBe(404);
    expect((admin.json as { error: { message: string } }).error.message).toContain("admin host");
  });

  it("deploying again changes nothing, and a dry run says so too", async () => {
    const again = await cli(["deploy"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/No changes: app hono-example is up to date\.\n$/);

    const dry = await cli(["deploy", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/No changes: app hono-example is up to date\.\n$/);

    const json = await cli(["deploy", "--output", "json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      app: { slug: "hono-example", created: false },
      dryRun: false,
      changes: [],
    });
  });

  it("a dry run of an edited picloud.toml shows the plan and changes nothing", async () => {
    // Next to the example so `main` and node_modules resolve the same way.
    const edited = path.join(EXAMPLE, `.picloud-test-${process.pid}-${kind}.toml`);
    writeFileSync(
      edited,
      [
        'name = "hono-example"',
        "[vars]",
        'APP_TITLE = "Renamed"',
        'NEW_VAR = "1"',
        "[[scripts]]",
        'name = "api"',
        'main = "src/index.ts"',
        'routes = ["GET /books", "GET /books/:id"]',
      ].join("\n"),
    );
    try {
      const dry = await cli(["deploy", "--dry-run", "--config", edited]);
      expect(dry.stderr).toBe("");
      expect(dry.code).toBe(0);
      expect(dry.stdout.split("\n").slice(1)).toEqual([
        "Would make 4 changes to app hono-example (dry run: nothing was changed):",
        "~ vars (+NEW_VAR)",
        "- route * /* (api)",
        "+ route GET /books (api)",
        "+ route GET /books/:id (api)",
        "",
      ]);
    } finally {
      rmSync(edited, { force: true });
    }
    // Nothing changed: the catch-all route still answers, with the old title.
    expect((await http(daemon!.url, "GET", "/")).text).toMatch(/^Hono on PiCloud:/);
    expect((await http(daemon!.url, "GET", "/teapot")).status).toBe(418);

    const staging = await cli(["deploy", "--dry-run", "--env", "staging"]);
    // The plan of a new app is the deploy's own: its vars too, not only app, script and route.
    expect(staging.stdout).toContain("Would make 4 changes to app hono-example-staging");
    expect(staging.stdout).toContain("+ app hono-example-staging");
    expect(staging.stdout).toContain("~ vars (+APP_TITLE)");
    expect((await cli(["apps", "show", "hono-example-staging"])).code).toBe(1);
  });

  it("refuses a broken picloud.toml and a missing one, with the reason", async () => {
    const broken = path.join(EXAMPLE, `.picloud-test-broken-${process.pid}-${kind}.toml`);
    writeFileSync(
      broken,
      'name = "hono-example"\n[[scripts]]\nname = "api"\nmain = "src/index.ts"\nroutes = ["GRAB /x"]\n',
    );
    try {
      const res = await cli(["deploy", "--config", broken]);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(
        `error: ${broken}: line 5: scripts[0].routes[0]: route "GRAB /x": unknown method "GRAB"`,
      );
    } finally {
      rmSync(broken, { force: true });
    }
    const empty = mkdtempSync(path.join(os.tmpdir(), "picloud-empty-"));
    try {
      const missing = await cli(["deploy"], empty);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(`${path.join(empty, "picloud.toml")}: file not found`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("picloud invoke runs the script with a request and prints status, body and logs", async () => {
    // The app comes from ./picloud.toml: no --app needed in the example's directory.
    const search = await cli(["invoke", "api", "--path", "/search?q=sol"]);
    expect(search.code).toBe(0);
    const lines = search.stdout.split("\n");
    expect(lines[0]).toMatch(/^200 OK {2}\(ok, \d+ ms, execution [0-9a-f-]{36}\)$/);
    expect(JSON.parse(lines[1]!)).toMatchObject({ q: "sol", hits: [{ title: "Solaris" }] });

    const post = await cli([
      "invoke",
      "api",
      "--path",
      "/books",
      "--data",
      '{"title":"T","author":"A"}',
      "-i",
    ]);
    expect(post.stdout).toMatch(/^201 Created/);
    expect(post.stdout).toContain("location: /books/4");

    const boom = await cli(["invoke", "api", "--path", "/boom"]);
    expect(boom.code).toBe(0);
    expect(boom.stdout).toContain("500 Internal Server Error");
    expect(boom.stdout).toContain("--- logs\n[error] error on /boom: something broke");

    const json = await cli(["invoke", "api", "--path", "/books/3", "--app", "hono-example", "-o", "json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      status: "ok",
      response: {
        status: 200,
        encoding: "utf8",
        body: JSON.stringify({ id: 3, title: "Solaris", author: "Stanisław Lem" }),
      },
      logs: [],
    });

    const missing = await cli(["invoke", "nope"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("404 script not found");
  });

  it("picloud logs shows recent executions with their console lines", async () => {
    type Item = {
      scriptName: string;
      trigger: string;
      request: string;
      httpStatus: number;
      logs: { message: string }[];
    };
    let items: Item[] = [];
    // Records are written in batches off the request path: wait for the last invoke's.
    for (let i = 0; i < 100; i++) {
      const res = await cli(["logs", "-o", "json", "--limit", "50"]);
      expect(res.code).toBe(0);
      items = JSON.parse(res.stdout).items;
      if (items.some((e) => e.request === "GET /books/3")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const httpBoom = items.find((e) => e.trigger === "http" && e.request === "GET /boom");
    expect(httpBoom).toMatchObject({
      scriptName: "api",
      httpStatus: 500,
      logs: [{ message: "error on /boom: something broke" }],
    });
    expect(items.filter((e) => e.trigger === "invoke").map((e) => e.request)).toEqual([
      "GET /books/3",
      "GET /boom",
      "POST /books",
      "GET /search?q=sol",
    ]);

    const table = await cli(["logs", "--script", "api", "--limit", "200"]);
    expect(table.stdout).toMatch(
      /api v1 GET \/boom → ok 500, \d+ ms \(http, [0-9a-f-]{36}\)\n {4}\[error\] error on \/boom: something broke/,
    );
    const errors = await cli(["logs", "--status", "error"]);
    expect(errors.stdout).toBe("No executions in app hono-example yet.\n");
  });

  it("picloud scripts: ls, show, versions, rollback", async () => {
    const ls = await cli(["scripts", "ls"]);
    expect(ls.stdout.split("\n")).toEqual([
      expect.stringMatching(/^NAME\s+KIND\s+VERSION\s+ISOLATION\s+ROUTES$/),
      expect.stringMatching(/^api\s+handler\s+1\s+none\s+\* \/\*$/),
      "",
    ]);
    // A different bundle of the same code is a new version.
    const minified = await cli(["deploy", "--minify"]);
    expect(minified.stdout).toContain("~ script api (version 2)");
    const versions = JSON.parse((await cli(["scripts", "versions", "api", "-o", "json"])).stdout);
    expect(versions.map((v: { version: number; current: boolean }) => [v.version, v.current])).toEqual([
      [2, true],
      [1, false],
    ]);
    const rollback = await cli(["scripts", "rollback", "api", "1"]);
    expect(rollback.stdout).toBe("Script api of app hono-example now runs version 1\n");
    // The unminified bundle is version 1 again: nothing to do.
    expect((await cli(["deploy"])).stdout).toContain("No changes");
    const show = JSON.parse((await cli(["scripts", "show", "api", "-o", "json"])).stdout);
    expect(show.script).toMatchObject({ name: "api", kind: "handler", currentVersion: 1 });
    expect(show.routes).toMatchObject([{ path: "/*", methods: [] }]);
    expect((await http(daemon!.url, "GET", "/teapot")).status).toBe(418);

    // Removing the script removes its routes; deploying brings both back.
    expect((await cli(["scripts", "rm", "api"])).stdout).toBe("Deleted script api from app hono-example\n");
    expect((await http(daemon!.url, "GET", "/teapot")).json).toEqual({ error: "no route for GET /teapot" });
    expect((await cli(["scripts", "show", "api"])).stderr).toContain("404 script not found");
    const back = await cli(["deploy"]);
    expect(back.stdout).toContain("+ script api (handler, version 1)\n+ route * /* (api)\n");
    expect((await http(daemon!.url, "GET", "/teapot")).status).toBe(418);
  });

  it("picloud tail follows live executions, and reconnects when the daemon restarts", async () => {
    const tail = spawnCli(["tail"], env, EXAMPLE);
    try {
      await tail.waitFor("stderr", /Tailing app hono-example \(Ctrl-C to stop\)/);
      await http(daemon!.url, "GET", "/boom");
      await tail.waitFor("stdout", /api v1 GET \/boom → ok 500, \d+ ms \(http, [0-9a-f-]{36}\)/);
      expect(tail.out.stdout).toMatch(
        /^\d\d:\d\d:\d\d\.\d{3} api \[error\] error on \/boom: something broke$/m,
      );

      // The daemon goes away and comes back on the same port: tail carries on.
      const port = daemon!.port;
      await daemon!.stop();
      await tail.waitFor("stderr", /connection lost/);
      // Only a reconnection after this point can be to the new process.
      const mark = tail.out.stderr.length;
      daemon = await startDaemonProcess(
        { ...ADMIN, ...dbEnv, ...QUICK_STOP, PICLOUD_PORT: String(port) },
        { dataDir },
      );
      await tail.waitFor("stderr", /reconnected/, mark);
      await http(daemon.url, "GET", "/books/1");
      await tail.waitFor("stdout", /api v1 GET \/books\/1 → ok 200/);
    } finally {
      tail.child.kill("SIGINT");
    }
    expect(await tail.exited).toBe(0);

    const json = spawnCli(["tail", "--script", "api", "-o", "json"], env, EXAMPLE);
    try {
      await json.waitFor("stderr", /Tailing app hono-example, script api/);
      await http(daemon!.url, "GET", "/teapot");
      await json.waitFor("stdout", /"type":"execution"/);
      const line = JSON.parse(json.out.stdout.trim().split("\n")[0]!);
      expect(line).toMatchObject({ type: "execution", scriptName: "api", httpStatus: 418, status: "ok" });
    } finally {
      json.child.kill("SIGINT");
    }
    expect(await json.exited).toBe(0);
  }, 120_000);
});
