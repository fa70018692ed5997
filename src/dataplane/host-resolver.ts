/**
 * Finds the app a request is for from its Host header (SPEC §4): an app
 * domain (exact, then the longest matching wildcard), then `<slug>.<base
 * domain>`, else the default app.
 */

export interface HostTable {
  exact: Map<string, string>;
  /** Wildcard suffixes like ".example.com" → app id, longest first. */
  wildcards: [string, string][];
  slugs: Map<string, string>;
  defaultAppId: string | null;
  baseDomain: string;
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
  baseDomain: string,
): HostTable {
  const exact = new Map<string, string>();
  const wildcards: [string, string][] = [];
  for (const d of domains) {
    if (d.hostname.startsWith("*.")) wildcards.push([d.hostname.slice(1), d.appId]);
    else exact.set(d.hostname, d.appId);
  }
  wildcards.sort((a, b) => b[0].length - a[0].length);
  return { exact, wildcards, slugs: new Map(apps.map((a) => [a.slug, a.id])), defaultAppId, baseDomain };
}

export function resolveApp(table: HostTable, hostname: string): string | null {
  const exact = table.exact.get(hostname);
  if (exact) return exact;
  for (const [suffix, appId] of table.wildcards) {
    if (hostname.endsWith(suffix) && hostname.length > suffix.length) return appId;
  }
  const base = `.${table.baseDomain}`;
  if (hostname.endsWith(base)) {
    const sub = hostname.slice(0, -base.length);
    const appId = !sub.includes(".") ? table.slugs.get(sub) : undefined;
    if (appId) return appId;
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
