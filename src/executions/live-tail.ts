/**
 * Live view of executions as they happen, for `picloud tail` and the
 * dashboard: console lines while a script runs and a summary when it ends.
 * Best-effort: a slow listener only loses its own events. Listeners are local
 * to the process; a TailRelay (tail-relay.ts) carries the events of apps
 * watched on other processes sharing the database.
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

/** What LiveTail needs from a relay to other processes. */
export interface TailOutlet {
  /** An app got its first listener here: tell the other processes at once. */
  watched(appId: string): void;
  send(event: TailEvent): void;
}

export class LiveTail {
  private readonly listeners = new Map<string, Set<(e: TailEvent) => void>>();
  /** Apps watched on another process, until when (ms since the epoch). */
  private readonly remote = new Map<string, number>();
  private outlet: TailOutlet | null = null;

  /** Connects the relay to other processes; null disconnects it and forgets their watches. */
  connect(outlet: TailOutlet | null): void {
    this.outlet = outlet;
    if (!outlet) this.remote.clear();
  }

  /** Forgets watches from other processes that have expired. */
  pruneRemote(now = Date.now()): void {
    for (const [appId, until] of this.remote) if (until <= now) this.remote.delete(appId);
  }

  /** The apps with listeners in this process. */
  localApps(): string[] {
    return [...this.listeners.keys()];
  }

  /** Another process watches `appId` until `until`. */
  watchedElsewhere(appId: string, until: number): void {
    if (until > (this.remote.get(appId) ?? 0)) this.remote.set(appId, until);
  }

  /** Listens to one app's events; returns the unsubscribe function. */
  subscribe(appId: string, listener: (e: TailEvent) => void): () => void {
    let set = this.listeners.get(appId);
    if (!set) {
      set = new Set();
      this.listeners.set(appId, set);
      this.outlet?.watched(appId);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(appId);
    };
  }

  /** True when someone listens to the app, here or elsewhere (so callers can skip building events). */
  watching(appId: string): boolean {
    return this.listeners.has(appId) || this.#remotelyWatched(appId);
  }

  #remotelyWatched(appId: string): boolean {
    const until = this.remote.get(appId);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.remote.delete(appId);
    return false;
  }

  /** An event of this process: to its listeners, and to the other processes when they watch the app. */
  emit(event: TailEvent): void {
    this.deliver(event);
    if (this.outlet && this.#remotelyWatched(event.appId)) this.outlet.send(event);
  }

  /** To this process's listeners only (events relayed from another process). */
  deliver(event: TailEvent): void {
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
