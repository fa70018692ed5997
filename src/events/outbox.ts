/**
 * The outbox: the one durable path of asynchronous work (SPEC §5). Writers
 * insert rows with `enqueue(tx, …)` inside the transaction of the write that
 * caused them (no event lost, none invented), then call `signal.committed()`
 * once after commit: the dispatcher in this process wakes at once, and one
 * NOTIFY per commit wakes the other processes.
 */
import type { EventsConfig } from "../config/env.js";
import type { DbOrTx, Notifier } from "../db/client.js";
import { uuidv7 } from "../lib/ids.js";
import { type OutboxKind, outbox, type RetryPolicy } from "./schema.js";

export const OUTBOX_CHANNEL = "picloud_outbox";

export interface OutboxEntry {
  id?: string;
  appId: string;
  kind: OutboxKind;
  triggerId: string | null;
  scriptId: string;
  payload: unknown;
  depth: number;
  rootId: string;
  runAs: string | null;
  retry: RetryPolicy;
  deadLetterId?: string | null;
  runAt?: Date;
}

/** A trigger's retry policy with the instance defaults filled in. */
export function effectiveRetry(policy: RetryPolicy, defaults: EventsConfig["retry"]): Required<RetryPolicy> {
  return {
    maxAttempts: policy.maxAttempts ?? defaults.maxAttempts,
    backoff: policy.backoff ?? defaults.backoff,
    delayMs: policy.delayMs ?? defaults.delayMs,
    maxDelayMs: policy.maxDelayMs ?? defaults.maxDelayMs,
  };
}

/** Inserts outbox rows in the caller's transaction; returns their ids. */
export async function enqueue(
  tx: DbOrTx,
  entries: OutboxEntry[],
  defaults: EventsConfig["retry"],
): Promise<string[]> {
  if (entries.length === 0) return [];
  const rows = entries.map((e) => {
    const retry = effectiveRetry(e.retry, defaults);
    return {
      id: e.id ?? uuidv7(),
      appId: e.appId,
      kind: e.kind,
      triggerId: e.triggerId,
      scriptId: e.scriptId,
      payload: e.payload,
      depth: e.depth,
      rootId: e.rootId,
      runAs: e.runAs,
      maxAttempts: retry.maxAttempts,
      retry,
      deadLetterId: e.deadLetterId ?? null,
      ...(e.runAt ? { runAt: e.runAt } : {}),
    };
  });
  await tx.insert(outbox).values(rows);
  return rows.map((r) => r.id);
}

/** Wakes dispatchers after a commit that enqueued work. */
export class OutboxSignal {
  private readonly local = new Set<() => void>();
  private pendingNotify = false;

  /** `crossProcess` false (PGlite: one process by construction) skips the NOTIFY. */
  constructor(
    private readonly notifier: Notifier,
    private readonly crossProcess: boolean,
    private readonly onError: (err: unknown) => void,
  ) {}

  onWake(listener: () => void): () => void {
    this.local.add(listener);
    return () => this.local.delete(listener);
  }

  /** Call once after a commit that enqueued rows. Coalesces a burst of commits into one NOTIFY per tick. */
  committed(): void {
    for (const l of this.local) l();
    if (!this.crossProcess || this.pendingNotify) return;
    this.pendingNotify = true;
    queueMicrotask(() => {
      this.pendingNotify = false;
      this.notifier.notify(OUTBOX_CHANNEL, "").catch(this.onError);
    });
  }

  /** Subscribes to other processes' commits. */
  listen(onWake: () => void): Promise<() => Promise<void>> {
    return this.notifier.listen(OUTBOX_CHANNEL, onWake);
  }
}
