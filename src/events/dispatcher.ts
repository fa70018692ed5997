/**
 * The outbox dispatcher: claims due rows with FOR UPDATE SKIP LOCKED (so any
 * number of processes share the work), runs each under the concurrency gate —
 * waiting for slots, never failing for want of one — and records the result:
 * done, a retry after a backoff, or a dead letter. Woken at once on commit
 * (in-process signal, LISTEN/NOTIFY across processes); the poll is a fallback.
 * A claim carries a lease: when its process dies, another takes the row over
 * after the lease (at-least-once).
 */
import { and, asc, eq, inArray, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { EntryInput, Permit } from "../../runtime/index.js";
import type { EventsConfig } from "../config/env.js";
import type { Executor } from "../dataplane/executor.js";
import type { RoutableScript } from "../dataplane/route-table.js";
import type { ChangeFeed } from "../db/change-feed.js";
import type { Db } from "../db/client.js";
import { backoffDelay } from "../lib/backoff.js";
import { uuidv7 } from "../lib/ids.js";
import type { Logger } from "../lib/logger.js";
import { toStorableText } from "../lib/storable-text.js";
import type { Scripts } from "../scripts/scripts.js";
import { type DeadLetters, eventSource } from "./dead-letters.js";
import { GroupCommit } from "./group-commit.js";
import { type HttpPayload, requestFromPayload } from "./http-payload.js";
import { effectiveRetry, type OutboxSignal } from "./outbox.js";
import { type OutboxKind, outbox } from "./schema.js";

type OutboxRow = typeof outbox.$inferSelect;

export interface DispatcherDeps {
  db: Db;
  executor: Executor;
  scripts: Scripts;
  deadLetters: DeadLetters;
  signal: OutboxSignal;
  changes: ChangeFeed;
  config: EventsConfig;
  log: Logger;
  /** Identifies this process's claims. */
  processId: string;
  /** The `message` of an inbound e-mail delivery (`email_in` rows), or null when the stored message is gone. */
  emailMessage?: (appId: string, eventId: string, payload: unknown) => Promise<unknown | null>;
  /** Most rows claimed at once (never more than the gate slots free when claiming). */
  batchSize?: number;
}

/**
 * Delivers an outbox row without running a script (outbound e-mail): `error`
 * null when done; `permanent` skips the remaining attempts (straight to a dead letter).
 */
export type DirectDelivery = (row: OutboxRow) => Promise<{ error: string | null; permanent?: boolean }>;

export interface DeliveryStats {
  delivered: number;
  retried: number;
  deadLettered: number;
}

export class Dispatcher {
  private running = false;
  private loopDone: Promise<void> | null = null;
  private sleeping: (() => void) | null = null;
  private woken = false;
  private dueTimer: NodeJS.Timeout | null = null;
  private dueAt = Number.POSITIVE_INFINITY;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopAcquire = new AbortController();
  private unlisten: (() => Promise<void>) | null = null;
  private unwake: (() => void) | null = null;
  private readonly scriptCache = new Map<string, Promise<RoutableScript | null>>();
  private readonly direct = new Map<OutboxKind, DirectDelivery>();
  readonly stats: DeliveryStats = { delivered: 0, retried: 0, deadLettered: 0 };
  /** Successful deliveries are marked done together: one UPDATE per batch, not a transaction each. */
  private readonly done = new GroupCommit<string>((ids) => this.markDone(ids));

  constructor(private readonly deps: DispatcherDeps) {
    deps.changes.subscribe((c) => {
      if (c.topic === "scripts" || c.topic === "apps") this.scriptCache.clear();
    });
  }

  /** Rows of `kind` are delivered by `handler` instead of a script execution. */
  registerDirect(kind: OutboxKind, handler: DirectDelivery): void {
    this.direct.set(kind, handler);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.unwake = this.deps.signal.onWake(() => this.wake());
    this.unlisten = await this.deps.signal.listen(() => this.wake());
    this.loopDone = this.loop();
  }

  /** Stops claiming, then waits (up to `timeoutMs`) for deliveries in progress. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopAcquire.abort(new Error("dispatcher stopping"));
    this.wake();
    if (this.dueTimer) clearTimeout(this.dueTimer);
    this.unwake?.();
    await this.unlisten?.().catch(() => {});
    await this.loopDone;
    const all = Promise.allSettled([...this.inFlight]);
    await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  wake(): void {
    this.woken = true;
    this.sleeping?.();
  }

  private async loop(): Promise<void> {
    const { executor, log } = this.deps;
    const batch = this.deps.batchSize ?? 32;
    while (this.running) {
      let permits: Permit[] = [];
      try {
        // One slot first (in FIFO order with other background work), then claim as many rows as
        // slots are free now. The other slots are taken only after the claim: holding them across
        // the claim query would turn HTTP requests away with 503 on every poll of an idle outbox.
        permits.push(await executor.gate.acquire(this.stopAcquire.signal));
        const want = Math.min(batch, 1 + Math.max(0, executor.gate.size - executor.gate.inUse));
        this.woken = false;
        const rows = await this.claim(want);
        if (rows.length === 0) {
          permits[0]!.release();
          permits = [];
          await this.sleep();
          continue;
        }
        for (const row of rows) {
          // A slot taken by HTTP meanwhile makes the rest wait their turn (their lease covers it).
          const permit =
            permits.pop() ??
            executor.gate.tryAcquire() ??
            (await executor.gate.acquire(this.stopAcquire.signal));
          this.track(this.deliver(row, permit));
        }
      } catch (err) {
        for (const p of permits) p.release();
        if (!this.running) break;
        log.error({ err: String(err) }, "outbox dispatcher: claiming failed; retrying shortly");
        await this.sleep(Math.min(this.deps.config.pollMs, 1000));
      }
    }
  }

  private sleep(ms = this.deps.config.pollMs): Promise<void> {
    if (this.woken || !this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.sleeping = () => {
        this.sleeping = null;
        done();
      };
    });
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Claims up to `n` due rows (pending, due, unclaimed or with an expired lease). */
  private async claim(n: number): Promise<OutboxRow[]> {
    const { db, config, processId } = this.deps;
    const due = db
      .select({ id: outbox.id })
      .from(outbox)
      .where(
        and(
          eq(outbox.status, "pending"),
          lte(outbox.runAt, sql`now()`),
          or(isNull(outbox.claimedUntil), lt(outbox.claimedUntil, sql`now()`)),
        ),
      )
      .orderBy(asc(outbox.runAt))
      .limit(n)
      .for("update", { skipLocked: true });
    return db
      .update(outbox)
      .set({
        claimedBy: processId,
        claimedUntil: sql`now() + ${config.leaseMs} * interval '1 millisecond'`,
        attempts: sql`${outbox.attempts} + 1`,
      })
      .where(inArray(outbox.id, due))
      .returning();
  }

  /** Runs one claimed row and records the result. Never throws: the lease covers every failure. */
  private async deliver(row: OutboxRow, permit: Permit): Promise<void> {
    const { executor, log } = this.deps;
    const direct = this.direct.get(row.kind);
    if (direct) {
      // No sandbox runs: the slot goes back at once; the handler bounds its own concurrency.
      permit.release();
      return this.deliverDirect(row, direct);
    }
    let script: RoutableScript | null;
    try {
      script = await this.script(row.appId, row.scriptId);
    } catch (err) {
      permit.release();
      log.error(
        { err: String(err), eventId: row.id },
        "outbox: loading the script failed; the lease will retry it",
      );
      return;
    }
    if (!script) {
      permit.release();
      log.warn({ eventId: row.id, scriptId: row.scriptId }, "outbox: script is gone; delivery dropped");
      await this.finish(row, "done", "the script no longer exists").catch((err) =>
        log.error({ err: String(err), eventId: row.id }, "outbox: recording a dropped delivery failed"),
      );
      return;
    }
    const source = eventSource(row);
    const executionId = row.attempts === 1 ? row.id : uuidv7();
    let error: string | null;
    try {
      const input: EntryInput =
        row.kind === "http"
          ? { request: requestFromPayload(row.payload as HttpPayload) }
          : row.kind === "cron"
            ? { controller: cronController(row.payload) }
            : row.kind === "email_in"
              ? { message: await this.emailMessage(row) }
              : { event: row.payload };
      const run = await executor.start(
        {
          appId: row.appId,
          script,
          // Kinds without a script (email_out) were delivered directly above.
          entry: ENTRY[row.kind as keyof typeof ENTRY],
          input,
          trigger: source,
          rootExecutionId: row.rootId,
          depth: row.depth,
          executionId,
          params: row.kind === "http" ? (row.payload as HttpPayload).params : undefined,
          principalUserId: row.runAs,
          requestLine: row.kind === "http" ? (row.payload as HttpPayload).requestLine : undefined,
          httpStatus:
            row.kind === "http"
              ? (o) => (o.status === "ok" ? (o.response?.status ?? null) : null)
              : undefined,
        },
        permit,
      );
      const f = await run.finished;
      error = failureOf(row, f.outcome, f.late);
    } catch (err) {
      error = `could not start: ${(err as Error).message}`;
    }
    try {
      if (error === null) await this.succeeded(row);
      else await this.failed(row, error, executionId);
    } catch (err) {
      // The lease will hand the row to another attempt; nothing is lost.
      log.error({ err: String(err), eventId: row.id }, "outbox: recording a delivery result failed");
    }
  }

  private async deliverDirect(row: OutboxRow, handler: DirectDelivery): Promise<void> {
    const { log } = this.deps;
    let result: { error: string | null; permanent?: boolean };
    try {
      result = await handler(row);
    } catch (err) {
      result = { error: `delivery failed: ${(err as Error).message}` };
    }
    try {
      if (result.error === null) await this.succeeded(row);
      else await this.failed(row, result.error, null, result.permanent ?? false);
    } catch (err) {
      log.error({ err: String(err), eventId: row.id }, "outbox: recording a delivery result failed");
    }
  }

  private async succeeded(row: OutboxRow): Promise<void> {
    const { db, deadLetters } = this.deps;
    if (!row.deadLetterId) await this.done.add(row.id);
    // A replayed dead letter: its row and the dead letter's state change together.
    else
      await db.transaction(async (tx) => {
        const done = await tx
          .update(outbox)
          .set({ status: "done", finishedAt: new Date(), claimedUntil: null, lastError: null })
          .where(and(eq(outbox.id, row.id), eq(outbox.claimedBy, this.deps.processId)))
          .returning({ id: outbox.id });
        if (done.length > 0)
          await deadLetters.markIfUnresolved(tx, row.deadLetterId!, "handled_by_script", null);
      });
    this.stats.delivered++;
  }

  /** Rows still claimed by this process (a row whose lease passed may be another's by now). */
  private async markDone(ids: string[]): Promise<void> {
    await this.deps.db
      .update(outbox)
      .set({ status: "done", finishedAt: new Date(), claimedUntil: null, lastError: null })
      .where(and(inArray(outbox.id, ids), eq(outbox.claimedBy, this.deps.processId)));
  }

  private async failed(
    row: OutboxRow,
    message: string,
    executionId: string | null,
    permanent = false,
  ): Promise<void> {
    const { db, deadLetters, log, config } = this.deps;
    // The message is the script's own error text: a NUL or an unpaired surrogate in it would fail
    // this update on every attempt (text columns cannot hold them), and the lease would retry forever.
    const error = toStorableText(message);
    const retry = effectiveRetry(row.retry, config.retry);
    if (!permanent && row.attempts < row.maxAttempts) {
      const delay = backoffDelay(retry.backoff, row.attempts, retry.delayMs, retry.maxDelayMs);
      const runAt = new Date(Date.now() + delay);
      await db
        .update(outbox)
        .set({ runAt, claimedBy: null, claimedUntil: null, lastError: error })
        .where(and(eq(outbox.id, row.id), eq(outbox.claimedBy, this.deps.processId)));
      this.stats.retried++;
      this.wakeAt(runAt.getTime());
      log.info(
        { eventId: row.id, attempt: row.attempts, retryInMs: delay, error },
        "delivery failed; will retry",
      );
      return;
    }
    let handlers = 0;
    const candidates = row.deadLetterId ? [] : await deadLetters.handlersFor(row);
    await db.transaction(async (tx) => {
      const dead = await tx
        .update(outbox)
        .set({ status: "dead", finishedAt: new Date(), claimedUntil: null, lastError: error })
        .where(and(eq(outbox.id, row.id), eq(outbox.claimedBy, this.deps.processId)))
        .returning({ id: outbox.id });
      if (dead.length === 0) return;
      if (row.deadLetterId) {
        // A dead-letter handler that failed: mark the original, never make a dead letter of a dead letter.
        await deadLetters.markIfUnresolved(tx, row.deadLetterId, "handler_failed", error);
        return;
      }
      const created = await deadLetters.create(tx, row, error, executionId, candidates);
      handlers = created.handlers;
      log.warn(
        { eventId: row.id, deadLetterId: created.id, attempts: row.attempts, error },
        permanent ? "delivery refused for good: dead letter" : "delivery exhausted its attempts: dead letter",
      );
    });
    this.stats.deadLettered++;
    if (handlers > 0) this.deps.signal.committed();
  }

  private async finish(row: OutboxRow, status: "done" | "dead", lastError: string | null): Promise<void> {
    await this.deps.db
      .update(outbox)
      .set({ status, finishedAt: new Date(), claimedUntil: null, lastError })
      .where(and(eq(outbox.id, row.id), eq(outbox.claimedBy, this.deps.processId)));
  }

  /** Wakes the loop when a scheduled retry becomes due (sooner than the fallback poll). */
  private wakeAt(at: number): void {
    if (!this.running || at >= this.dueAt) return;
    if (this.dueTimer) clearTimeout(this.dueTimer);
    this.dueAt = at;
    this.dueTimer = setTimeout(
      () => {
        this.dueAt = Number.POSITIVE_INFINITY;
        this.dueTimer = null;
        this.wake();
      },
      Math.max(0, at - Date.now()) + 5,
    );
    this.dueTimer.unref();
  }

  private async emailMessage(row: OutboxRow): Promise<unknown> {
    const message = await this.deps.emailMessage?.(row.appId, row.id, row.payload);
    // A failure like any other: retried, then a dead letter that says why.
    if (message == null)
      throw new Error("the stored message is gone (swept after the dead-letter retention)");
    return message;
  }

  private script(appId: string, scriptId: string): Promise<RoutableScript | null> {
    let p = this.scriptCache.get(scriptId);
    if (!p) {
      p = this.deps.scripts.runnable(appId, scriptId);
      this.scriptCache.set(scriptId, p);
      p.catch(() => this.scriptCache.delete(scriptId));
    }
    return p;
  }
}

/** Which handler of the script each kind of row runs. */
const ENTRY = { http: "fetch", cron: "scheduled", trigger: "trigger", email_in: "email" } as const;

/** The `controller` a cron row's `scheduled(controller, env, ctx)` receives. */
function cronController(payload: unknown): { cron: string; scheduledTime: number } {
  const p = payload as { cron: string; scheduledTime: number };
  return { cron: p.cron, scheduledTime: p.scheduledTime };
}

/** Why a finished execution counts as a failed delivery, or null when it succeeded. */
function failureOf(
  row: OutboxRow,
  o: import("../../runtime/index.js").EntryOutcome,
  late: import("../../runtime/index.js").LateFailure | undefined,
): string | null {
  switch (o.status) {
    case "ok":
      if (row.kind === "http" && (o.response?.status ?? 200) >= 500)
        return `the script answered ${o.response?.status}`;
      if (late) return `waitUntil work failed: ${late.message ?? late.status}`;
      return null;
    case "error":
      return `${o.error.name}: ${o.error.message}`;
    case "invalid_response":
      return `invalid response: ${o.message}`;
    case "timeout":
      return "the script exceeded its time limit";
    case "memory":
      return "the script exceeded its memory limit";
  }
}
