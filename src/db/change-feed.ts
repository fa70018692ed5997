/**
 * Tells every process that configuration changed (routes, scripts, domains…),
 * so in-memory caches are dropped at once: locally right away, and to other
 * processes on the same database through NOTIFY. Payloads are tiny JSON.
 */
import { randomBytes } from "node:crypto";
import type { Notifier } from "./client.js";

export interface Change {
  /** What changed: "apps", "domains", "routes", "scripts", … */
  topic: string;
  appId?: string;
}

const CHANNEL = "picloud_changes";

export class ChangeFeed {
  private readonly listeners = new Set<(c: Change) => void>();
  private readonly origin = randomBytes(6).toString("hex");
  private unlisten?: () => Promise<void>;

  constructor(
    private readonly notifier: Notifier,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** Starts receiving other processes' changes. */
  async start(): Promise<void> {
    if (this.unlisten) return;
    this.unlisten = await this.notifier.listen(CHANNEL, (payload) => {
      try {
        const { o, ...change } = JSON.parse(payload) as Change & { o: string };
        if (o !== this.origin) this.emit(change);
      } catch (err) {
        this.onError(err);
      }
    });
  }

  async stop(): Promise<void> {
    const u = this.unlisten;
    this.unlisten = undefined;
    await u?.().catch(this.onError);
  }

  subscribe(listener: (c: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Call after the change committed. */
  publish(change: Change): void {
    this.emit(change);
    this.notifier.notify(CHANNEL, JSON.stringify({ ...change, o: this.origin })).catch(this.onError);
  }

  private emit(change: Change): void {
    for (const l of this.listeners) l(change);
  }
}
