/**
 * Sends one HTTP exchange to an already-checked IP address with undici.
 *
 * Pinning works by making the IP itself the undici origin and carrying the
 * original host in the Host header: undici derives the TLS server name (SNI and
 * certificate check) from that header, and Node never looks the IP up. The
 * default agent also installs a `lookup` that always fails, so no code path can
 * sneak a DNS query (and thus a rebinding) past the check. Pooled connections
 * are keyed by IP origin, so a reused socket always goes to a checked address.
 *
 * The response body is counted as it streams in and the exchange is aborted
 * the moment it passes the cap; nothing past the cap is buffered.
 */
import type { LookupFunction } from "node:net";
import { Agent, type Dispatcher } from "undici";

export interface PinnedExchange {
  /** The hop's URL: gives scheme, Host header and path. */
  url: URL;
  /** The checked address to connect to. */
  address: string;
  port: number;
  method: string;
  /** Request headers without Host (set here from the URL). */
  headers: [string, string][];
  body: Uint8Array | null;
}

export interface RawResponse {
  status: number;
  statusText: string;
  headers: [string, string][];
  /** Body bytes as received (still content-encoded). */
  body: Buffer;
}

/** Raised when the response body passes `maxBodyBytes`. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`response body exceeds ${limit} bytes`);
  }
}

const refuseLookup: LookupFunction = (hostname, _options, callback) => {
  const error: NodeJS.ErrnoException = new Error(`guarded fetch never resolves names here (${hostname})`);
  error.code = "EPINNED";
  callback(error, "", 4);
};

let sharedAgent: Agent | undefined;

/** The process-wide agent for pinned exchanges (lazily created; idle sockets do not keep the process alive). */
export function sharedPinnedAgent(): Dispatcher {
  sharedAgent ??= new Agent({ connect: { timeout: 10_000, lookup: refuseLookup }, keepAliveTimeout: 4_000 });
  return sharedAgent;
}

function originOf(exchange: PinnedExchange): string {
  const host = exchange.address.includes(":") ? `[${exchange.address}]` : exchange.address;
  return `${exchange.url.protocol}//${host}:${exchange.port}`;
}

function pathOf(url: URL): string {
  // Keep a bare trailing "?" (as undici's fetch does) so the server sees the URL as written.
  const trailingQuestionMark =
    url.search === "" && url.href.slice(0, url.href.length - url.hash.length).endsWith("?");
  return `${url.pathname}${url.search}${trailingQuestionMark ? "?" : ""}`;
}

function headerPairs(headers: Record<string, string | string[] | undefined>): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (Array.isArray(value)) for (const item of value) pairs.push([name, item]);
    else if (value !== undefined) pairs.push([name, value]);
  }
  return pairs;
}

/** Performs one exchange; rejects with the abort reason, a `BodyTooLargeError`, or undici's error. */
export function dispatchPinned(
  dispatcher: Dispatcher,
  exchange: PinnedExchange,
  signal: AbortSignal,
  maxBodyBytes: number,
): Promise<RawResponse> {
  return new Promise<RawResponse>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    let controller: Dispatcher.DispatchController | undefined;
    let head: Omit<RawResponse, "body"> | undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;

    const settle = (error: unknown, response?: RawResponse) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      if (response) resolve(response);
      else reject(error);
    };
    const stop = (error: unknown) => {
      controller?.abort(error instanceof Error ? error : new Error("aborted"));
      settle(error);
    };
    // Reject at once even if undici has not connected yet; the late socket is aborted in onRequestStart.
    const onAbort = () => stop(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });

    const flatHeaders = ["host", exchange.url.host];
    for (const [name, value] of exchange.headers) flatHeaders.push(name, value);

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(ctrl) {
        controller = ctrl;
        if (settled) ctrl.abort(new Error("aborted"));
      },
      onResponseStart(ctrl, statusCode, headers, statusMessage) {
        if (statusCode < 200) return;
        const declared = Number(headers["content-length"]);
        if (Number.isFinite(declared) && declared > maxBodyBytes) {
          stop(new BodyTooLargeError(maxBodyBytes));
          return;
        }
        head = { status: statusCode, statusText: statusMessage ?? "", headers: headerPairs(headers) };
        controller = ctrl;
      },
      onResponseData(_ctrl, chunk) {
        if (settled) return;
        received += chunk.length;
        if (received > maxBodyBytes) {
          stop(new BodyTooLargeError(maxBodyBytes));
          return;
        }
        chunks.push(chunk);
      },
      onResponseEnd() {
        if (!head) {
          settle(new Error("response ended without headers"));
          return;
        }
        settle(undefined, { ...head, body: Buffer.concat(chunks, received) });
      },
      onResponseError(_ctrl, error) {
        settle(error);
      },
    };

    try {
      dispatcher.dispatch(
        {
          origin: originOf(exchange),
          path: pathOf(exchange.url),
          method: exchange.method as Dispatcher.HttpMethod,
          headers: flatHeaders,
          body: exchange.body,
        },
        handler,
      );
    } catch (error) {
      settle(error);
    }
  });
}
