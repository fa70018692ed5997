/**
 * Turns a data change into outbox rows for every matching trigger, inside the
 * writer's transaction. Enforces the trigger depth: an event deeper than
 * PICLOUD_MAX_TRIGGER_DEPTH is dropped with a log line and a count, never
 * dead-lettered, so loops end.
 */
import type { BindingContext } from "../bindings/index.js";
import type { EventsConfig } from "../config/env.js";
import type { DbOrTx } from "../db/client.js";
import { uuidv7 } from "../lib/ids.js";
import type { Logger } from "../lib/logger.js";
import { enqueue, type OutboxSignal } from "./outbox.js";
import type { TriggerKind } from "./schema.js";
import type { IndexedTrigger, TriggerIndex } from "./trigger-index.js";

/** The part of an event every source shares; the rest (key, value, prev…) is source-specific. */
export interface EventBody {
  source: TriggerKind;
  op: string;
  [field: string]: unknown;
}

export class EventFanout {
  droppedForDepth = 0;

  constructor(
    private readonly index: TriggerIndex,
    readonly signal: OutboxSignal,
    private readonly config: EventsConfig,
    private readonly log: Logger,
  ) {}

  /** The app's triggers of a kind that accept an event; cheap (cached) so writers can skip the transaction when none do. */
  async matching(
    appId: string,
    kind: TriggerKind,
    accepts: (t: IndexedTrigger) => boolean,
  ): Promise<IndexedTrigger[]> {
    return (await this.index.of(appId, kind)).filter(accepts);
  }

  /**
   * Enqueues one delivery per trigger in the caller's transaction. The event
   * caused by an execution at depth d has depth d + 1. Returns how many were
   * enqueued; the caller calls `signal.committed()` after its commit when > 0.
   */
  async emit(
    tx: DbOrTx,
    ctx: Pick<BindingContext, "appId" | "depth" | "rootExecutionId">,
    matched: IndexedTrigger[],
    body: EventBody,
  ): Promise<number> {
    if (matched.length === 0) return 0;
    const depth = ctx.depth + 1;
    if (depth > this.config.maxDepth) {
      this.droppedForDepth++;
      this.log.warn(
        {
          appId: ctx.appId,
          source: body.source,
          op: body.op,
          depth,
          maxDepth: this.config.maxDepth,
          rootExecutionId: ctx.rootExecutionId,
        },
        "event dropped: trigger depth limit reached (a trigger loop?)",
      );
      return 0;
    }
    const at = new Date().toISOString();
    await enqueue(
      tx,
      matched.map((t) => {
        const id = uuidv7();
        return {
          id,
          appId: ctx.appId,
          kind: "trigger" as const,
          triggerId: t.id,
          scriptId: t.scriptId,
          payload: { id, ...body, at },
          depth,
          rootId: ctx.rootExecutionId,
          runAs: t.runAs,
          retry: t.retry,
        };
      }),
      this.config.retry,
    );
    return matched.length;
  }
}
