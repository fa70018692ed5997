/**
 * What endpoints and subscriptions share from their client: base URL, fetch,
 * default headers and the end-user token, resolved per request so they may change.
 */

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export type MaybePromise<T> = T | Promise<T>;

export type HeadersSource = HeadersInit | (() => MaybePromise<HeadersInit>);

/** A token, or a function returning the current one; null/undefined/"" mean "no token". */
export type TokenSource = string | null | undefined | (() => MaybePromise<string | null | undefined>);

export interface ClientContext {
  readonly baseUrl: string;
  readonly fetch: FetchLike;
  /** Client headers, then each extra set in order; adds the client's bearer token unless one is set. */
  headers(extra?: ReadonlyArray<HeadersInit | undefined>): Promise<Headers>;
  /** The client's current end-user token, if any. */
  token(): Promise<string | undefined>;
}

export async function resolveToken(source: TokenSource): Promise<string | undefined> {
  const value = typeof source === "function" ? await source() : source;
  return typeof value === "string" && value !== "" ? value : undefined;
}

export function mergeHeaders(target: Headers, source: HeadersInit | undefined): void {
  if (!source) return;
  new Headers(source).forEach((value, key) => {
    target.set(key, value);
  });
}
