/**
 * client.auth: the app's end users through its built-in /auth endpoints
 * (`[users] endpoints = true`). The session token is kept where the app chose
 * (memory by default, or localStorage) and is what the client sends as
 * `Authorization: Bearer` on endpoint calls and topic subscriptions.
 */

import type { FetchLike } from "./client-context.js";
import { errorFromResponse, PicloudError } from "./error.js";

export interface AuthUser {
  id: string;
  email: string;
  data: Record<string, unknown>;
  roles: string[];
  verified: boolean;
  verifiedAt: string | null;
  disabled: boolean;
  hasPassword: boolean;
  createdAt: string;
  updatedAt: string;
}

/** Where the session token lives between page loads. */
export interface TokenStorage {
  get(): string | null;
  set(token: string | null): void;
}

export function memoryTokenStorage(): TokenStorage {
  let token: string | null = null;
  return {
    get: () => token,
    set: (next) => {
      token = next;
    },
  };
}

/** Survives reloads; readable by any script on the page (prefer the HttpOnly cookie where XSS is a concern). */
export function localTokenStorage(key = "picloud_user_token"): TokenStorage {
  type Store = {
    getItem(k: string): string | null;
    setItem(k: string, v: string): void;
    removeItem(k: string): void;
  };
  const store = () => (globalThis as { localStorage?: Store }).localStorage;
  return {
    get: () => store()?.getItem(key) ?? null,
    set: (next) => {
      if (next === null) store()?.removeItem(key);
      else store()?.setItem(key, next);
    },
  };
}

export interface ClientAuth {
  /** Creates an account; the answer is the same whether the e-mail was free (a verification mail goes out). */
  signUp(input: { email: string; password: string; data?: Record<string, unknown> }): Promise<void>;
  /** Logs in and keeps the session token; rejects with a PicloudError (401, 429 …). */
  logIn(input: { email: string; password: string }): Promise<AuthUser>;
  /** Ends the session on the server and forgets the token. */
  logOut(): Promise<void>;
  /** The session's user, or null (no token, or an expired or revoked one: then the token is forgotten). */
  me(): Promise<AuthUser | null>;
  /** The last known user (null before me()/logIn(), or when signed out). */
  readonly user: AuthUser | null;
  /** Called with the user whenever it changes; returns an unsubscribe function. */
  onChange(listener: (user: AuthUser | null) => void): () => void;
  /** The stored session token, if any. */
  token(): string | null;
}

export function createAuth(baseUrl: string, fetch: FetchLike, storage: TokenStorage): ClientAuth {
  let user: AuthUser | null = null;
  const listeners = new Set<(user: AuthUser | null) => void>();
  const setUser = (next: AuthUser | null) => {
    // A refresh that returns the same user (me() after logIn) is not a change.
    if (JSON.stringify(next) === JSON.stringify(user)) return;
    user = next;
    for (const l of [...listeners]) l(user);
  };
  const call = async (method: string, path: string, body?: unknown, bearer?: string | null) => {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    let res: Response;
    try {
      res = await fetch(`${baseUrl}/auth${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "include",
      });
    } catch (cause) {
      throw new PicloudError({
        status: 0,
        code: "network_error",
        message: `auth${path}: network error`,
        cause,
      });
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {}
    if (!res.ok) throw errorFromResponse(res.status, res.statusText, parsed);
    return parsed as { user?: AuthUser; token?: string } | null;
  };
  return {
    async signUp(input) {
      await call("POST", "/signup", input);
    },
    async logIn(input) {
      const out = await call("POST", "/login", input);
      storage.set(out?.token ?? null);
      setUser(out?.user ?? null);
      return out!.user!;
    },
    async logOut() {
      const token = storage.get();
      storage.set(null);
      setUser(null);
      await call("POST", "/logout", undefined, token);
    },
    async me() {
      const token = storage.get();
      try {
        const out = await call("GET", "/me", undefined, token);
        setUser(out?.user ?? null);
      } catch (err) {
        if (!(err instanceof PicloudError) || err.status !== 401) throw err;
        storage.set(null);
        setUser(null);
      }
      return user;
    },
    get user() {
      return user;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    token: () => storage.get(),
  };
}
