/**
 * What the data plane needs on every request, kept in memory: the host → app
 * table and each app's route table. Dropped when the change feed says apps,
 * domains, scripts or routes changed (in this process at once, in others
 * through NOTIFY), and rebuilt on the next request.
 */
import { and, eq, isNotNull } from "drizzle-orm";
import { DEFAULT_APP_SLUG } from "../apps/apps.js";
import { appDomains, apps } from "../apps/schema.js";
import type { ChangeFeed } from "../db/change-feed.js";
import type { Db } from "../db/client.js";
import { routes, scripts, scriptVersions } from "../scripts/schema.js";
import { buildHostTable, type HostPolicy, type HostTable } from "./host-resolver.js";
import { RouteTable } from "./route-table.js";

export class RoutingCache {
  private hosts: Promise<HostTable> | null = null;
  private readonly tables = new Map<string, Promise<RouteTable>>();

  constructor(
    private readonly db: Db,
    private readonly policy: HostPolicy,
    changes: ChangeFeed,
  ) {
    changes.subscribe((c) => {
      if (c.topic === "apps" || c.topic === "domains") this.hosts = null;
      if (c.topic === "apps" || c.topic === "routes" || c.topic === "scripts") {
        if (c.appId) this.tables.delete(c.appId);
        else this.tables.clear();
      }
    });
  }

  hostTable(): Promise<HostTable> {
    if (!this.hosts) {
      const loading = this.loadHosts();
      this.hosts = loading;
      loading.catch(() => {
        if (this.hosts === loading) this.hosts = null;
      });
    }
    return this.hosts;
  }

  routeTable(appId: string): Promise<RouteTable> {
    let t = this.tables.get(appId);
    if (!t) {
      const loading = this.loadRoutes(appId);
      t = loading;
      this.tables.set(appId, loading);
      loading.catch(() => {
        if (this.tables.get(appId) === loading) this.tables.delete(appId);
      });
    }
    return t;
  }

  private async loadHosts(): Promise<HostTable> {
    const [appRows, domainRows] = await Promise.all([
      this.db.select({ id: apps.id, slug: apps.slug }).from(apps),
      this.db.select({ appId: appDomains.appId, hostname: appDomains.hostname }).from(appDomains),
    ]);
    const defaultApp = appRows.find((a) => a.slug === DEFAULT_APP_SLUG);
    return buildHostTable(domainRows, appRows, defaultApp?.id ?? null, this.policy);
  }

  private async loadRoutes(appId: string): Promise<RouteTable> {
    const rows = await this.db
      .select({ r: routes, s: scripts, version: scriptVersions.version, modules: scriptVersions.modules })
      .from(routes)
      .innerJoin(scripts, eq(scripts.id, routes.scriptId))
      .innerJoin(scriptVersions, eq(scriptVersions.id, scripts.currentVersionId))
      .where(and(eq(routes.appId, appId), eq(scripts.appId, appId), isNotNull(scripts.currentVersionId)));
    return new RouteTable(
      rows.map(({ r, s, version, modules }) => ({
        id: r.id,
        methods: r.methods,
        path: r.path,
        host: r.host,
        dispatch: r.dispatch,
        script: {
          id: s.id,
          name: s.name,
          versionId: s.currentVersionId!,
          version,
          isolation: s.isolation,
          limits: s.limits,
          modules,
        },
      })),
    );
  }
}
