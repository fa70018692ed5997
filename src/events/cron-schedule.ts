/**
 * Cron schedules (SPEC §5): the `cron` trigger config — a croner expression of
 * 5 fields, or 6 with seconds first, an IANA time zone (default UTC) and the
 * catch-up policy after downtime — and the time arithmetic the scheduler and
 * the API share. Parsed patterns are cached: building one costs ~0.2 ms and a
 * per-second schedule is consulted every second.
 */
import { Cron } from "croner";
import * as v from "valibot";

export const CATCHUP_POLICIES = ["once", "skip"] as const;
export type CatchupPolicy = (typeof CATCHUP_POLICIES)[number];

export interface CronConfig {
  schedule: string;
  timezone: string;
  catchup: CatchupPolicy;
}

const MODE = "5-or-6-parts" as const;

/** croner's own message for an expression it refuses, or null. */
export function cronPatternProblem(schedule: string): string | null {
  try {
    new Cron(schedule, { paused: true, mode: MODE }).stop();
    return null;
  } catch (err) {
    return (err as Error).message.replace(/^CronPattern: /, "");
  }
}

export function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const cronConfigSchema = v.pipe(
  v.strictObject({
    schedule: v.pipe(
      v.string("schedule must be a string"),
      v.trim(),
      v.minLength(1, 'schedule is required (a cron expression such as "*/5 * * * *")'),
      v.maxLength(256, "schedule is too long"),
      v.rawCheck(({ dataset, addIssue }) => {
        if (!dataset.typed) return;
        const problem = cronPatternProblem(dataset.value);
        if (problem) addIssue({ message: `schedule "${dataset.value}" is invalid: ${problem}` });
      }),
    ),
    timezone: v.optional(
      v.pipe(
        v.string("timezone must be a string"),
        v.check(validTimezone, (i) => `timezone "${String(i.input)}" is not a known IANA time zone`),
      ),
      "UTC",
    ),
    catchup: v.optional(
      v.picklist(CATCHUP_POLICIES, `catchup must be one of ${CATCHUP_POLICIES.join(", ")}`),
      "once",
    ),
  }),
);

const cache = new Map<string, Cron>();
const CACHE_MAX = 1000;

/** The parsed schedule (shared, never started). Throws on a pattern the config check would refuse. */
export function cronOf(config: Pick<CronConfig, "schedule" | "timezone">): Cron {
  const key = `${config.timezone} ${config.schedule}`;
  let cron = cache.get(key);
  if (!cron) {
    cron = new Cron(config.schedule, { paused: true, mode: MODE, timezone: config.timezone });
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(key, cron);
  }
  return cron;
}

/** The latest scheduled time ≤ `at`, or null. croner leaves out a run exactly at the reference; +1 ms takes it in. */
export function latestDue(config: CronConfig, at: number): number | null {
  return (
    cronOf(config)
      .previousRuns(1, new Date(at + 1))[0]
      ?.getTime() ?? null
  );
}

/** Scheduled times in (after, until], oldest first, at most `limit`. */
export function dueBetween(config: CronConfig, after: number, until: number, limit: number): number[] {
  const cron = cronOf(config);
  const out: number[] = [];
  // One step at a time: nextRuns(limit) would compute all `limit` times on every pass.
  for (
    let d = cron.nextRun(new Date(after));
    d && d.getTime() <= until && out.length < limit;
    d = cron.nextRun(d)
  )
    out.push(d.getTime());
  return out;
}

/** The next `n` scheduled times after `at`. */
export function nextRuns(config: CronConfig, at: number, n: number): number[] {
  return cronOf(config)
    .nextRuns(n, new Date(at))
    .map((d) => d.getTime());
}
