/**
 * Cross-site request forgery guard for cookie sessions: a state-changing
 * request from a browser must come from PiCloud's own origin. Browsers always
 * send `Origin` (or `Sec-Fetch-Site`) on cross-site writes, so a request with
 * neither is not a forged browser request (CLI, curl) and passes — as in Go's
 * CrossOriginProtection. Bearer-key requests carry no ambient credential and
 * are not checked.
 */
import type { MiddlewareHandler } from "hono";
import { forbidden } from "../lib/errors.js";
import type { AdminEnv } from "./http.js";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

export function crossOriginGuard(publicUrl: string): MiddlewareHandler<AdminEnv> {
  const publicOrigin = new URL(publicUrl).origin;
  return async (c, next) => {
    if (SAFE.has(c.req.method) || c.req.header("authorization")) return next();
    const origin = c.req.header("origin");
    if (origin !== undefined) {
      if (origin !== publicOrigin && origin !== new URL(c.req.url).origin) {
        throw forbidden("cross-origin request refused");
      }
      return next();
    }
    const site = c.req.header("sec-fetch-site");
    if (site !== undefined && site !== "same-origin" && site !== "none")
      throw forbidden("cross-site request refused");
    return next();
  };
}
