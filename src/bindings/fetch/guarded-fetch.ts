/**
 * The host side of a script's global `fetch`: an SSRF-safe HTTP client.
 *
 * Every hop (the first request and each redirect) goes through the same gate:
 * URL checks, one DNS resolution, every answer checked against the address
 * policy and the app's allowlist, then a connection pinned to a checked
 * address. Limits cover the whole call: time (DNS, connects, redirects, body),
 * request size, response size (streamed, decoded size included) and redirects.
 *
 * @example
 * const fetchForApp = createGuardedFetch({ allow: ["nas.local", "192.168.1.0/24:8080"] });
 * const res = await fetchForApp({ method: "GET", url: "https://example.com/", headers: [], body: null }, signal);
 */
import { defaultMaxListeners, getMaxListeners, setMaxListeners } from "node:events";
import type { Dispatcher } from "undici";
import { HostCallError, type HostRequest, type HostResponse } from "../../../runtime/host-types.js";
import { parseAllowlist } from "./allowlist.js";
import { DecodedTooLargeError, decodeBody, UndecodableBodyError } from "./content-decoding.js";
import {
  CONNECT_FAILURE_CODES,
  describeNetworkError,
  errorCode,
  failed,
  formatBytes,
} from "./fetch-errors.js";
import { BodyTooLargeError, dispatchPinned, type RawResponse, sharedPinnedAgent } from "./pinned-dispatch.js";
import { isRedirectStatus, locationOf, nextHop } from "./redirect-rules.js";
import { type HopRequest, shapeRequest } from "./request-shape.js";
import { type CheckedTarget, checkTarget, type Resolver, systemResolver } from "./target-check.js";

export type { Resolver } from "./target-check.js";

export interface GuardedFetchOptions {
  /** Per-app allowlist: host names, IP literals and CIDRs, each optionally with ":port" (see allowlist.ts). */
  allow?: string[];
  /** Resolver for host names; default getaddrinfo via `dns.promises.lookup(all: true)`. */
  resolve?: Resolver;
  /** Whole call including DNS, redirects and body; default 30 s. */
  timeoutMs?: number;
  /** Largest response body (after content decoding); default 10 MiB. */
  maxResponseBytes?: number;
  /** Largest request body; default 10 MiB. */
  maxRequestBytes?: number;
  /** Redirects followed before failing; default 10. */
  maxRedirects?: number;
  /** Sent when the script sets no User-Agent; default "PiCloud". */
  userAgent?: string;
  /**
   * The undici dispatcher that carries pinned exchanges; default a shared Agent.
   * It only ever receives IP origins. Tests use it to route a fake public
   * address to a local server.
   */
  dispatcher?: Dispatcher;
}

export type GuardedFetch = (req: HostRequest, signal: AbortSignal) => Promise<HostResponse>;

const MiB = 1024 * 1024;
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0)
    throw new TypeError(`${name} must be a non-negative integer`);
  return value;
}

/** Builds the host function behind a script's `fetch`; throws a TypeError for an invalid allowlist entry. */
export function createGuardedFetch(options: GuardedFetchOptions = {}): GuardedFetch {
  const allowlist = parseAllowlist(options.allow ?? []);
  const resolve = options.resolve ?? systemResolver;
  const timeoutMs = positiveInteger("timeoutMs", options.timeoutMs, 30_000);
  const maxResponseBytes = positiveInteger("maxResponseBytes", options.maxResponseBytes, 10 * MiB);
  const maxRequestBytes = positiveInteger("maxRequestBytes", options.maxRequestBytes, 10 * MiB);
  const maxRedirects = positiveInteger("maxRedirects", options.maxRedirects, 10);
  const userAgent = options.userAgent ?? "PiCloud";
  const dispatcher = options.dispatcher;

  const tooLarge = (url: URL) =>
    failed(url, `response body exceeds the ${formatBytes(maxResponseBytes)} limit (maxResponseBytes)`);

  /** Sends one hop, trying the next checked address only when a connection could not be opened. */
  async function exchange(hop: HopRequest, target: CheckedTarget, signal: AbortSignal): Promise<RawResponse> {
    const agent = dispatcher ?? sharedPinnedAgent();
    for (let i = 0; ; i++) {
      const address = target.addresses[i]!;
      try {
        const exchangeSpec = { ...hop, address, port: target.port };
        return await dispatchPinned(agent, exchangeSpec, signal, maxResponseBytes);
      } catch (error) {
        const retry = i + 1 < target.addresses.length && CONNECT_FAILURE_CODES.has(errorCode(error) ?? "");
        if (!retry || signal.aborted) throw error;
      }
    }
  }

  async function finish(raw: RawResponse, hop: HopRequest, redirected: boolean): Promise<HostResponse> {
    let decoded: Buffer = raw.body;
    if (hop.method !== "HEAD" && !NULL_BODY_STATUSES.has(raw.status)) {
      const encoding = raw.headers.find(([name]) => name === "content-encoding")?.[1];
      try {
        decoded = await decodeBody(raw.body, encoding, maxResponseBytes);
      } catch (error) {
        if (error instanceof DecodedTooLargeError) throw tooLarge(hop.url);
        if (error instanceof UndecodableBodyError) throw failed(hop.url, error.message);
        throw error;
      }
    } else {
      decoded = Buffer.alloc(0);
    }
    // A fresh buffer: Buffer.concat may hand out a slice of Node's shared pool,
    // and the runtime may copy `body.buffer` wholesale into the guest.
    const body = new Uint8Array(decoded.length);
    body.set(decoded);
    const finalUrl = new URL(hop.url);
    finalUrl.hash = "";
    return {
      status: raw.status,
      statusText: raw.statusText,
      headers: raw.headers,
      body,
      url: finalUrl.href,
      redirected,
    };
  }

  return async function guardedFetch(req, signal) {
    if (signal.aborted) throw signal.reason;
    const { hop: first, redirect } = shapeRequest(req, { maxRequestBytes, userAgent });

    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error("timeout")), timeoutMs);
    const forwardAbort = () => deadline.abort(signal.reason);
    // One execution's signal serves all its concurrent fetches; lift Node's leak
    // warning threshold of 10 listeners, as undici's own Request does.
    if (getMaxListeners(signal) === defaultMaxListeners) setMaxListeners(1500, signal);
    signal.addEventListener("abort", forwardAbort, { once: true });

    let hop = first;
    try {
      for (let redirects = 0; ; redirects++) {
        const target = await checkTarget(hop.url, { allowlist, resolve, signal: deadline.signal });
        const raw = await exchange(hop, target, deadline.signal);
        if (!isRedirectStatus(raw.status) || redirect === "manual")
          return await finish(raw, hop, redirects > 0);
        if (redirect === "error") {
          throw failed(hop.url, `got a ${raw.status} redirect while the request's redirect mode is "error"`);
        }
        const location = locationOf(raw.headers, hop.url);
        if (location === null) return await finish(raw, hop, redirects > 0);
        if (location === "invalid")
          throw failed(hop.url, `the ${raw.status} response has an invalid Location`);
        if (redirects >= maxRedirects) {
          throw failed(hop.url, `too many redirects (more than ${maxRedirects}, maxRedirects)`);
        }
        hop = nextHop(hop, raw.status, location);
      }
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (deadline.signal.aborted) throw failed(hop.url, `timed out after ${timeoutMs} ms (timeoutMs)`);
      if (error instanceof HostCallError) throw error;
      if (error instanceof BodyTooLargeError) throw tooLarge(hop.url);
      throw failed(hop.url, describeNetworkError(error));
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", forwardAbort);
    }
  };
}
