/**
 * What the dashboard shows of an app's cron triggers: each with its next
 * times and its last runs, a run's status read from its outbox row (pending,
 * done, dead). Once delivered rows are swept from the outbox, a run with a
 * dead letter was dead and one without was done. Also the retention of
 * cron_runs, which always keeps each trigger's latest row: it is where the
 * scheduler resumes from.
 */
import { and, asc, desc, eq, lt, sql } from "drizzle-orm";
import { deleteInBatches } from "../db/batched-delete.js";
import type { Db } from "../db/client.js";
import { scripts } from "../scripts/schema.js";
import { type CronConfig, nextRuns } from "./cron-schedule.js";
import { cronRuns, deadLetters, outbox, type RetryPolicy, triggers } from "./schema.js";

export type CronRunStatus = "skipped" | "pending" | "done" | "dead";

export interface CronRunView {
  scheduledAt: string;
  /** When the run was enqueued (or the time recorded as skipped). */
  recordedAt: string;
  status: CronRunStatus;
  /** The outbox event id, also the id of the first attempt's execution; null when skipped. */
  eventId: string | null;
  /** Null when no longer known (skipped, or delivered and swept from the outbox). */
  attempts: number | null;
  lastError: string | null;
}

export interface CronView {
  id: string;
  scriptId: string;
  scriptName: string;
  schedule: string;
  timezone: string;
  catchup: CronConfig["catchup"];
  enabled: boolean;
  retry: RetryPolicy;
  runAs: string | null;
  createdAt: string;
  /** The next scheduled times (ISO, UTC); empty while disabled. */
  nextRuns: string[];
  /** The latest runs, newest first. */
  lastRuns: CronRunView[];
}

export class CronRuns {
  constructor(private readonly db: Db) {}

  async list(appId: string, now: number, opts: { next?: number; last?: number } = {}): Promise<CronView[]> {
    const rows = await this.db
      .select({ t: triggers, scriptName: scripts.name })
      .from(triggers)
      .innerJoin(scripts, eq(scripts.id, triggers.scriptId))
      .where(and(eq(triggers.appId, appId), eq(triggers.kind, "cron")))
      .orderBy(asc(triggers.createdAt), asc(triggers.id));
    const out: CronView[] = [];
    for (const { t, scriptName } of rows) {
      const config = t.config as unknown as CronConfig;
      out.push({
        id: t.id,
        scriptId: t.scriptId,
        scriptName,
        schedule: config.schedule,
        timezone: config.timezone,
        catchup: config.catchup,
        enabled: t.enabled,
        retry: t.retry,
        runAs: t.runAs,
        createdAt: t.createdAt.toISOString(),
        nextRuns: t.enabled
          ? nextRuns(config, now, opts.next ?? 5).map((ms) => new Date(ms).toISOString())
          : [],
        lastRuns: await this.lastRuns(t.id, opts.last ?? 10),
      });
    }
    return out;
  }

  private async lastRuns(triggerId: string, limit: number): Promise<CronRunView[]> {
    const rows = await this.db
      .select({
        run: cronRuns,
        status: outbox.status,
        attempts: outbox.attempts,
        lastError: outbox.lastError,
        dead: deadLetters.id,
        deadAttempts: deadLetters.attempts,
        deadError: deadLetters.lastError,
      })
      .from(cronRuns)
      .leftJoin(outbox, eq(outbox.id, cronRuns.eventId))
      .leftJoin(deadLetters, eq(deadLetters.eventId, cronRuns.eventId))
      .where(eq(cronRuns.triggerId, triggerId))
      .orderBy(desc(cronRuns.scheduledAt))
      .limit(limit);
    return rows.map((r) => {
      const status: CronRunStatus = r.run.skipped ? "skipped" : (r.status ?? (r.dead ? "dead" : "done"));
      return {
        scheduledAt: r.run.scheduledAt.toISOString(),
        recordedAt: r.run.createdAt.toISOString(),
        status,
        eventId: r.run.eventId,
        attempts: r.attempts ?? r.deadAttempts ?? null,
        lastError: r.lastError ?? r.deadError ?? null,
      };
    });
  }
}

/** Deletes cron_runs recorded before `before`, except each trigger's latest; bounded batches. */
export function sweepCronRuns(db: Db, before: Date, batchSize = 1000, maxBatches = 20): Promise<number> {
  return deleteInBatches(db, {
    table: cronRuns,
    id: cronRuns.id,
    where: and(
      lt(cronRuns.createdAt, before),
      // Names spelled out: drizzle leaves columns unqualified in a one-table select.
      sql`exists (select 1 from cron_runs newer where newer.trigger_id = "cron_runs"."trigger_id" and newer.scheduled_at > "cron_runs"."scheduled_at")`,
    ),
    batchSize,
    maxBatches,
  });
}
