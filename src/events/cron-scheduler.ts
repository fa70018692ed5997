/**
 * The cron scheduler: turns the scheduled times of every enabled cron trigger
 * into outbox rows (SPEC §5). Each time is claimed by inserting its unique
 * (trigger, time) row into cron_runs, in the same transaction as its outbox
 * row, so any number of processes may tick at once and each time fires exactly
 * once; the outbox then delivers it at least once (retries, dead letters).
 *
 * Which times fire: every time since the trigger's last run (or its creation)
 * that is at most the grace window old. Older ones were missed — the process
 * was down or stalled — and collapse into their latest: run once (catch-up
 * `once`) or recorded as skipped (`skip`). The loop sleeps until the earliest
 * next time (capped), and wakes when triggers change. Time comes from an
 * injectable clock, and tick() runs one pass, so tests need not wait.
 */
import { and, eq, sql } from "drizzle-orm";
import type { EventsConfig } from "../config/env.js";
import type { ChangeFeed } from "../db/change-feed.js";
import type { Db, DbOrTx } from "../db/client.js";
import { uuidv7 } from "../lib/ids.js";
import type { Logger } from "../lib/logger.js";
import { type CronConfig, dueBetween, latestDue, nextRuns } from "./cron-schedule.js";
import { enqueue, type OutboxSignal } from "./outbox.js";
import { cronRuns, type RetryPolicy, triggers } from "./schema.js";

export const DEFAULT_CRON_GRACE_MS = 60_000;
/** Most times one trigger fires in one pass; the next pass follows at once. */
const MAX_PER_PASS = 1000;

export interface CronSchedulerDeps {
  db: Db;
  signal: OutboxSignal;
  changes: ChangeFeed;
  config: EventsConfig;
  log: Logger;
  /** The clock (ms since the epoch); tests move it by hand. */
  now?: () => number;
  /** Longest sleep between passes. */
  maxSleepMs?: number;
}

export interface CronPlan {
  /** Times to run, oldest first. */
  fire: number[];
  /** A missed time recorded as skipped (it stands for all missed times before it), or null. */
  skip: number | null;
}

/** Which times of a schedule are due at `now`, given the last time handled. Pure: the policy in one place. */
export function planRuns(config: CronConfig, lastAt: number, now: number, graceMs: number): CronPlan {
  const horizon = now - graceMs;
  const recent = dueBetween(config, Math.max(lastAt, horizon - 1), now, MAX_PER_PASS);
  const missed = latestDue(config, horizon - 1);
  if (missed === null || missed <= lastAt) return { fire: recent, skip: null };
  if (config.catchup === "skip") return { fire: recent, skip: missed };
  return { fire: [missed, ...recent], skip: null };
}

interface CronTriggerRow {
  id: string;
  appId: string;
  scriptId: string;
  config: CronConfig;
  retry: RetryPolicy;
  runAs: string | null;
  createdAt: Date;
  lastAt: Date | null;
}

