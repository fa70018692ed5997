/**
 * createClient: binds a base URL, fetch, default headers and an optional
 * end-user token, and hands out typed endpoints and realtime subscriptions.
 */

import {
  type ClientAuth,
  createAuth,
  localTokenStorage,
  memoryTokenStorage,
  type TokenStorage,
} from "./auth.js";
import {
  type ClientContext,
  type FetchLike,
  type HeadersSource,
  mergeHeaders,
  resolveToken,
  type TokenSource,
} from "./client-context.js";
import { createEndpoint, type Endpoint, type EndpointOptions, type HttpMethod } from "./endpoint.js";
import { type SubscribeOptions, type Subscription, subscribeTopic } from "./subscription.js";

export interface ClientOptions {
  /** The app's origin, e.g. "https://blog.example.com" or "http://localhost:8787"; "" for same-origin. */
  baseUrl: string;
  /** Defaults to the global fetch (looked up at call time). */
  fetch?: FetchLike;
  /** Headers for every request; a function is called per request. */
  headers?: HeadersSource;
  /** End-user session token sent as `Authorization: Bearer` on endpoint calls and subscriptions. */
  token?: TokenSource;
  /**
   * Where `client.auth` keeps the session token: "memory" (default: gone on reload), "localStorage",
   * or your own storage. Without a `token` option, the stored token is the one sent.
   */
  auth?: { storage?: "memory" | "localStorage" | TokenStorage };
}

export interface PicloudClient {
  readonly baseUrl: string;
  /** A typed function for one route of the app. `Req` defaults to no request. */
  endpoint<Req = void, Res = unknown>(
    method: HttpMethod,
    path: string,
    options?: EndpointOptions<Res>,
  ): Endpoint<Req, Res>;
  /** Streams a realtime topic; reconnects until `close()` or a fatal error. */
  subscribe<T = unknown>(topic: string, options: SubscribeOptions<T>): Subscription;
  /** Sets (or clears, with null) the end-user token, e.g. after a login endpoint returned one. */
  setToken(token: TokenSource): void;
  /** The current end-user token, if any. */
  getToken(): Promise<string | undefined>;
  /** The app's end users: signUp, logIn, logOut, me, onChange (the app's built-in /auth endpoints). */
  readonly auth: ClientAuth;
}

export function createClient(options: ClientOptions): PicloudClient {
  if (typeof options?.baseUrl !== "string") throw new TypeError("createClient: baseUrl must be a string");
  const defaultFetch: FetchLike = (input, init) => globalThis.fetch(input, init);
  const chosen = options.auth?.storage ?? "memory";
  const storage =
    chosen === "memory" ? memoryTokenStorage() : chosen === "localStorage" ? localTokenStorage() : chosen;
  const auth = createAuth(options.baseUrl, options.fetch ?? defaultFetch, storage);
  let token: TokenSource = options.token !== undefined ? options.token : () => storage.get();

  const context: ClientContext = {
    baseUrl: options.baseUrl,
    fetch: options.fetch ?? defaultFetch,
    async headers(extra = []) {
      const headers = new Headers();
      const source = options.headers;
      mergeHeaders(headers, typeof source === "function" ? await source() : source);
      for (const init of extra) mergeHeaders(headers, init);
      if (!headers.has("authorization")) {
        const current = await resolveToken(token);
        if (current) headers.set("authorization", `Bearer ${current}`);
      }
      return headers;
    },
    token: () => resolveToken(token),
  };

  return {
    baseUrl: options.baseUrl,
    endpoint: (method, path, endpointOptions) => createEndpoint(context, method, path, endpointOptions),
    subscribe: (topic, subscribeOptions) => subscribeTopic(context, topic, subscribeOptions),
    setToken(next) {
      token = next;
    },
    getToken: () => resolveToken(token),
    auth,
  };
}
