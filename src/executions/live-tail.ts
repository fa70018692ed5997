/**
 * Live view of executions as they happen, for `picloud tail` and the
 * dashboard: console lines while a script runs and a summary when it ends.
 * In-process and best-effort: a slow listener only loses its own events.
 */

export type TailEvent =
  | {
      type: "log";
      appId: string;
      executionId: string;
      scriptName: string;
      level: string;
      message: string;
      at: number;
    }
  | { type: "execution"; appId: string; execution: Record<string, unknown> };

export class LiveTail {
  private readonly listeners = new Map<string, Set<(e: TailEvent) => void>>();

  /** Listens to one app's events; returns the unsubscribe function. */
  subscribe(appId: string, listener: (e: TailEvent) => void): () => void {
    let set = this.listeners.get(appId);
    if (!set) {
      set = new Set();
      this.listeners.set(appId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(appId);
    };
  }

  /** True when someone listens to the app (so callers can skip building events). */
  watching(appId: string): boolean {
    return this.listeners.has(appId);
  }

  emit(event: TailEvent): void {
    const set = this.listeners.get(event.appId);
    if (!set) return;
    for (const l of set) {
      try {
        l(event);
      } catch {
        /* a broken listener must not break the execution */
      }
    }
  }
}
