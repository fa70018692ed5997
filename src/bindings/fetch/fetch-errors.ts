/**
 * The messages a script sees when its fetch is refused or fails. They name the
 * URL (without credentials, query or fragment, which may hold secrets) and a
 * reason; low-level error messages are never passed through, only error codes.
 */
import { HostCallError } from "../../../runtime/host-types.js";

/** The URL as shown in messages: scheme, host and path only. */
export function displayUrl(url: URL): string {
  if (url.protocol === "http:" || url.protocol === "https:")
    return `${url.protocol}//${url.host}${url.pathname}`;
  const copy = new URL(url.href);
  copy.username = "";
  copy.password = "";
  copy.search = "";
  copy.hash = "";
  const text = copy.href;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A refusal by policy: the request never left the host. */
export function refused(url: URL, reason: string): HostCallError {
  return new HostCallError("TypeError", `fetch to ${displayUrl(url)} refused: ${reason}`);
}

/** A failure on the way (network, limits, protocol). */
export function failed(url: URL, reason: string): HostCallError {
  return new HostCallError("TypeError", `fetch to ${displayUrl(url)} failed: ${reason}`);
}

/** "10 MiB", "512 KiB", "100 bytes": limits as people write them. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by the server",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  EADDRNOTAVAIL: "address not available",
  ETIMEDOUT: "connection timed out",
  EPIPE: "connection closed by the server",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  UND_ERR_HEADERS_TIMEOUT: "timed out waiting for response headers",
  UND_ERR_BODY_TIMEOUT: "timed out reading the response body",
  UND_ERR_SOCKET: "connection closed by the server",
  UND_ERR_CLOSED: "connection closed",
  UND_ERR_HEADERS_OVERFLOW: "response headers too large",
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: "response body length does not match content-length",
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: "request body length does not match content-length",
  UND_ERR_INFO: "connection closed",
};

/** Codes that mean no byte of the request was sent, so another checked address may be tried. */
export const CONNECT_FAILURE_CODES = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
]);

export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** A safe, short reason for a network-level error. */
export function describeNetworkError(error: unknown): string {
  const code = errorCode(error);
  if (code === undefined) return "network error";
  const known = NETWORK_REASONS[code];
  if (known) return known;
  if (code.startsWith("HPE_")) return `invalid HTTP response (${code})`;
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code)) return `TLS error (${code})`;
  if (/^E[A-Z]+$/.test(code)) return `network error (${code})`;
  return "network error";
}
