/**
 * Prepares snapshot sandboxes off the request path, so a deployed script's
 * first request does not pay for evaluating it: the routed scripts of an app
 * right after its routes or scripts change (a deploy, here or in another
 * process), and at start the routed scripts of the apps, up to AT_START
 * scripts. One preparation at a time, in the background; a failure is only
 * logged, and the first request then prepares instead.
 */
import { apps } from "../apps/schema.js";
import type { ChangeFeed } from "../db/change-feed.js";
import type { Db } from "../db/client.js";
import type { Logger } from "../lib/logger.js";
import type { Executor } from "./executor.js";
import type { RoutableScript } from "./route-table.js";
import type { RoutingCache } from "./routing-cache.js";

/** Scripts prepared at start (the rest prepare on their first request). */
const AT_START = 32;
/** Changes of one app often come in bursts (apps, routes, scripts): prepare once after them. */
const SETTLE_MS = 100;

export class SandboxPrewarm {
  readonly #queue: RoutableScript[] = [];
  readonly #waiting = new Map<string, NodeJS.Timeout>();
  #running = false;
  #stopped = false;
  readonly #unsubscribe: () => void;

  constructor(
    private readonly deps: {
      db: Db;
      routing: RoutingCache;
      executor: Executor;
      changes: ChangeFeed;
      log: Logger;
    },
  ) {
    this.#unsubscribe = deps.changes.subscribe((c) => {
      if (c.appId && (c.topic === "routes" || c.topic === "scripts")) this.#appChanged(c.appId);
    });
  }

  /** Queues the routed scripts of every app, up to AT_START. */
  async atStart(): Promise<void> {
    const rows = await this.deps.db.select({ id: apps.id }).from(apps);
    let queued = 0;
    for (const { id } of rows) {
      if (queued >= AT_START || this.#stopped) return;
      const table = await this.deps.routing.routeTable(id);
      for (const script of table.scripts.slice(0, AT_START - queued)) this.#queue.push(script);
      queued += Math.min(table.scripts.length, AT_START);
      this.#drain();
    }
  }

  #appChanged(appId: string): void {
    clearTimeout(this.#waiting.get(appId));
    const timer = setTimeout(() => {
      this.#waiting.delete(appId);
      this.deps.routing.routeTable(appId).then(
        (table) => {
          this.#queue.push(...table.scripts);
          this.#drain();
        },
        (err) => this.deps.log.debug({ appId, err: String(err) }, "sandbox prewarm: loading routes failed"),
      );
    }, SETTLE_MS);
    timer.unref();
    this.#waiting.set(appId, timer);
  }

  #drain(): void {
    if (this.#running || this.#stopped) return;
    const script = this.#queue.shift();
    if (!script) return;
    this.#running = true;
    this.deps.executor
      .prepare(script)
      .catch((err) =>
        this.deps.log.debug({ scriptId: script.id, err: String(err) }, "sandbox prewarm: preparing failed"),
      )
      .finally(() => {
        this.#running = false;
        this.#drain();
      });
  }

  stop(): void {
    this.#stopped = true;
    this.#unsubscribe();
    for (const timer of this.#waiting.values()) clearTimeout(timer);
    this.#queue.length = 0;
  }
}
