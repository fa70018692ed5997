/**
 * Fetch spec redirect semantics (HTTP-redirect fetch): which responses are
 * redirects, where they point, and how the next hop's request changes. The
 * next hop is checked like a fresh request by the caller (scheme, host,
 * addresses), so a redirect can never reach what a direct fetch could not.
 */
import type { HopRequest } from "./request-shape.js";
import { parseUrl } from "./url-policy.js";

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

// Headers that describe a request body; dropped when the body is (Fetch "request-body-header name").
const BODY_HEADERS = new Set(["content-encoding", "content-language", "content-location", "content-type"]);

// Credentials meant for one origin; dropped when a redirect leaves it.
const ORIGIN_CREDENTIAL_HEADERS = new Set(["authorization", "proxy-authorization", "cookie"]);

export function isRedirectStatus(status: number): boolean {
  return REDIRECT_STATUSES.has(status);
}

/** The redirect target: a URL, "invalid" for an unparsable Location, or null when there is none. */
export function locationOf(headers: [string, string][], current: URL): URL | "invalid" | null {
  const location = headers.find(([name]) => name === "location")?.[1];
  if (location === undefined) return null;
  const target = parseUrl(location, current);
  if (!target) return "invalid";
  // A Location without a fragment inherits the current one (Fetch "location URL").
  if (target.hash === "" && current.hash !== "") target.hash = current.hash;
  return target;
}

/** The request for the hop that follows a `status` redirect to `location`. */
export function nextHop(previous: HopRequest, status: number, location: URL): HopRequest {
  let { method, body, headers } = previous;
  if (
    ((status === 301 || status === 302) && method === "POST") ||
    (status === 303 && method !== "GET" && method !== "HEAD")
  ) {
    method = "GET";
    body = null;
    headers = headers.filter(([name]) => !BODY_HEADERS.has(name));
  }
  if (location.origin !== previous.url.origin) {
    headers = headers.filter(([name]) => !ORIGIN_CREDENTIAL_HEADERS.has(name));
  }
  return { url: location, method, headers, body };
}
