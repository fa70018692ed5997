/**
 * Keeps the admin origin and the apps' origins apart (docs/security.md). On an
 * admin host only the admin API, the dashboard, health and metrics answer, so
 * no script's page can run with the admin session's origin and call the admin
 * API as a visiting admin. On an app host the admin prefixes are reserved (a
 * JSON 404 saying where the admin lives) and everything else is the app's,
 * `/healthz` and `/metrics` included.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AdminEnv } from "../auth/http.js";
import type { AdminOrigin } from "../config/admin-origin.js";
import { hostnameOf } from "../dataplane/host-resolver.js";
import { errorBody } from "./errors.js";

const ADMIN_PATH = /^\/(?:api\/v1\/admin|admin)(?:\/|$)/;
const OPERATIONS_PATH = /^\/(?:healthz|readyz|metrics)$/;

export interface OriginSplitOptions {
  admin: AdminOrigin;
  baseDomain: string;
  /** An app is served on the admin host too (PICLOUD_ADMIN_HOST_APP): its paths pass through. */
  appOnAdminHost: boolean;
  /** Where an app host's `/healthz`, `/readyz` and `/metrics` go: the app's own routes. */
  dataPlane: (c: Context<AdminEnv>) => Promise<Response>;
}

export function originSplit(opts: OriginSplitOptions): MiddlewareHandler<AdminEnv> {
  const defaultAppUrl = opts.admin.appUrl("default", opts.baseDomain);
  return async (c, next) => {
    const hostname = hostnameOf(c.req.header("host") ?? new URL(c.req.url).host);
    const path = c.req.path;
    if (opts.admin.isAdminHost(hostname)) {
      if (ADMIN_PATH.test(path) || OPERATIONS_PATH.test(path) || opts.appOnAdminHost) return next();
      return c.json(
        errorBody(
          "not_found",
          `${hostname} is PiCloud's admin host and serves no app: apps answer on <slug>.${opts.baseDomain} (the default app on ${defaultAppUrl}) and on their domains; the admin API is under /api/v1/admin`,
        ),
        404,
      );
    }
    if (ADMIN_PATH.test(path))
      return c.json(
        errorBody(
          "not_found",
          `the admin API and dashboard are served on ${opts.admin.origin}, not on app hosts`,
        ),
        404,
      );
    if (OPERATIONS_PATH.test(path)) return opts.dataPlane(c);
    return next();
  };
}
