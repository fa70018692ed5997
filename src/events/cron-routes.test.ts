/**
 * Cron triggers through the admin API and deploy: schedules, time zones and
 * catch-up policies checked with croner's messages; GET /crons with next times
 * and last runs; a failing scheduled() retried then dead-lettered (source
 * cron); a resumed trigger not catching up; deploy keeping a cron's history.
 */
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { type TestClient, useHarness } from "../testing/harness.js";
import { CronScheduler } from "./cron-scheduler.js";
import { cronRuns, triggers } from "./schema.js";

const MINUTE = 60_000;
const RECORD = `export default { async scheduled(controller, env) {
  await env.kv.collection("runs").set(String(controller.scheduledTime), controller.scheduledTime);
} }`;

describe.each(testDbKinds())("cron triggers API [%s]", (kind) => {
  const h = useHarness(kind);

  function scheduler(clock: { now: number }) {
    const s = h.services;
    return new CronScheduler({
      db: s.database.db,
      signal: s.outboxSignal,
      changes: s.changes,
      config: s.options.events,
      log: s.log,
      now: () => clock.now,
    });
  }

  async function deploy(owner: TestClient, scripts: Record<string, unknown>[]) {
    const res = await owner.post("/apps/default/deploy", { scripts });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  }

  const crons = async (owner: TestClient) => (await owner.get("/apps/default/crons")).body.crons;

  it("refuses bad schedules, time zones and catch-up policies with croner's message", async () => {
    const owner = await h.user("owner");
    await deploy(owner, [{ name: "job", source: RECORD }]);
    const cases: [Record<string, unknown>, string][] = [
      [{ schedule: "61 * * * *" }, 'schedule "61 * * * *" is invalid: Invalid value for minute: 61'],
      [
        { schedule: "* * * *" },
        "invalid configuration format ('* * * *'), exactly five, six, or seven space separated parts are required.",
      ],
      [
        { schedule: "0 0 7 * * * 2030" },
        "mode '5-or-6-parts' requires exactly 5 or 6 parts, but pattern '0 0 7 * * * 2030' has 7 parts.",
      ],
      [
        { schedule: "0 7 * * *", timezone: "Mars/Olympus" },
        'timezone "Mars/Olympus" is not a known IANA time zone',
      ],
      [{ schedule: "0 7 * * *", catchup: "all" }, "catchup must be one of once, skip"],
      [{ schedule: "0 7 * * *", every: 5 }, 'unknown field "every"'],
    ];
    for (const [config, message] of cases) {
      const res = await owner.post("/apps/default/triggers", { script: "job", kind: "cron", config });
      expect(res.status, JSON.stringify(config)).toBe(400);
      expect(res.body.error.message).toContain(message);
    }
    const bad = await owner.post("/apps/default/deploy", {
      scripts: [
        { name: "job", source: RECORD, triggers: [{ kind: "cron", config: { schedule: "0 25 * * *" } }] },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('schedule "0 25 * * *" is invalid: Invalid value for hour: 25');
    const ok = await owner.post("/apps/default/triggers", {
      script: "job",
      kind: "cron",
      config: { schedule: " */10 * * * * * " },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.trigger.config).toEqual({ schedule: "*/10 * * * * *", timezone: "UTC", catchup: "once" });
  });

  it("lists crons with their next times in their time zone and their last runs", async () => {
    const owner = await h.user("owner");
    await deploy(owner, [{ name: "job", source: RECORD }]);
    await owner.post("/apps/default/triggers", {
      script: "job",
      kind: "cron",
      config: { schedule: "0 9 * * *", timezone: "Europe/Paris" },
    });
    const every5 = await owner.post("/apps/default/triggers", {
      script: "job",
      kind: "cron",
      config: { schedule: "*/5 * * * *", catchup: "skip" },
    });
    await h.services.dispatcher.start();
    const clock = { now: Date.now() };
    const s = scheduler(clock);
    const first = Math.floor(clock.now / (5 * MINUTE)) * 5 * MINUTE + 5 * MINUTE;
    clock.now = first + 3 * 60 * MINUTE + 2 * MINUTE; // down for three hours: skipped
    await s.tick();
    clock.now = first + 3 * 60 * MINUTE + 5 * MINUTE + 1000; // on time: runs
    await s.tick();

    const viewer = await h.user("member");
    await owner.post("/apps/default/members", { userId: viewer.userId, role: "viewer" });
    await expect
      .poll(async () => (await crons(viewer))[1].lastRuns.map((r: { status: string }) => r.status), {
        timeout: 10_000,
      })
      .toEqual(["done", "skipped"]);
    const [paris, fives] = await crons(viewer);
    const hourIn = (iso: string, tz: string) =>
      new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", minute: "2-digit" }).format(
        new Date(iso),
      );
    expect(paris).toMatchObject({
      scriptName: "job",
      schedule: "0 9 * * *",
      timezone: "Europe/Paris",
      catchup: "once",
    });
    expect(paris.nextRuns).toHaveLength(5);
    expect(paris.nextRuns.map((t: string) => hourIn(t, "Europe/Paris"))).toEqual(Array(5).fill("09:00"));
    expect(paris.lastRuns).toEqual([]);
    const gaps = fives.nextRuns
      .slice(1)
      .map((t: string, i: number) => Date.parse(t) - Date.parse(fives.nextRuns[i]));
    expect(gaps).toEqual([5 * MINUTE, 5 * MINUTE, 5 * MINUTE, 5 * MINUTE]);
    const onTime = first + 3 * 60 * MINUTE + 5 * MINUTE;
    expect(fives.lastRuns).toEqual([
      {
        scheduledAt: new Date(onTime).toISOString(),
        recordedAt: expect.any(String),
        status: "done",
        eventId: expect.any(String),
        attempts: 1,
        lastError: null,
      },
      {
        scheduledAt: new Date(onTime - 5 * MINUTE).toISOString(),
        recordedAt: expect.any(String),
        status: "skipped",
        eventId: null,
        attempts: null,
        lastError: null,
      },
    ]);

    await owner.patch(`/apps/default/triggers/${every5.body.trigger.id}`, { enabled: false });
    expect((await crons(viewer))[1]).toMatchObject({ enabled: false, nextRuns: [] });
    expect((await owner.get("/apps/default/crons?next=60")).status).toBe(400);
    expect((await h.anonymous().get("/apps/default/crons")).status).toBe(401);
  });

  it("retries a failing scheduled() and dead-letters it with source cron", async () => {
    const owner = await h.user("owner");
    await deploy(owner, [
      { name: "flaky", source: `export default { async scheduled() { throw new Error("backup failed"); } }` },
    ]);
    await owner.post("/apps/default/triggers", {
      script: "flaky",
      kind: "cron",
      config: { schedule: "*/5 * * * *" },
      retry: { maxAttempts: 3, backoff: "constant", delayMs: 10 },
    });
    await h.services.dispatcher.start();
    const clock = { now: Date.now() };
    const due = Math.floor(clock.now / (5 * MINUTE)) * 5 * MINUTE + 5 * MINUTE;
    clock.now = due + 1000;
    await scheduler(clock).tick();

    await expect
      .poll(async () => (await owner.get("/apps/default/dead-letters")).body.items.length, {
        timeout: 10_000,
      })
      .toBe(1);
    const [dl] = (await owner.get("/apps/default/dead-letters")).body.items;
    expect(dl).toMatchObject({
      kind: "cron",
      source: "cron",
      attempts: 3,
      lastError: "Error: backup failed",
      payload: { cron: "*/5 * * * *", scheduledTime: due, timezone: "UTC" },
    });
    const [cron] = await crons(owner);
    expect(cron.lastRuns).toMatchObject([{ status: "dead", attempts: 3, lastError: "Error: backup failed" }]);
    await h.services.recorder.flush();
    const execs = (await owner.get("/apps/default/executions?script=flaky")).body.items;
    expect(execs.map((e: { trigger: string; status: string }) => `${e.trigger} ${e.status}`)).toEqual(
      Array(3).fill("cron error"),
    );
  });

  it("a cron trigger resumed after a pause starts from now instead of catching up", async () => {
    const owner = await h.user("owner");
    await deploy(owner, [{ name: "job", source: RECORD }]);
    const created = await owner.post("/apps/default/triggers", {
      script: "job",
      kind: "cron",
      config: { schedule: "*/5 * * * *" },
    });
    const id = created.body.trigger.id;
    // As if registered three hours ago: catch-up `once` would run the latest missed time now.
    await h.services.database.db
      .update(triggers)
      .set({ createdAt: sql`now() - interval '3 hours'` })
      .where(eq(triggers.id, id));
    await owner.patch(`/apps/default/triggers/${id}`, { enabled: false });
    await owner.patch(`/apps/default/triggers/${id}`, { enabled: true });

    const s = scheduler({ now: Date.now() });
    await s.tick();
    expect(s.stats.fired).toBe(0);
    const rows = await h.services.database.db.select().from(cronRuns);
    expect(rows.map((r) => r.skipped)).toEqual([true]);
  });

  it("deploys crons as triggers; a redeploy keeps them and their history", async () => {
    const owner = await h.user("owner");
    const manifest = (schedule: string) => [
      {
        name: "job",
        source: RECORD,
        triggers: [{ kind: "cron", config: { schedule, timezone: "Asia/Tokyo" } }],
      },
    ];
    const first = await deploy(owner, manifest("0 9 * * *"));
    expect(first.changes).toContainEqual({
      action: "create",
      kind: "trigger",
      name: "cron 0 9 * * *",
      detail: "job",
    });
    const [cron] = await crons(owner);

    const clock = { now: Date.now() };
    const midnightUtc = Math.floor(clock.now / (24 * 60 * MINUTE)) * 24 * 60 * MINUTE + 24 * 60 * MINUTE;
    clock.now = midnightUtc + 1000;
    const s = scheduler(clock);
    await s.tick();
    expect(s.stats.fired).toBe(1);

    const again = await deploy(owner, manifest("0 9 * * *"));
    expect(again.changes.filter((c: { kind: string }) => c.kind === "trigger")).toEqual([]);
    const [kept] = await crons(owner);
    expect(kept.id).toBe(cron.id);
    expect(kept.lastRuns).toHaveLength(1);
    await s.tick();
    expect(s.stats.fired).toBe(1);

    const changed = await deploy(owner, manifest("0 10 * * *"));
    expect(
      changed.changes
        .filter((c: { kind: string }) => c.kind === "trigger")
        .map((c: { action: string; name: string }) => `${c.action} ${c.name}`),
    ).toEqual(["delete cron 0 9 * * *", "create cron 0 10 * * *"]);
  });
});
