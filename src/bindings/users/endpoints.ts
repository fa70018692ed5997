/**
 * The built-in end-user endpoints (`[users] endpoints = true`), served on the
 * app's own host by the data plane before its routes: a static front end gets
 * sign-up, login and the e-mail flows without a script. A session is an
 * HttpOnly SameSite=Lax cookie (set at login) or `Authorization: Bearer`.
 * JSON bodies only (415 otherwise): a cross-site form cannot post here
 * without a CORS preflight, so the cookie cannot be ridden.
 */
import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import * as v from "valibot";
import { PicloudError } from "../../lib/errors.js";
import { jsonBody } from "../../lib/http-validation.js";
import { dataField, emailField, passwordField, tokenField } from "./input.js";
import type { Session, UsersService } from "./service.js";

export const USER_SESSION_COOKIE = "picloud_user";

export interface AuthEndpointEnv {
  Bindings: { appId: string; clientAddress: string; secure: boolean };
}

const signupBody = v.strictObject({
  email: emailField(),
  password: passwordField(),
  data: v.optional(dataField),
});
const loginBody = v.strictObject({ email: emailField(), password: v.string("password must be a string") });
const tokenBody = v.strictObject({ token: tokenField() });
const resetBody = v.union(
  [
    v.strictObject({ email: emailField() }),
    v.strictObject({ token: tokenField(), password: passwordField() }),
  ],
  "body must be {email} to request a reset or {token, password} to complete one",
);
const acceptBody = v.strictObject({ token: tokenField(), password: passwordField() });

const NO_STORE = { "cache-control": "no-store" };
const INVALID_TOKEN = new PicloudError(400, "invalid_token", "the link is invalid, used or expired");

/** The session token of a request: the bearer header first, then the cookie. */
export function sessionToken(headers: Headers): string | null {
  const auth = headers.get("authorization");
  if (auth?.toLowerCase().startsWith("bearer ")) return auth.slice(7).trim() || null;
  const cookie = headers.get("cookie") ?? "";
  for (const part of cookie.split(";")) {
    const [k, ...rest] = part.trim().split("=");
    if (k === USER_SESSION_COOKIE) return rest.join("=") || null;
  }
  return null;
}

function cookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${USER_SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure ? "; Secure" : ""}`;
}

const page = (title: string, text: string) =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><p>${text}</p>`;

/**
 * The page behind a reset or invitation link when the app has no page of its own (the default
 * link base): a password field that posts `{token, password}` as JSON to the endpoint. The token
 * stays in the URL's query and is read by the script, never written into the HTML.
 */
const passwordPage = (title: string, endpoint: string) =>
  `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>${title}</title>
<form id="f"><label>New password <input type="password" name="password" minlength="8" maxlength="256" required autocomplete="new-password"></label>
<button>Save</button></form><p id="m" role="status"></p>
<script>
document.getElementById("f").addEventListener("submit", async (e) => {
  e.preventDefault();
  const token = new URLSearchParams(location.search).get("token");
  const res = await fetch(${JSON.stringify(endpoint)}, { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ token, password: e.target.password.value }) });
  const body = await res.json().catch(() => ({}));
  document.getElementById("m").textContent = res.ok ? "Done: your password is set." : (body.error && body.error.message) || "Failed.";
});
</script>`;

export function authEndpoints(users: UsersService) {
  const withSession = (s: Session, secure: boolean) => {
    const maxAge = Math.max(0, Math.floor((Date.parse(s.expiresAt) - Date.now()) / 1000));
    return {
      body: { user: s.user, token: s.token, expiresAt: s.expiresAt },
      headers: { "set-cookie": cookie(s.token, maxAge, secure), "cache-control": "no-store" },
    };
  };
  return (
    new Hono<AuthEndpointEnv>()
      .basePath("/auth")
      .onError((err, c) => {
        if (err instanceof PicloudError) {
          const retry = (err.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
          if (err.status === 429 && retry) c.header("retry-after", String(retry));
          return c.json(
            {
              error: {
                code: err.code,
                message: err.message,
                ...(err.details ? { details: err.details } : {}),
              },
            },
            err.status as ContentfulStatusCode,
          );
        }
        throw err;
      })
      .post("/signup", jsonBody(signupBody), async (c) => {
        await users.signUp(c.env.appId, c.req.valid("json"), { clientAddress: c.env.clientAddress });
        // The same answer whether the address was free or taken: nothing to learn by probing.
        return c.json({ status: "check_email", message: "check your e-mail to confirm the address" }, 202);
      })
      .post("/login", jsonBody(loginBody), async (c) => {
        const { email, password } = c.req.valid("json");
        const s = await users.login(c.env.appId, email, password, { clientAddress: c.env.clientAddress });
        const out = withSession(s, c.env.secure);
        return c.json(out.body, 200, out.headers);
      })
      .post("/logout", async (c) => {
        const token = sessionToken(c.req.raw.headers);
        if (token && v.is(tokenField(), token)) await users.logout(c.env.appId, token);
        return c.body(null, 204, { "set-cookie": cookie("", 0, c.env.secure) });
      })
      .get("/me", async (c) => {
        const token = sessionToken(c.req.raw.headers);
        const found = token && v.is(tokenField(), token) ? await users.verify(c.env.appId, token) : null;
        if (!found) return c.json({ error: { code: "unauthorized", message: "no valid session" } }, 401);
        return c.json({ user: found }, 200, { "cache-control": "no-store" });
      })
      .post("/verify", jsonBody(tokenBody), async (c) => {
        const user = await users.confirmEmail(c.env.appId, c.req.valid("json").token, {});
        if (!user) throw INVALID_TOKEN;
        return c.json({ user });
      })
      // The link of the verification mail: opening it confirms the address.
      .get("/verify", async (c) => {
        const token = c.req.query("token") ?? "";
        const user = v.is(tokenField(), token) ? await users.confirmEmail(c.env.appId, token, {}) : null;
        return user
          ? c.html(page("E-mail confirmed", "Your e-mail address is confirmed. You can close this page."))
          : c.html(page("Link not valid", "This link is invalid, used or expired."), 400);
      })
      .post("/reset", jsonBody(resetBody), async (c) => {
        const body = c.req.valid("json");
        if ("email" in body) {
          await users.requestPasswordReset(c.env.appId, body.email, { clientAddress: c.env.clientAddress });
          return c.json(
            { status: "check_email", message: "if the address has an account, a reset link is on its way" },
            202,
          );
        }
        const user = await users.resetPassword(c.env.appId, body.token, body.password);
        if (!user) throw INVALID_TOKEN;
        return c.json({ user }, 200, { "set-cookie": cookie("", 0, c.env.secure) });
      })
      .get("/reset", (c) => c.html(passwordPage("Choose a new password", "/auth/reset"), 200, NO_STORE))
      .get("/invite/accept", (c) =>
        c.html(passwordPage("Accept the invitation", "/auth/invite/accept"), 200, NO_STORE),
      )
      .post("/invite/accept", jsonBody(acceptBody), async (c) => {
        const { token, password } = c.req.valid("json");
        const s = await users.acceptInvite(c.env.appId, token, password, {});
        if (!s) throw INVALID_TOKEN;
        const out = withSession(s, c.env.secure);
        return c.json(out.body, 200, out.headers);
      })
  );
}
