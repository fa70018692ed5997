/**
 * Dead letters: deliveries that ran out of attempts, kept with their event,
 * attempts, last error and ids (SPEC §5). Creating one fires the app's
 * `dead_letter` triggers; a dead-letter handler's own failure never makes
 * another dead letter, it marks the original `handler_failed`. Replay
 * re-enqueues the event at its original depth.
 */
import { and, count, desc, eq, inArray, isNotNull, isNull, lt, type SQL } from "drizzle-orm";
import type { EventsConfig } from "../config/env.js";
import { deleteInBatches } from "../db/batched-delete.js";
import type { Db, DbOrTx } from "../db/client.js";
import { badRequest, conflict, notFound } from "../lib/errors.js";
import { isUuid, uuidv7 } from "../lib/ids.js";
import { enqueue, type OutboxSignal } from "./outbox.js";
import { type DeadLetterResolution, deadLetters, type outbox } from "./schema.js";
import { globMatches } from "./trigger-config.js";
import type { IndexedTrigger, TriggerIndex } from "./trigger-index.js";

type OutboxRow = typeof outbox.$inferSelect;
type DeadLetterRow = typeof deadLetters.$inferSelect;

export function toDeadLetterView(d: DeadLetterRow) {
  return {
    id: d.id,
    appId: d.appId,
    eventId: d.eventId,
    kind: d.kind,
    source: d.source,
    triggerId: d.triggerId,
    scriptId: d.scriptId,
    payload: d.payload,
    depth: d.depth,
    rootId: d.rootId,
    attempts: d.attempts,
    lastError: d.lastError,
    lastExecutionId: d.lastExecutionId,
    createdAt: d.createdAt.toISOString(),
    resolution: d.resolution,
    resolvedAt: d.resolvedAt?.toISOString() ?? null,
    resolvedBy: d.resolvedBy,
    reason: d.reason,
  };
}
export type DeadLetterView = ReturnType<typeof toDeadLetterView>;

/** What produced an outbox row's event: kv, docs, … for triggers, http for async requests, cron for schedules. */
export function eventSource(row: Pick<OutboxRow, "kind" | "payload">): string {
  if (row.kind === "http" || row.kind === "cron") return row.kind;
  const source = (row.payload as { source?: unknown } | null)?.source;
  return typeof source === "string" ? source : "unknown";
}

export class DeadLetters {
  constructor(
    private readonly db: Db,
    private readonly index: TriggerIndex,
    private readonly signal: OutboxSignal,
    private readonly config: EventsConfig,
  ) {}

  /**
   * The dead_letter triggers a dead letter of this row will fire. Call before
   * opening the transaction for create(): on PGlite (one connection) a query
   * outside an open transaction would wait for it forever.
   */
  async handlersFor(row: OutboxRow): Promise<IndexedTrigger[]> {
    const source = eventSource(row);
    return (await this.index.of(row.appId, "dead_letter")).filter((t) =>
      globMatches(String(t.config.source ?? "*"), source),
    );
  }

  /** Records an exhausted delivery and enqueues the given dead_letter triggers, in the caller's transaction. */
  async create(
    tx: DbOrTx,
    row: OutboxRow,
    lastError: string,
    lastExecutionId: string | null,
    handlers: IndexedTrigger[],
  ): Promise<{ id: string; handlers: number }> {
    const id = uuidv7();
    const source = eventSource(row);
    const [dl] = await tx
      .insert(deadLetters)
      .values({
        id,
        appId: row.appId,
        eventId: row.id,
        kind: row.kind,
        source,
        triggerId: row.triggerId,
        scriptId: row.scriptId,
        payload: row.payload,
        depth: row.depth,
        rootId: row.rootId,
        runAs: row.runAs,
        attempts: row.attempts,
        lastError,
        lastExecutionId,
      })
      .returning();
    await enqueue(
      tx,
      handlers.map((t) => {
        const eventId = uuidv7();
        return {
          id: eventId,
          appId: row.appId,
          kind: "trigger" as const,
          triggerId: t.id,
          scriptId: t.scriptId,
          payload: {
            id: eventId,
            source: "dead_letter",
            op: "created",
            deadLetter: toDeadLetterView(dl!),
            at: new Date().toISOString(),
          },
          depth: row.depth,
          rootId: row.rootId,
          runAs: t.runAs,
          retry: t.retry,
          deadLetterId: id,
        };
      }),
      this.config.retry,
    );
    return { id, handlers: handlers.length };
  }

