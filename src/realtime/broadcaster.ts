/**
 * Fans published messages out to the live SSE subscribers of a topic: at once
 * in this process, and to other processes on the same PostgreSQL with NOTIFY
 * (the message inline when small, else its id, and the receiver reads it from
 * the replay table). Best effort: a subscriber that is gone or slow never holds
 * a publisher up.
 */
import { randomBytes } from "node:crypto";
import { and, asc, eq, gt, lt } from "drizzle-orm";
import { deleteInBatches } from "../db/batched-delete.js";
import type { Db, Notifier } from "../db/client.js";
import { isUuid } from "../lib/ids.js";
import type { Logger } from "../lib/logger.js";
import { realtimeMessages } from "./schema.js";

export interface RealtimeMessage {
  id: string;
  topic: string;
  message: unknown;
  publishedAt: string;
}

type Listener = (m: RealtimeMessage) => void;

const CHANNEL = "picloud_realtime";
// NOTIFY payloads are limited to 8000 bytes; bigger messages travel by id.
const INLINE_LIMIT = 6000;

export class Broadcaster {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly origin = randomBytes(6).toString("hex");
  private unlisten: (() => Promise<void>) | null = null;

  constructor(
    private readonly db: Db,
    private readonly notifier: Notifier,
    private readonly crossProcess: boolean,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    if (!this.crossProcess || this.unlisten) return;
    this.unlisten = await this.notifier.listen(CHANNEL, (payload) => void this.fromOtherProcess(payload));
  }

  async stop(): Promise<void> {
    const u = this.unlisten;
    this.unlisten = null;
    await u?.().catch(() => {});
  }

  subscribe(appId: string, topic: string, listener: Listener): () => void {
    const key = `${appId} ${topic}`;
    let set = this.listeners.get(key);
    if (!set) {
      set = new Set();
      this.listeners.set(key, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(key);
    };
  }

  get subscribers(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }

  /** Call after the publishing transaction committed. */
  publish(appId: string, m: RealtimeMessage): void {
    this.deliver(appId, m);
    if (!this.crossProcess) return;
    const json = JSON.stringify({
      o: this.origin,
      a: appId,
      id: m.id,
      t: m.topic,
      p: m.publishedAt,
      m: m.message,
    });
    const payload =
      json.length <= INLINE_LIMIT ? json : JSON.stringify({ o: this.origin, a: appId, id: m.id });
    this.notifier
      .notify(CHANNEL, payload)
      .catch((err) => this.log.warn({ err: String(err) }, "realtime notify failed"));
  }

  /** Messages of a topic published after `afterId` (the SSE Last-Event-ID), oldest first, within the replay window. */
  async replay(appId: string, topic: string, afterId: string, limit: number): Promise<RealtimeMessage[]> {
    if (!isUuid(afterId) || limit <= 0) return [];
    const rows = await this.db
      .select()
      .from(realtimeMessages)
      .where(
        and(
          eq(realtimeMessages.appId, appId),
          eq(realtimeMessages.topic, topic),
          gt(realtimeMessages.id, afterId),
        ),
      )
      .orderBy(asc(realtimeMessages.id))
      .limit(limit);
    return rows.map(toMessage);
  }

  /** Deletes messages older than the replay window, in batches; returns how many. */
  sweep(before: Date, batchSize = 1000, maxBatches = 20): Promise<number> {
    return deleteInBatches(this.db, {
      table: realtimeMessages,
      id: realtimeMessages.id,
      where: lt(realtimeMessages.publishedAt, before),
      batchSize,
      maxBatches,
    });
  }

  private deliver(appId: string, m: RealtimeMessage): void {
    const set = this.listeners.get(`${appId} ${m.topic}`);
    if (!set) return;
    for (const l of set) {
      try {
        l(m);
      } catch (err) {
        this.log.warn({ err: String(err) }, "realtime subscriber failed");
      }
    }
  }

  private async fromOtherProcess(payload: string): Promise<void> {
    try {
      const p = JSON.parse(payload) as {
        o: string;
        a: string;
        id: string;
        t?: string;
        p?: string;
        m?: unknown;
      };
      if (p.o === this.origin) return;
      if (p.t !== undefined && p.p !== undefined && "m" in p) {
        this.deliver(p.a, { id: p.id, topic: p.t, message: p.m, publishedAt: p.p });
        return;
      }
      const [row] = await this.db.select().from(realtimeMessages).where(eq(realtimeMessages.id, p.id));
      if (row) this.deliver(p.a, toMessage(row));
    } catch (err) {
      this.log.warn({ err: String(err) }, "realtime: bad notification from another process");
    }
  }
}

function toMessage(r: typeof realtimeMessages.$inferSelect): RealtimeMessage {
  return { id: r.id, topic: r.topic, message: r.message, publishedAt: r.publishedAt.toISOString() };
}
