/**
 * One app's routes, ready to match: Hono's router finds every route whose
 * method and path match, then the host filter and specificity pick one.
 */
import { RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { TrieRouter } from "hono/router/trie-router";
import type { Isolation, ScriptLimits } from "../scripts/schema.js";
import type { RouteSpec } from "../scripts/user-routes.js";
import { routeHostMatches } from "./host-resolver.js";
import { compareSpecificity } from "./route-specificity.js";

export interface RoutableScript {
  id: string;
  name: string;
  versionId: string;
  version: number;
  isolation: Isolation;
  limits: ScriptLimits;
  /** Pinned module versions the script imports: name → version id. */
  modules: Record<string, string>;
}

export interface TableRoute extends RouteSpec {
  id: string;
  script: RoutableScript;
}

export interface RouteMatch {
  route: TableRoute;
  params: Record<string, string>;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export class RouteTable {
  private readonly router = new SmartRouter<TableRoute>({ routers: [new RegExpRouter(), new TrieRouter()] });
  readonly size: number;
  /** Each routed script once. */
  readonly scripts: RoutableScript[];

  constructor(routes: TableRoute[]) {
    this.scripts = [...new Map(routes.map((r) => [r.script.id, r.script])).values()];
    const ordered = [...routes].sort(compareSpecificity);
    for (const r of ordered) {
      if (r.methods.length === 0) this.router.add("ALL", r.path, r);
      else for (const m of r.methods) this.router.add(m, r.path, r);
    }
    this.size = ordered.length;
    this.rank = new Map(ordered.map((r, i) => [r, i]));
  }

  private readonly rank: Map<TableRoute, number>;

  /** The most specific route for a request, with its decoded path params, or null. */
  match(method: string, path: string, hostname: string): RouteMatch | null {
    if (this.size === 0) return null;
    // HEAD requests are served by GET routes too (the body is dropped), as in Hono and Workers.
    let found = this.best(method, path, hostname);
    if (!found && method === "HEAD") found = this.best("GET", path, hostname);
    return found;
  }

  private best(method: string, path: string, hostname: string): RouteMatch | null {
    const result = this.router.match(method, path);
    let best: RouteMatch | null = null;
    let bestRank = Number.POSITIVE_INFINITY;
    for (const [route, paramsOrIndex] of result[0]) {
      if (!routeHostMatches(route.host, hostname)) continue;
      const rank = this.rank.get(route)!;
      if (rank >= bestRank) continue;
      const params: Record<string, string> = {};
      const stash = result[1];
      for (const [k, v] of Object.entries(paramsOrIndex as Record<string, string | number>)) {
        params[k] = decode(stash ? stash[v as number]! : String(v));
      }
      best = { route, params };
      bestRank = rank;
    }
    return best;
  }
}
