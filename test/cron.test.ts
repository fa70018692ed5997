/**
 * Cron end to end on a real daemon: a picloud.toml with a 6-field per-second
 * schedule deployed with `picloud deploy`, fired for real by the daemon's
 * scheduler into the script's scheduled(); `picloud crons ls` and `picloud
 * triggers add --kind cron`; and a restart that fires no time twice.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN,
  type DaemonProcess,
  loginAsAdmin,
  runCli,
  startDaemonProcess,
} from "../src/testing/daemon.js";
import { createPostgresDatabase, testDbKinds } from "../src/testing/database.js";

/** A one-second grace window: a restart of a few seconds then counts as downtime (catch-up applies). */
const DAEMON_ENV = {
  PICLOUD_DEPLOY_ON_START: "off",
  PICLOUD_SHUTDOWN_TIMEOUT_MS: "2000",
  PICLOUD_CRON_GRACE_MS: "1000",
};

const TOML = `name = "crontest"

[[scripts]]
name = "clock"
main = "clock.js"
routes = ["GET /runs"]
crons = [{ schedule = "*/1 * * * * *", catchup = "once", max_attempts = 2, backoff = "constant", delay_ms = 250 }]
`;

const SCRIPT = `export default {
  async scheduled(controller, env, ctx) {
    await env.kv.collection("runs").set(controller.scheduledTime + "-" + ctx.executionId, {
      cron: controller.cron, scheduledTime: controller.scheduledTime, depth: ctx.depth,
    });
  },
  async fetch(request, env) {
    const { items } = await env.kv.collection("runs").list({ limit: 1000 });
    return Response.json(items.map((i) => i.value));
  },
};
`;

interface Run {
  cron: string;
  scheduledTime: number;
  depth: number;
}

describe.each(testDbKinds())("cron on a real daemon [%s]", (kind) => {
  let daemon: DaemonProcess | undefined;
  let dropDb = async () => {};
  let dbEnv: Record<string, string> = {};
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "picloud-cron-"));
  const configDir = mkdtempSync(path.join(os.tmpdir(), "picloud-cron-cli-"));
  const projectDir = mkdtempSync(path.join(os.tmpdir(), "picloud-cron-project-"));
  let env: Record<string, string>;
  const cli = (args: string[]) => runCli(args, env, undefined, { cwd: projectDir });

  async function runs(): Promise<Run[]> {
    const res = await request(`${daemon!.url}/runs`, { headers: { host: "crontest.localhost" } });
    const body = (await res.body.json()) as Run[];
    return body.sort((a, b) => a.scheduledTime - b.scheduledTime);
  }

  async function start() {
    daemon = await startDaemonProcess({ ...ADMIN, ...dbEnv, ...DAEMON_ENV }, { dataDir });
    env = { PICLOUD_CONFIG_DIR: configDir, PICLOUD_URL: daemon.url };
  }

  beforeAll(async () => {
    if (kind === "postgres") {
      const db = await createPostgresDatabase();
      dropDb = db.drop;
      dbEnv = { DATABASE_URL: db.url };
    }
    mkdirSync(projectDir, { recursive: true });
    writeFileSync(path.join(projectDir, "picloud.toml"), TOML);
    writeFileSync(path.join(projectDir, "clock.js"), SCRIPT);
    await start();
    await loginAsAdmin(env);
  }, 90_000);
  afterAll(async () => {
    await daemon?.stop();
    await dropDb();
    for (const dir of [dataDir, configDir, projectDir]) rmSync(dir, { recursive: true, force: true });
  });

  it("deploys crons from picloud.toml and runs scheduled() every second", async () => {
    const { code, stdout, stderr } = await cli(["deploy"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain("+ trigger cron */1 * * * * * (clock)");
    await expect
      .poll(async () => (await runs()).length, { timeout: 20_000, interval: 250 })
      .toBeGreaterThanOrEqual(3);
    const seen = await runs();
    expect(
      seen.every((r) => r.cron === "*/1 * * * * *" && r.depth === 0 && r.scheduledTime % 1000 === 0),
    ).toBe(true);
    expect(new Set(seen.map((r) => r.scheduledTime)).size).toBe(seen.length);
    // The cron's retry settings from the file are the trigger's.
    const [trigger] = JSON.parse((await cli(["triggers", "ls", "-o", "json"])).stdout);
    expect(trigger).toMatchObject({
      kind: "cron",
      retry: { maxAttempts: 2, backoff: "constant", delayMs: 250 },
    });
    // A redeploy of the same file changes nothing, so the schedule keeps its history.
    const again = await cli(["deploy"]);
    expect(again.stdout).not.toContain("trigger");
  });

  it("lists crons with next and last runs, and adds one with picloud triggers add", async () => {
    const table = await cli(["crons", "ls"]);
    expect(table.code).toBe(0);
    const [header, row] = table.stdout.trim().split("\n");
    expect(header).toMatch(/^ID\s+SCRIPT\s+SCHEDULE\s+TIMEZONE\s+CATCHUP\s+NEXT\s+LAST$/);
    expect(row).toMatch(
      /clock\s+\*\/1 \* \* \* \* \*\s+UTC\s+once\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ (done|pending)/,
    );
    const json = JSON.parse((await cli(["crons", "ls", "-o", "json"])).stdout) as {
      crons: { nextRuns: string[]; lastRuns: { status: string }[] }[];
    };
    expect(json.crons).toHaveLength(1);
    expect(json.crons[0]!.nextRuns).toHaveLength(5);
    expect(json.crons[0]!.lastRuns.length).toBeGreaterThanOrEqual(3);

    const bad = await cli(["triggers", "add", "clock", "--kind", "cron", "--schedule", "61 * * * *"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('schedule "61 * * * *" is invalid: Invalid value for minute: 61');
    const added = await cli([
      "triggers",
      "add",
      "clock",
      "--kind",
      "cron",
      "--schedule",
      "0 9 * * 1",
      "--timezone",
      "Europe/Paris",
      "--catchup",
      "skip",
    ]);
    expect(added.stderr).toBe("");
    expect(added.stdout).toMatch(
      /^Added cron trigger \S+ → clock \(catchup=skip schedule=0 9 \* \* 1 timezone=Europe\/Paris\)/,
    );
    expect((await cli(["crons", "ls"])).stdout).toMatch(/clock\s+0 9 \* \* 1\s+Europe\/Paris\s+skip/);
  });

  it("keeps firing after a restart, never fires a time twice, and runs the missed times once", async () => {
    const old = daemon!;
    const before = (await runs()).length;
    expect(await old.stop()).toBe(0);
    await new Promise((r) => setTimeout(r, 3000)); // downtime longer than the grace window
    await start();
    await expect
      .poll(async () => (await runs()).length, { timeout: 20_000, interval: 250 })
      .toBeGreaterThanOrEqual(before + 3);
    const times = (await runs()).map((r) => r.scheduledTime);
    expect(new Set(times).size).toBe(times.length);
    // The old scheduler stopped when shutdown began; the new one started just before "ready".
    // Of the seconds in between (minus the grace window), catch-up `once` runs only the latest.
    const at = (logs: string[], msg: RegExp) => Date.parse(JSON.parse(logs.find((l) => msg.test(l))!).time);
    const down = at(old.logs, /"shutting down/);
    const up = at(daemon!.logs, /"PiCloud is ready"/);
    expect(up - down).toBeGreaterThan(3000);
    expect(times.filter((t) => t > down && t < up - 1500).length).toBeLessThanOrEqual(1);
  });
});
