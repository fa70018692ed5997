/**
 * The cron scheduler with a hand-moved clock: each scheduled time fires once
 * (and the scheduled entry sees controller.cron / scheduledTime), time zones,
 * catch-up `once` vs `skip` after downtime, restarts, and two schedulers
 * ticking at once on one database (a real race on PostgreSQL).
 */
import { count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { type TestClient, useHarness } from "../testing/harness.js";
import { sweepCronRuns } from "./cron-runs.js";
import { CronScheduler } from "./cron-scheduler.js";
import { cronRuns, outbox } from "./schema.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

interface Run {
  script: string;
  cron: string;
  scheduledTime: number;
  depth: number;
}

describe.each(testDbKinds())("cron scheduler [%s]", (kind) => {
  const h = useHarness(kind);

  /** Deploys scripts whose scheduled entry records each run, and adds one cron trigger per script. */
  async function setup(owner: TestClient, crons: Record<string, Record<string, unknown>>) {
    await h.services.dispatcher.start();
    const scripts = Object.keys(crons).map((name) => ({
      name,
      source: `export default { async scheduled(controller, env, ctx) {
        await env.kv.collection("runs").set(controller.scheduledTime + "-" + ctx.executionId,
          { script: ${JSON.stringify(name)}, cron: controller.cron, scheduledTime: controller.scheduledTime, depth: ctx.depth });
      } }`,
    }));
    const res = await owner.post("/apps/default/deploy", { scripts });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    for (const [script, config] of Object.entries(crons)) {
      const r = await owner.post("/apps/default/triggers", { script, kind: "cron", config });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
  }

  /** A scheduler over the harness's database whose clock is `clock.now`. */
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

  async function runs(owner: TestClient): Promise<Run[]> {
    const out = (await h.runScript(
      owner,
      `return Response.json((await env.kv.collection("runs").list({ limit: 1000 })).items.map((i) => i.value));`,
      { name: "reader" },
    )) as Run[];
    return out.sort((a, b) => a.scheduledTime - b.scheduledTime || a.script.localeCompare(b.script));
  }

  const db = () => h.services.database.db;
  const cronRunCount = async () => (await db().select({ n: count() }).from(cronRuns))[0]!.n;
  const cronOutboxCount = async () =>
    (await db().select({ n: count() }).from(outbox).where(eq(outbox.kind, "cron")))[0]!.n;

  it("fires each due time once; scheduled() sees controller.cron and scheduledTime", async () => {
    const owner = await h.user("owner");
    await setup(owner, { job: { schedule: "*/15 * * * *" } });
    const clock = { now: Date.now() };
    const s = scheduler(clock);
    await s.tick();
    expect(await cronRunCount()).toBe(0); // nothing is due between creation and now

    const q1 = Math.floor(clock.now / (15 * MINUTE)) * 15 * MINUTE + 15 * MINUTE;
    clock.now = q1 + 5 * SECOND;
    await s.tick();
    await s.tick();
    clock.now = q1 + 15 * MINUTE + 30 * SECOND;
    await s.tick();
    await s.tick();

    await expect.poll(async () => (await runs(owner)).length, { timeout: 10_000 }).toBe(2);
    expect(await runs(owner)).toEqual([
      { script: "job", cron: "*/15 * * * *", scheduledTime: q1, depth: 0 },
      { script: "job", cron: "*/15 * * * *", scheduledTime: q1 + 15 * MINUTE, depth: 0 },
    ]);
    expect(await cronRunCount()).toBe(2);
    await h.services.recorder.flush();
    const execs = (await owner.get("/apps/default/executions?script=job")).body.items;
    expect(execs.map((e: { trigger: string; status: string }) => [e.trigger, e.status])).toEqual([
      ["cron", "ok"],
      ["cron", "ok"],
    ]);
  });

  it("fires every second of a 6-field schedule when ticks come late, each once", async () => {
    const owner = await h.user("owner");
    await setup(owner, { tick: { schedule: "* * * * * *" } });
    const clock = { now: Date.now() };
    const s = scheduler(clock);
    await s.tick();
    const before = await cronRunCount(); // 0, or 1 when a second boundary fell between creation and now
    clock.now += 10 * SECOND; // one late tick: ten seconds are due, all within the grace window
    await s.tick();
    expect(await cronRunCount()).toBe(before + 10);
    await expect.poll(async () => (await runs(owner)).length, { timeout: 15_000 }).toBe(before + 10);
    const times = (await runs(owner)).map((r) => r.scheduledTime);
    expect(times.every((t, i) => i === 0 || t - times[i - 1]! === SECOND)).toBe(true);
    expect(times.at(-1)).toBe(Math.floor(clock.now / SECOND) * SECOND);
  });

  it("reads the schedule in the trigger's time zone", async () => {
    const owner = await h.user("owner");
    await setup(owner, { tokyo: { schedule: "0 9 * * *", timezone: "Asia/Tokyo" } });
    const clock = { now: Date.now() };
    const s = scheduler(clock);
    const midnightUtc = Math.floor(clock.now / (24 * HOUR)) * 24 * HOUR + 24 * HOUR; // 09:00 in Tokyo (UTC+9)
    clock.now = midnightUtc - 1;
    await s.tick();
    clock.now = midnightUtc + SECOND;
    await s.tick();
    await expect.poll(async () => (await runs(owner)).length, { timeout: 10_000 }).toBe(1);
    expect((await runs(owner))[0]).toMatchObject({ scheduledTime: midnightUtc, cron: "0 9 * * *" });
  });

  it("after downtime runs the missed times once (catchup once) or skips them (catchup skip)", async () => {
    const owner = await h.user("owner");
    await setup(owner, {
      once: { schedule: "*/5 * * * *", catchup: "once" },
      skip: { schedule: "*/5 * * * *", catchup: "skip" },
    });
    const clock = { now: Date.now() };
    const s = scheduler(clock);
    await s.tick();
    // Three hours down: 36 times were missed; the latest is two minutes old when the process is back.
    const latestMissed = Math.floor((clock.now + 3 * HOUR) / (5 * MINUTE)) * 5 * MINUTE;
    clock.now = latestMissed + 2 * MINUTE;
    await s.tick();
    await s.tick();
    clock.now = latestMissed + 5 * MINUTE + SECOND; // back on time
    await s.tick();

    await expect.poll(async () => (await runs(owner)).length, { timeout: 10_000 }).toBe(3);
    expect((await runs(owner)).map((r) => [r.script, r.scheduledTime])).toEqual([
      ["once", latestMissed],
      ["once", latestMissed + 5 * MINUTE],
      ["skip", latestMissed + 5 * MINUTE],
    ]);
    const rows = await db().select().from(cronRuns);
    expect(rows.filter((r) => r.skipped).map((r) => r.scheduledAt.getTime())).toEqual([latestMissed]);
  });

  it("with catchup once, a missed time and the time now due both run", async () => {
    const owner = await h.user("owner");
    await setup(owner, { hourly: { schedule: "0 * * * *" } });
    const clock = { now: Date.now() };
    const s = scheduler(clock);
    await s.tick();
    const onTime = Math.floor(clock.now / HOUR) * HOUR + 5 * HOUR;
    clock.now = onTime + 20 * SECOND; // down for hours, back 20 s after a scheduled time
    await s.tick();
    await expect.poll(async () => (await runs(owner)).length, { timeout: 10_000 }).toBe(2);
    expect((await runs(owner)).map((r) => r.scheduledTime)).toEqual([onTime - HOUR, onTime]);
  });

  it("a new scheduler over the same database (a restart) does not fire a time again", async () => {
    const owner = await h.user("owner");
    await setup(owner, { job: { schedule: "*/5 * * * *" } });
    const clock = { now: Date.now() };
    const first = scheduler(clock);
    const due = Math.floor(clock.now / (5 * MINUTE)) * 5 * MINUTE + 5 * MINUTE;
    clock.now = due + SECOND;
    await first.tick();
    expect(first.stats.fired).toBe(1);

    const second = scheduler(clock);
    await second.start();
    await second.start(); // idempotent
    await second.tick();
    clock.now = due + 4 * MINUTE;
    await second.tick();
    await second.stop();
    await second.stop();
    expect(second.stats.fired).toBe(0);
    expect(await cronRunCount()).toBe(1);
    expect(await cronOutboxCount()).toBe(1);

    clock.now = due + 5 * MINUTE + SECOND;
    await second.tick();
    expect(second.stats.fired).toBe(1);
    await expect
      .poll(async () => (await runs(owner)).map((r) => r.scheduledTime), { timeout: 10_000 })
      .toEqual([due, due + 5 * MINUTE]);
  });

  it("retention keeps each trigger's latest run, so a sweep never makes a time fire again", async () => {
    const owner = await h.user("owner");
    await setup(owner, { a: { schedule: "* * * * * *", catchup: "skip" }, b: { schedule: "*/5 * * * *" } });
    const clock = { now: Date.now() };
    const s = scheduler(clock);
    clock.now = Math.floor(clock.now / (5 * MINUTE)) * 5 * MINUTE + 5 * MINUTE + 10 * SECOND;
    await s.tick();
    const fired = s.stats.fired;
    expect(fired).toBeGreaterThan(2);
    const swept = await sweepCronRuns(db(), new Date(Date.now() + HOUR));
    const left = await db().select().from(cronRuns);
    expect(swept + left.length).toBe(fired + s.stats.skipped);
    expect(left).toHaveLength(2);
    await s.tick();
    expect(s.stats.fired).toBe(fired);
  });

  it("two schedulers ticking at once on one database fire each time exactly once", async () => {
    const owner = await h.user("owner");
    await setup(owner, { a: { schedule: "* * * * * *" }, b: { schedule: "*/2 * * * * *" } });
    const clock = { now: Date.now() };
    const one = scheduler(clock);
    const two = scheduler(clock);
    await Promise.all([one.tick(), two.tick()]);
    for (let i = 0; i < 12; i++) {
      clock.now += SECOND;
      await Promise.all([one.tick(), two.tick(), one.tick()]);
    }
    clock.now += 20 * SECOND;
    await Promise.all([two.tick(), one.tick()]);

    const rows = await db().select().from(cronRuns);
    const keys = rows.map((r) => `${r.triggerId} ${r.scheduledAt.getTime()}`);
    expect(new Set(keys).size).toBe(rows.length);
    expect(rows.length).toBeGreaterThanOrEqual(32 + 16);
    expect(one.stats.fired + two.stats.fired).toBe(rows.length);
    expect(await cronOutboxCount()).toBe(rows.length);
    await expect.poll(async () => (await runs(owner)).length, { timeout: 30_000 }).toBe(rows.length);
    const delivered = (await runs(owner)).map((r) => `${r.script} ${r.scheduledTime}`);
    expect(new Set(delivered).size).toBe(rows.length);
  });
});
