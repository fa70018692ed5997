/**
 * Keeps the admin session away from scripts. The dashboard's session cookie is
 * sent to every path of the instance's host, so without this an app editor's
 * script could read an owner's session from a request, or plant one with
 * Set-Cookie. Scripts never see it and can never set it.
 */
import { SESSION_COOKIE } from "../auth/sessions.js";

/** Request headers for a script: the admin session cookie removed from Cookie. */
export function scriptRequestHeaders(headers: Headers): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of headers) {
    if (name === "cookie") {
      const kept = value
        .split(";")
        .map((c) => c.trim())
        .filter((c) => c && !c.startsWith(`${SESSION_COOKIE}=`))
        .join("; ");
      if (kept) out.push([name, kept]);
      continue;
    }
    out.push([name, value]);
  }
  return out;
}

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "content-length",
  "proxy-connection",
]);

/** Response headers from a script: hop-by-hop headers and any Set-Cookie for the admin session dropped. */
export function scriptResponseHeaders(pairs: [string, string][]): Headers {
  const headers = new Headers();
  for (const [name, value] of pairs) {
    const n = name.toLowerCase();
    if (HOP_BY_HOP.has(n)) continue;
    if (n === "set-cookie" && value.trimStart().startsWith(`${SESSION_COOKIE}=`)) continue;
    headers.append(name, value);
  }
  return headers;
}