export class CronScheduler {
  readonly stats = { fired: 0, skipped: 0, passes: 0 };
  private readonly now: () => number;
  private readonly graceMs: number;
  private running = false;
  private loopDone: Promise<void> | null = null;
  private passing: Promise<number> = Promise.resolve(Number.POSITIVE_INFINITY);
  private sleeping: (() => void) | null = null;
  private woken = false;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly deps: CronSchedulerDeps) {
    this.now = deps.now ?? Date.now;
    this.graceMs = deps.config.cronGraceMs ?? DEFAULT_CRON_GRACE_MS;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.deps.changes.subscribe((c) => {
      if (c.topic === "triggers" || c.topic === "scripts" || c.topic === "apps") this.wake();
    });
    this.loopDone = this.loop();
  }

  /** Stops the loop and waits for a pass in progress (its transactions are short). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.wake();
    await this.loopDone;
  }

  wake(): void {
    this.woken = true;
    this.sleeping?.();
  }

  /** Runs one pass now (after any pass in progress). */
  async tick(): Promise<void> {
    await this.pass();
  }

  /**
   * Marks a cron trigger's current time as handled (skipped) without running
   * it: a trigger that was paused or rescheduled starts from now, rather than
   * catching up on times from before.
   */
  async startFromNow(triggerId: string): Promise<void> {
    const [row] = await this.load(this.deps.db, triggerId);
    if (!row) return;
    const latest = latestDue(row.config, this.now());
    const lastAt = (row.lastAt ?? row.createdAt).getTime();
    if (latest === null || latest <= lastAt) return;
    await this.deps.db
      .insert(cronRuns)
      .values({
        id: uuidv7(),
        appId: row.appId,
        triggerId: row.id,
        scheduledAt: new Date(latest),
        skipped: true,
      })
      .onConflictDoNothing();
  }

  private async loop(): Promise<void> {
    const maxSleep = this.deps.maxSleepMs ?? 30_000;
    while (this.running) {
      this.woken = false;
      let sleep: number;
      try {
        const next = await this.pass();
        sleep = Math.min(maxSleep, Math.max(0, next - this.now()) + 2);
      } catch (err) {
        if (!this.running) break;
        this.deps.log.error({ err: String(err) }, "cron scheduler: a pass failed; retrying shortly");
        sleep = Math.min(maxSleep, 1000);
      }
      await this.sleep(sleep);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || !this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.sleeping = null;
        resolve();
      }
      this.sleeping = done;
    });
  }

  /** One pass, serialized with any other; resolves to when the next time is due. */
  private pass(): Promise<number> {
    const p = this.passing.catch(() => 0).then(() => this.run());
    this.passing = p;
    return p;
  }

  private async run(): Promise<number> {
    const { db, log } = this.deps;
    const rows = await this.load(db);
    const now = this.now();
    let nextAt = Number.POSITIVE_INFINITY;
    let enqueued = 0;
    for (const row of rows) {
      let plan: CronPlan;
      try {
        plan = planRuns(row.config, (row.lastAt ?? row.createdAt).getTime(), now, this.graceMs);
        nextAt = Math.min(nextAt, nextRuns(row.config, now, 1)[0] ?? Number.POSITIVE_INFINITY);
      } catch (err) {
        log.warn({ triggerId: row.id, err: String(err) }, "cron trigger has an unusable schedule; ignored");
        continue;
      }
      if (plan.fire.length === 0 && plan.skip === null) continue;
      if (plan.fire.length >= MAX_PER_PASS) nextAt = now;
      try {
        enqueued += await this.apply(row, plan);
      } catch (err) {
        // One trigger's failure (say it was deleted mid-pass) must not hold the others back.
        log.error({ triggerId: row.id, err: String(err) }, "cron: firing failed; retrying shortly");
        nextAt = Math.min(nextAt, now + 1000);
      }
    }
    this.stats.passes++;
    if (enqueued > 0) this.deps.signal.committed();
    return nextAt;
  }

  /** Claims and enqueues one trigger's due times in one transaction; returns how many it enqueued. */
  private async apply(row: CronTriggerRow, plan: CronPlan): Promise<number> {
    const { db, config } = this.deps;
    let fired = 0;
    let skipped = 0;
    await db.transaction(async (tx) => {
      if (plan.skip !== null) {
        const won = await this.claim(tx, row, plan.skip, null);
        if (won) skipped++;
      }
      for (const at of plan.fire) {
        const eventId = uuidv7();
        if (!(await this.claim(tx, row, at, eventId))) continue;
        await enqueue(
          tx,
          [
            {
              id: eventId,
              appId: row.appId,
              kind: "cron",
              triggerId: row.id,
              scriptId: row.scriptId,
              payload: { cron: row.config.schedule, scheduledTime: at, timezone: row.config.timezone },
              depth: 0,
              rootId: eventId,
              runAs: row.runAs,
              retry: row.retry,
            },
          ],
          config.retry,
        );
        fired++;
      }
    });
    this.stats.fired += fired;
    this.stats.skipped += skipped;
    if (skipped > 0)
      this.deps.log.info(
        { triggerId: row.id, skippedUpTo: new Date(plan.skip!).toISOString() },
        "cron: missed times skipped (catchup = skip)",
      );
    return fired;
  }

  /** Inserts the (trigger, time) row; false when another pass or process already has it. */
  private async claim(tx: DbOrTx, row: CronTriggerRow, at: number, eventId: string | null): Promise<boolean> {
    const won = await tx
      .insert(cronRuns)
      .values({
        id: uuidv7(),
        appId: row.appId,
        triggerId: row.id,
        scheduledAt: new Date(at),
        eventId,
        skipped: eventId === null,
      })
      .onConflictDoNothing()
      .returning({ id: cronRuns.id });
    return won.length > 0;
  }

  /** Enabled cron triggers (all, or one) with the latest time already handled. */
  private async load(db: DbOrTx, triggerId?: string): Promise<CronTriggerRow[]> {
    const rows = await db
      .select({
        id: triggers.id,
        appId: triggers.appId,
        scriptId: triggers.scriptId,
        config: triggers.config,
        retry: triggers.retry,
        runAs: triggers.runAs,
        createdAt: triggers.createdAt,
        // Table names spelled out: drizzle leaves columns unqualified in a one-table select,
        // and an unqualified "id" here would be cron_runs.id. The unique index serves max().
        lastAt:
          sql<Date | null>`(select max(r.scheduled_at) from cron_runs r where r.trigger_id = "triggers"."id")`.mapWith(
            cronRuns.scheduledAt,
          ),
      })
      .from(triggers)
      .where(
        and(
          eq(triggers.kind, "cron"),
          eq(triggers.enabled, true),
          ...(triggerId ? [eq(triggers.id, triggerId)] : []),
        ),
      );
    return rows.map((r) => ({ ...r, config: r.config as unknown as CronConfig }));
  }
}
