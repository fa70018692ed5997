/**
 * HTTP side of admin authentication, shared by every area's admin routes: the
 * Hono context type, the middleware that turns a cookie or a Bearer key into a
 * Principal, and `principalOf(c)`.
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { unauthorized } from "../lib/errors.js";
import type { Logger } from "../lib/logger.js";
import type { ApiKeys } from "./api-keys.js";
import type { Principal } from "./principal.js";
import { type AdminSessions, SESSION_COOKIE } from "./sessions.js";

export interface AdminEnv {
  Variables: {
    principal: Principal | null;
    log: Logger;
    clientAddress: string;
    requestId: string;
  };
}

export type AdminContext = Context<AdminEnv>;

/** Resolves the caller: `Authorization: Bearer pic_…` (API key) or the session cookie. A bad key is 401 at once. */
export function authenticate(deps: {
  sessions: AdminSessions;
  apiKeys: ApiKeys;
}): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization");
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) throw unauthorized("Authorization header must be 'Bearer <api key>'");
      const principal = await deps.apiKeys.authenticate(m[1]!);
      if (!principal) throw unauthorized("invalid, revoked or expired API key");
      c.set("principal", principal);
      return next();
    }
    const token = getCookie(c, SESSION_COOKIE);
    const session = token ? await deps.sessions.validate(token) : null;
    c.set(
      "principal",
      session
        ? { user: session.user, via: "session", scopes: null, boundAppId: null, sessionId: session.sessionId }
        : null,
    );
    return next();
  };
}

/** The authenticated principal, or a 401. */
export function principalOf(c: AdminContext): Principal {
  const p = c.get("principal");
  if (!p) throw unauthorized();
  return p;
}
