/** /auth: log in and out with a session cookie, who am I, and redeeming the first-start setup token. */
import { Hono } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import * as v from "valibot";
import { emailSchema, jsonBody, passwordSchema } from "../lib/http-validation.js";
import { type AdminContext, type AdminEnv, principalOf } from "./http.js";
import type { PasswordLogin } from "./login.js";
import { type AdminSessions, SESSION_COOKIE } from "./sessions.js";
import type { Setup } from "./setup.js";
import type { AdminUsers } from "./users.js";

const loginBody = v.strictObject({
  email: v.pipe(v.string(), v.maxLength(254, "must be at most 254 characters")),
  password: v.pipe(v.string(), v.maxLength(256, "must be at most 256 characters")),
});

const setupBody = v.strictObject({
  token: v.pipe(v.string(), v.minLength(1, "is required"), v.maxLength(200, "is too long")),
  email: emailSchema,
  password: passwordSchema,
});

export interface SessionRouteDeps {
  login: PasswordLogin;
  sessions: AdminSessions;
  setup: Setup;
  users: AdminUsers;
  /** Whether cookies get the Secure flag for this request (HTTPS directly or behind a trusted proxy). */
  secureCookies: (c: AdminContext) => boolean;
}

export function sessionRoutes(deps: SessionRouteDeps) {
  const startSession = (c: AdminContext, token: string, expiresAt: Date) =>
    setCookie(c, SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: "Lax",
      path: "/",
      secure: deps.secureCookies(c),
      expires: expiresAt,
    });

  return new Hono<AdminEnv>()
    .post("/login", jsonBody(loginBody), async (c) => {
      const { email, password } = c.req.valid("json");
      const result = await deps.login.login({
        email,
        password,
        clientAddress: c.get("clientAddress"),
        userAgent: c.req.header("user-agent") ?? null,
      });
      startSession(c, result.token, result.expiresAt);
      c.get("log").info({ userId: result.user.id }, "admin login");
      return c.json({ user: result.user, expiresAt: result.expiresAt.toISOString() });
    })
    .post("/logout", async (c) => {
      const p = c.get("principal");
      if (p?.sessionId) await deps.sessions.revoke(p.sessionId);
      deleteCookie(c, SESSION_COOKIE, { path: "/" });
      return c.body(null, 204);
    })
    .get("/me", async (c) => {
      const p = principalOf(c);
      const user = await deps.users.get(p.user.id);
      return c.json({
        user,
        via: p.via,
        scopes: p.scopes ? [...p.scopes].sort() : null,
        boundAppId: p.boundAppId,
      });
    })
    .get("/setup", async (c) => {
      // Whether the instance still waits for its first owner (the dashboard then shows its first-run page).
      return c.json({ setupRequired: (await deps.users.count()) === 0 });
    })
    .post("/setup", jsonBody(setupBody), async (c) => {
      const user = await deps.setup.redeem(c.req.valid("json"));
      const session = await deps.sessions.create(user.id, c.req.header("user-agent") ?? null);
      startSession(c, session.token, session.expiresAt);
      c.get("log").info({ userId: user.id }, "first owner created through the setup token");
      return c.json({ user }, 201);
    });
}
