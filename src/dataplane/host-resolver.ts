/**
 * Finds the app a request is for from its Host header (SPEC §4): an app
 * domain (exact, then the longest matching wildcard), then `<slug>.<base
 * domain>`, else the default app. The admin hosts serve no app, unless the
 * operator named one for them (PICLOUD_ADMIN_HOST_APP).
 */
import { hostnameClaimRefusal } from "../apps/hostname-claims.js";
import type { AdminOrigin } from "../config/admin-origin.js";

/** What decides host → app besides the apps and domains themselves. */
export interface HostPolicy {
  baseDomain: string;
  admin: AdminOrigin;
  /** Slug of the app served on the admin hosts too, or null (the default: none). */
  adminHostApp: string | null;
}

export interface HostTable {
  exact: Map<string, string>;
  /** Wildcard suffixes like ".example.com" → app id, longest first. */
  wildcards: [string, string][];
  slugs: Map<string, string>;
  defaultAppId: string | null;
  baseDomain: string;
  admin: AdminOrigin;
  adminHostAppId: string | null;
}

/** The host part of a Host header value, lower-cased, without port or trailing dot. */
export function hostnameOf(hostHeader: string | undefined): string {
  if (!hostHeader) return "";
  let h = hostHeader.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.lastIndexOf(":");
  if (colon !== -1) h = h.slice(0, colon);
  return h.endsWith(".") ? h.slice(0, -1) : h;
}

export function buildHostTable(
  domains: { appId: string; hostname: string }[],
  apps: { id: string; slug: string }[],
  defaultAppId: string | null,
  policy: HostPolicy,
): HostTable {
  const slugOf = new Map(apps.map((a) => [a.id, a.slug]));
  const exact = new Map<string, string>();
  const wildcards: [string, string][] = [];
  for (const d of domains) {
    // A row that breaks today's claim rules (stored before they existed, or an app renamed since) answers nothing.
    const slug = slugOf.get(d.appId);
    if (slug === undefined || hostnameClaimRefusal(d.hostname, slug, policy, true)) continue;
    if (d.hostname.startsWith("*.")) wildcards.push([d.hostname.slice(1), d.appId]);
    else exact.set(d.hostname, d.appId);
  }
  wildcards.sort((a, b) => b[0].length - a[0].length);
  const slugs = new Map(apps.map((a) => [a.slug, a.id]));
  return {
    exact,
    wildcards,
    slugs,
    defaultAppId,
    baseDomain: policy.baseDomain,
    admin: policy.admin,
    adminHostAppId: policy.adminHostApp === null ? null : (slugs.get(policy.adminHostApp) ?? null),
  };
}

export function resolveApp(table: HostTable, hostname: string): string | null {
  if (table.admin.isAdminHost(hostname)) return table.adminHostAppId;
  const exact = table.exact.get(hostname);
  if (exact) return exact;
  // <slug>.<base domain> is the slug's before any wildcard: no domain may cover another app's name.
  const base = `.${table.baseDomain}`;
  if (hostname.endsWith(base)) {
    const sub = hostname.slice(0, -base.length);
    const appId = !sub.includes(".") ? table.slugs.get(sub) : undefined;
    if (appId) return appId;
  }
  for (const [suffix, appId] of table.wildcards) {
    if (hostname.endsWith(suffix) && hostname.length > suffix.length) return appId;
  }
  return table.defaultAppId;
}

/** Whether a route's host filter accepts the request's host. */
export function routeHostMatches(routeHost: string | null, hostname: string): boolean {
  if (routeHost === null) return true;
  if (routeHost.startsWith("*."))
    return hostname.endsWith(routeHost.slice(1)) && hostname.length > routeHost.length - 1;
  return routeHost === hostname;
}