  /** Marks a dead letter resolved unless it already is (a handler's outcome never overrides a person's decision). */
  async markIfUnresolved(
    tx: DbOrTx,
    id: string,
    resolution: DeadLetterResolution,
    reason: string | null,
  ): Promise<void> {
    await tx
      .update(deadLetters)
      .set({ resolution, resolvedAt: new Date(), reason })
      .where(and(eq(deadLetters.id, id), isNull(deadLetters.resolution)));
  }

  async list(
    appId: string,
    opts: { status: "unresolved" | "resolved" | "all"; limit: number; cursor?: string },
  ): Promise<{ items: DeadLetterView[]; cursor: string | null }> {
    const where: (SQL | undefined)[] = [eq(deadLetters.appId, appId)];
    if (opts.status === "unresolved") where.push(isNull(deadLetters.resolution));
    if (opts.status === "resolved") where.push(isNotNull(deadLetters.resolution));
    if (opts.cursor) {
      if (!isUuid(opts.cursor)) throw badRequest("cursor is invalid", { field: "cursor" });
      where.push(lt(deadLetters.id, opts.cursor));
    }
    const rows = await this.db
      .select()
      .from(deadLetters)
      .where(and(...where))
      .orderBy(desc(deadLetters.id))
      .limit(opts.limit + 1);
    const page = rows.slice(0, opts.limit);
    return {
      items: page.map(toDeadLetterView),
      cursor: rows.length > opts.limit ? page[page.length - 1]!.id : null,
    };
  }

  async get(appId: string, id: string): Promise<DeadLetterView> {
    if (!isUuid(id)) throw notFound("dead letter");
    const [row] = await this.db
      .select()
      .from(deadLetters)
      .where(and(eq(deadLetters.appId, appId), eq(deadLetters.id, id)));
    if (!row) throw notFound("dead letter");
    return toDeadLetterView(row);
  }

  /** Re-enqueues the event (same payload, same depth) and marks the dead letter `replayed`. */
  async replay(
    appId: string,
    id: string,
    by: string | null,
  ): Promise<{ deadLetter: DeadLetterView; eventId: string }> {
    if (!isUuid(id)) throw notFound("dead letter");
    const result = await this.db.transaction(async (tx) => {
      const [dl] = await tx
        .select()
        .from(deadLetters)
        .where(and(eq(deadLetters.appId, appId), eq(deadLetters.id, id)))
        .for("update");
      if (!dl) throw notFound("dead letter");
      if (dl.resolution === "replayed") throw conflict("this dead letter was already replayed");
      const [eventId] = await enqueue(
        tx,
        [
          {
            appId,
            kind: dl.kind,
            triggerId: dl.triggerId,
            scriptId: dl.scriptId,
            payload: dl.payload,
            depth: dl.depth,
            rootId: dl.rootId,
            runAs: dl.runAs,
            retry: {},
          },
        ],
        this.config.retry,
      );
      const [updated] = await tx
        .update(deadLetters)
        .set({ resolution: "replayed", resolvedAt: new Date(), resolvedBy: by, reason: null })
        .where(eq(deadLetters.id, id))
        .returning();
      return { deadLetter: toDeadLetterView(updated!), eventId: eventId! };
    });
    this.signal.committed();
    return result;
  }

  async resolve(
    appId: string,
    id: string,
    resolution: "ignored" | "handled_by_script",
    reason: string | null,
    by: string | null,
  ): Promise<DeadLetterView> {
    if (!isUuid(id)) throw notFound("dead letter");
    const [row] = await this.db
      .update(deadLetters)
      .set({ resolution, resolvedAt: new Date(), resolvedBy: by, reason })
      .where(and(eq(deadLetters.appId, appId), eq(deadLetters.id, id)))
      .returning();
    if (!row) throw notFound("dead letter");
    return toDeadLetterView(row);
  }

  /** Unresolved dead letters per app (for badges). */
  async unresolvedCounts(appIds: string[]): Promise<Map<string, number>> {
    if (appIds.length === 0) return new Map();
    const rows = await this.db
      .select({ appId: deadLetters.appId, n: count() })
      .from(deadLetters)
      .where(and(inArray(deadLetters.appId, appIds), isNull(deadLetters.resolution)))
      .groupBy(deadLetters.appId);
    return new Map(rows.map((r) => [r.appId, Number(r.n)]));
  }

  /** Deletes dead letters older than `before`, in batches; returns how many. */
  sweep(before: Date, batchSize = 1000, maxBatches = 20): Promise<number> {
    return deleteInBatches(this.db, {
      table: deadLetters,
      id: deadLetters.id,
      where: lt(deadLetters.createdAt, before),
      batchSize,
      maxBatches,
    });
  }
}
