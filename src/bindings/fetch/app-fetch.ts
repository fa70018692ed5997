/**
 * One SSRF-guarded fetch per app, built with the app's allowlist (set by
 * instance admins) and cached until the app changes (change feed).
 */
import { eq } from "drizzle-orm";
import type { HostRequest, HostResponse } from "../../../runtime/index.js";
import { apps } from "../../apps/schema.js";
import type { ChangeFeed } from "../../db/change-feed.js";
import type { Db } from "../../db/client.js";
import { createGuardedFetch, type GuardedFetchOptions } from "./guarded-fetch.js";

type Fetch = (req: HostRequest, signal: AbortSignal) => Promise<HostResponse>;

export class AppFetch {
  private readonly perApp = new Map<string, Promise<Fetch>>();

  constructor(
    private readonly db: Db,
    changes: ChangeFeed,
    private readonly options: Omit<GuardedFetchOptions, "allow">,
  ) {
    changes.subscribe((c) => {
      if (c.topic !== "apps") return;
      if (c.appId) this.perApp.delete(c.appId);
      else this.perApp.clear();
    });
  }

  /** The guest `fetch` of an app's executions. */
  for(appId: string): Promise<Fetch> {
    let f = this.perApp.get(appId);
    if (!f) {
      f = this.db
        .select({ allow: apps.fetchAllow })
        .from(apps)
        .where(eq(apps.id, appId))
        .then((rows) => createGuardedFetch({ ...this.options, allow: rows[0]?.allow ?? [] }));
      this.perApp.set(appId, f);
      f.catch(() => this.perApp.delete(appId));
    }
    return f;
  }
}
