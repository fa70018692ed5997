/**
 * Which of several matching routes wins: the most specific one (SPEC §4).
 * Path first (segment by segment: static beats :param beats *, a longer static
 * prefix beats a shorter one), then host (exact beats wildcard beats any), then
 * method (listed methods beat "any").
 */
import type { RouteSpec } from "../scripts/user-routes.js";

function segmentRank(s: string): number {
  if (s === "*") return 0;
  if (s.startsWith(":")) return 1;
  return 2;
}

function hostRank(host: string | null): number {
  if (host === null) return 0;
  return host.startsWith("*.") ? 1 : 2;
}

/** Negative when `a` is more specific than `b` (sorts most specific first). */
export function compareSpecificity(
  a: Pick<RouteSpec, "path" | "host" | "methods">,
  b: Pick<RouteSpec, "path" | "host" | "methods">,
): number {
  const sa = a.path.split("/").filter(Boolean);
  const sb = b.path.split("/").filter(Boolean);
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
    const x = sa[i];
    const y = sb[i];
    if (x === undefined || y === undefined) {
      // One pattern ended. A pattern ending in a wildcard is less specific than one that goes on.
      const rest = x ?? y;
      if (rest === "*") return x === undefined ? -1 : 1;
      return x === undefined ? 1 : -1;
    }
    const d = segmentRank(y) - segmentRank(x);
    if (d !== 0) return d;
  }
  const h = hostRank(b.host) - hostRank(a.host);
  if (h !== 0) return h;
  return (b.methods.length > 0 ? 1 : 0) - (a.methods.length > 0 ? 1 : 0);
}
