/**
 * The data plane: every request that is not admin API, dashboard or realtime.
 * Host → app → route → a fresh sandbox running the route's script; its
 * Response goes back. Work beyond the concurrency gate gets 503 + Retry-After
 * instead of queueing without bound.
 */
import type { Context } from "hono";
import type { AdminEnv } from "../auth/http.js";
import type { RuntimeConfig } from "../config/env.js";
import type { AsyncHttp } from "../events/async-http.js";
import { PicloudError } from "../lib/errors.js";
import type { Logger } from "../lib/logger.js";
import type { Executor } from "./executor.js";
import { hostnameOf, resolveApp } from "./host-resolver.js";
import { executionLimits } from "./limits.js";
import { jsonError, outcomeResponse, outcomeStatus } from "./outcome-response.js";
import { readBody } from "./request-body.js";
import type { RoutingCache } from "./routing-cache.js";
import { scriptRequestHeaders } from "./session-isolation.js";

export interface DataPlaneDeps {
  routing: RoutingCache;
  /** The built-in /auth/* end-user endpoints, for apps that switch them on (`[users] endpoints = true`). */
  authEndpoints?: {
    enabled(appId: string): Promise<boolean>;
    fetch(
      req: Request,
      env: { appId: string; clientAddress: string; secure: boolean },
    ): Response | Promise<Response>;
  };
  executor: Executor;
  asyncHttp: AsyncHttp;
  config: RuntimeConfig;
  trustProxy: boolean;
  log: Logger;
}

export function dataPlaneHandler(deps: DataPlaneDeps) {
  return async (c: Context<AdminEnv>): Promise<Response> => {
    const req = c.req.raw;
    const url = new URL(req.url);
    const hostname = hostnameOf(req.headers.get("host") ?? url.host);
    const appId = resolveApp(await deps.routing.hostTable(), hostname);
    if (!appId) return jsonError(404, `no app answers on ${hostname}`);
    if (
      deps.authEndpoints &&
      (url.pathname === "/auth" || url.pathname.startsWith("/auth/")) &&
      (await deps.authEndpoints.enabled(appId))
    ) {
      const secure =
        url.protocol === "https:" || (deps.trustProxy && req.headers.get("x-forwarded-proto") === "https");
      return deps.authEndpoints.fetch(req, { appId, clientAddress: c.get("clientAddress") ?? "", secure });
    }
    const table = await deps.routing.routeTable(appId);
    const match = table.match(req.method, url.pathname, hostname);
    if (!match) return jsonError(404, `no route for ${req.method} ${url.pathname}`);

    let body: Uint8Array | null;
    try {
      body = await readBody(req, deps.config.maxRequestBytes);
    } catch (err) {
      if (err instanceof PicloudError) return jsonError(err.status, err.message);
      throw err;
    }
    if (deps.trustProxy && req.headers.get("x-forwarded-proto") === "https") url.protocol = "https:";
    const { script } = match.route;
    const request = {
      method: req.method,
      url: url.toString(),
      headers: scriptRequestHeaders(req.headers),
      body,
    };
    const requestLine = `${req.method} ${url.pathname}${url.search}`;
    if (match.route.dispatch === "async") {
      const accepted = await deps.asyncHttp.accept(appId, script.id, request, requestLine, match.params);
      return new Response(JSON.stringify(accepted), {
        status: 202,
        headers: {
          "content-type": "application/json; charset=utf-8",
          "x-picloud-execution-id": accepted.executionId,
        },
      });
    }
    const permit = deps.executor.gate.tryAcquire();
    if (!permit) {
      const res = jsonError(503, "too many executions in progress; retry shortly");
      res.headers.set("retry-after", "1");
      return res;
    }
    const run = await deps.executor.start(
      {
        appId,
        script,
        entry: "fetch",
        input: {
          request: {
            method: req.method,
            url: url.toString(),
            headers: scriptRequestHeaders(req.headers),
            body,
          },
        },
        params: match.params,
        trigger: "http",
        requestLine: `${req.method} ${url.pathname}${url.search}`,
        httpStatus: outcomeStatus,
      },
      permit,
    );
    const outcome = await run.result;
    return outcomeResponse(outcome, run.executionId, executionLimits(deps.config, script.limits), req.method);
  };
}
