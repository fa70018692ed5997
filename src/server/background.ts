/**
 * The process's background loops: retention sweeps. Each catches and logs its
 * own failures and carries on; start/stop are idempotent (lib/periodic.ts).
 */
import { lt } from "drizzle-orm";
import { loginThrottle } from "../auth/schema.js";
import { sweepCronRuns } from "../events/cron-runs.js";
import { sweepOutbox } from "../events/retention.js";
import { sweepExecutions } from "../executions/retention.js";
import { Periodic } from "../lib/periodic.js";
import type { Services } from "./services.js";

const MINUTE = 60_000;

export class BackgroundLoops {
  private readonly loops: Periodic[];

  constructor(services: Services) {
    const { log, database, options } = services;
    const onError = (what: string) => (err: unknown) =>
      log.error({ err: String(err), loop: what }, "background loop failed");
    this.loops = [
      new Periodic(
        async () => {
          const before = new Date(Date.now() - options.runtime.executionRetentionDays * 86_400_000);
          const n = await sweepExecutions(database.db, before);
          if (n > 0) log.info({ deleted: n, before: before.toISOString() }, "execution records swept");
        },
        10 * MINUTE,
        onError("execution-retention"),
      ),
      new Periodic(
        async () => {
          const sessions = await services.sessions.sweepExpired();
          // End users' expired sessions and used or expired one-time tokens (docs/users.md).
          const endUsers = await services.appUsers.sweep();
          if (endUsers > 0) log.info({ rows: endUsers }, "expired end-user sessions and tokens swept");
          // Throttle rows whose window and lock are long over.
          await database.db
            .delete(loginThrottle)
            .where(lt(loginThrottle.windowStart, new Date(Date.now() - 24 * 60 * MINUTE)));
          if (sessions > 0) log.info({ sessions }, "expired admin sessions swept");
        },
        60 * MINUTE,
        onError("auth-retention"),
      ),
      new Periodic(
        async () => {
          const hours = options.events.outboxRetentionHours;
          const outboxRows = await sweepOutbox(database.db, new Date(Date.now() - hours * 3_600_000));
          const days = options.events.deadLetterRetentionDays;
          const dead = await services.deadLetters.sweep(new Date(Date.now() - days * 86_400_000));
          const kv = await services.kv.sweepExpired();
          const messages = await services.broadcaster.sweep(
            new Date(Date.now() - options.realtime.replaySeconds * 1000),
          );
          if (messages > 0) log.info({ realtimeMessages: messages }, "realtime replay window swept");
          const cronRuns = await sweepCronRuns(database.db, new Date(Date.now() - hours * 3_600_000));
          const emailDays = services.options.email?.retentionDays ?? 30;
          const emails = await services.email.sweep(new Date(Date.now() - emailDays * 86_400_000));
          // Kept as long as a dead letter of theirs may be replayed.
          const inboundEmails = await services.inbox.sweep(new Date(Date.now() - days * 86_400_000));
          if (outboxRows + dead + kv + cronRuns + emails + inboundEmails > 0)
            log.info(
              {
                outboxRows,
                deadLetters: dead,
                kvEntries: kv,
                cronRuns,
                emailMessages: emails,
                inboundEmails,
              },
              "event retention sweep",
            );
        },
        5 * MINUTE,
        onError("event-retention"),
      ),
      new Periodic(
        async () => {
          // Writes in flight take seconds, not an hour: anything older was interrupted or lost its row.
          const hour = 60 * MINUTE;
          const swept = await services.files.sweep({ tempOlderThanMs: hour, orphanOlderThanMs: hour });
          if (swept.temp + swept.orphans > 0)
            log.info({ tempFiles: swept.temp, orphanBlobs: swept.orphans }, "files sweep");
        },
        30 * MINUTE,
        onError("files-sweep"),
      ),
    ];
  }

  start(): void {
    for (const l of this.loops) l.start({ runNow: true });
  }

  async stop(): Promise<void> {
    await Promise.all(this.loops.map((l) => l.stop()));
  }
}
