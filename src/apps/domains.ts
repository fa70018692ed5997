/** Hostnames an app answers on (exact or `*.example.com`), unique across the instance — the database enforces it. */
import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { uniqueViolation } from "../db/errors.js";
import { conflict, notFound, PicloudError } from "../lib/errors.js";
import { uuidv7 } from "../lib/ids.js";
import { type HostnameClaimContext, hostnameClaimRefusal } from "./hostname-claims.js";
import { appDomains } from "./schema.js";

export interface DomainView {
  id: string;
  hostname: string;
  createdAt: string;
}

const toView = (d: typeof appDomains.$inferSelect): DomainView => ({
  id: d.id,
  hostname: d.hostname,
  createdAt: d.createdAt.toISOString(),
});

export class AppDomains {
  constructor(
    private readonly db: Db,
    private readonly claims: HostnameClaimContext,
  ) {}

  async list(appId: string): Promise<DomainView[]> {
    const rows = await this.db
      .select()
      .from(appDomains)
      .where(eq(appDomains.appId, appId))
      .orderBy(asc(appDomains.hostname));
    return rows.map(toView);
  }

  /**
   * Points `hostname` at the app, if the app may claim it (hostname-claims.ts);
   * `mayClaimCustom` says whether the caller may add names outside the base domain.
   */
  async add(
    app: { id: string; slug: string },
    hostname: string,
    mayClaimCustom: boolean,
  ): Promise<DomainView> {
    const refusal = hostnameClaimRefusal(hostname, app.slug, this.claims, mayClaimCustom);
    if (refusal)
      throw new PicloudError(
        refusal.status,
        refusal.status === 400 ? "validation_failed" : "forbidden",
        refusal.message,
        {
          field: "hostname",
        },
      );
    try {
      const [row] = await this.db
        .insert(appDomains)
        .values({ id: uuidv7(), appId: app.id, hostname })
        .returning();
      return toView(row!);
    } catch (err) {
      if (uniqueViolation(err))
        throw conflict(`hostname ${hostname} is already in use`, { field: "hostname" });
      throw err;
    }
  }

  /** The app's domains under `<slug>.<base domain>`: names that belong to the slug, not to the app. */
  async underSlug(appId: string, slug: string): Promise<string[]> {
    const suffix = `.${slug}.${this.claims.baseDomain}`;
    return (await this.list(appId)).map((d) => d.hostname).filter((h) => h.endsWith(suffix));
  }

  /** Removes by hostname or id, only within the app. */
  async remove(appId: string, ref: string): Promise<void> {
    const key = ref.toLowerCase();
    const byId = /^[0-9a-f-]{36}$/.test(key);
    const rows = await this.db
      .delete(appDomains)
      .where(and(eq(appDomains.appId, appId), byId ? eq(appDomains.id, key) : eq(appDomains.hostname, key)))
      .returning({ id: appDomains.id });
    if (rows.length === 0) throw notFound("domain");
  }

  /** Every domain of every app, for the data plane's host → app table. */
  async all(): Promise<{ appId: string; hostname: string }[]> {
    return this.db.select({ appId: appDomains.appId, hostname: appDomains.hostname }).from(appDomains);
  }
}
