/**
 * The enabled triggers of each app, cached in memory by kind, so a KV write
 * with no matching trigger costs no extra query. Dropped on change (the change
 * feed reaches every process).
 */
import { and, eq } from "drizzle-orm";
import type { ChangeFeed } from "../db/change-feed.js";
import type { Db } from "../db/client.js";
import { type RetryPolicy, type TriggerConfig, type TriggerKind, triggers } from "./schema.js";

export interface IndexedTrigger {
  id: string;
  appId: string;
  scriptId: string;
  kind: TriggerKind;
  config: TriggerConfig;
  retry: RetryPolicy;
  runAs: string | null;
}

export class TriggerIndex {
  private readonly byApp = new Map<string, Promise<Map<TriggerKind, IndexedTrigger[]>>>();

  constructor(
    private readonly db: Db,
    changes: ChangeFeed,
  ) {
    changes.subscribe((c) => {
      if (c.topic !== "triggers" && c.topic !== "scripts" && c.topic !== "apps") return;
      if (c.appId) this.byApp.delete(c.appId);
      else this.byApp.clear();
    });
  }

  /** The app's enabled triggers of one kind. */
  async of(appId: string, kind: TriggerKind): Promise<IndexedTrigger[]> {
    let p = this.byApp.get(appId);
    if (!p) {
      p = this.load(appId);
      this.byApp.set(appId, p);
      p.catch(() => this.byApp.delete(appId));
    }
    return (await p).get(kind) ?? [];
  }

  private async load(appId: string): Promise<Map<TriggerKind, IndexedTrigger[]>> {
    const rows = await this.db
      .select()
      .from(triggers)
      .where(and(eq(triggers.appId, appId), eq(triggers.enabled, true)));
    const out = new Map<TriggerKind, IndexedTrigger[]>();
    for (const r of rows) {
      const list = out.get(r.kind) ?? [];
      list.push({
        id: r.id,
        appId: r.appId,
        scriptId: r.scriptId,
        kind: r.kind,
        config: r.config,
        retry: r.retry,
        runAs: r.runAs,
      });
      out.set(r.kind, list);
    }
    return out;
  }
}
