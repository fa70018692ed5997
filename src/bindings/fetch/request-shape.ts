/**
 * Validates what the guest hands over (it crosses the sandbox boundary, so
 * nothing is trusted) and shapes it into the request the first hop sends:
 * Fetch's method rules, header syntax, body size, and the headers PiCloud owns.
 */
import { HostCallError, type HostRequest } from "../../../runtime/host-types.js";
import { failed, formatBytes, refused } from "./fetch-errors.js";
import { parseUrl } from "./url-policy.js";

export type RedirectMode = "follow" | "manual" | "error";

/** One hop's request; redirects derive the next hop from it. */
export interface HopRequest {
  url: URL;
  method: string;
  headers: [string, string][];
  body: Uint8Array | null;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);
const NORMALIZED_METHODS = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);

// Connection management and framing belong to the HTTP client, not to scripts;
// Host is always the URL's host so it can never disagree with the checked target.
const MANAGED_HEADERS = new Set([
  "host",
  "content-length",
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "expect",
]);

function typeError(message: string): HostCallError {
  return new HostCallError("TypeError", message);
}

function normalizeMethod(method: unknown): string {
  if (typeof method !== "string" || !TOKEN.test(method))
    throw typeError("fetch: method is not a valid HTTP method");
  const upper = method.toUpperCase();
  if (FORBIDDEN_METHODS.has(upper)) throw typeError(`fetch: method ${upper} is not allowed`);
  return NORMALIZED_METHODS.has(upper) ? upper : method;
}

function normalizeHeaders(headers: unknown): [string, string][] {
  if (!Array.isArray(headers)) throw typeError("fetch: headers must be a list of [name, value] pairs");
  const out: [string, string][] = [];
  for (const pair of headers) {
    const [name, value] = Array.isArray(pair) ? pair : [];
    if (typeof name !== "string" || !TOKEN.test(name)) {
      throw typeError(`fetch: invalid header name ${JSON.stringify(String(name)).slice(0, 60)}`);
    }
    // Fetch strips leading/trailing HTTP whitespace; CR, LF and NUL would split the request.
    const trimmed = typeof value === "string" ? value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "") : null;
    if (trimmed === null || /[\r\n\0]/.test(trimmed) || /[\u0100-\uffff]/.test(trimmed)) {
      throw typeError(`fetch: invalid value for header ${name}`);
    }
    const lower = name.toLowerCase();
    if (!MANAGED_HEADERS.has(lower)) out.push([lower, trimmed]);
  }
  return out;
}

export function hasHeader(headers: [string, string][], name: string): boolean {
  return headers.some(([n]) => n === name);
}

/** Checks the guest's request and builds the first hop; throws the guest's TypeError on bad input. */
export function shapeRequest(
  req: HostRequest,
  limits: { maxRequestBytes: number; userAgent: string },
): { hop: HopRequest; redirect: RedirectMode } {
  if (req === null || typeof req !== "object") throw typeError("fetch: request is missing");
  const url = typeof req.url === "string" ? parseUrl(req.url) : null;
  if (!url) throw typeError("fetch: invalid URL");
  const method = normalizeMethod(req.method);
  const headers = normalizeHeaders(req.headers);

  const redirect = req.redirect ?? "follow";
  if (redirect !== "follow" && redirect !== "manual" && redirect !== "error") {
    throw typeError('fetch: redirect must be "follow", "manual" or "error"');
  }

  let body = req.body ?? null;
  if (body !== null && !(body instanceof Uint8Array)) throw typeError("fetch: body must be bytes");
  if (body !== null && (method === "GET" || method === "HEAD")) {
    if (body.length > 0) throw refused(url, `a ${method} request cannot have a body`);
    body = null;
  }
  if (body !== null && body.length > limits.maxRequestBytes) {
    throw failed(
      url,
      `request body of ${body.length} bytes exceeds the ${formatBytes(limits.maxRequestBytes)} limit (maxRequestBytes)`,
    );
  }

  // The defaults fetch sends; a script's own values win.
  if (!hasHeader(headers, "user-agent")) headers.push(["user-agent", limits.userAgent]);
  if (!hasHeader(headers, "accept")) headers.push(["accept", "*/*"]);
  if (!hasHeader(headers, "accept-encoding")) {
    headers.push(["accept-encoding", url.protocol === "https:" ? "br, gzip, deflate" : "gzip, deflate"]);
  }
  return { hop: { url, method, headers, body }, redirect };
}
