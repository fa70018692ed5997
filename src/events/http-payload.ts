/** An HTTP request stored in the outbox for an async route (SPEC §4), and back. */
import type { HostRequest } from "../../runtime/index.js";

export interface HttpPayload {
  method: string;
  url: string;
  headers: [string, string][];
  /** base64, or null for no body. */
  body: string | null;
  requestLine: string;
  /** The route's path params (ctx.params). */
  params: Record<string, string>;
}

export function payloadFromRequest(
  req: HostRequest,
  requestLine: string,
  params: Record<string, string>,
): HttpPayload {
  return {
    method: req.method,
    url: req.url,
    headers: req.headers,
    body: req.body ? Buffer.from(req.body).toString("base64") : null,
    requestLine,
    params,
  };
}

export function requestFromPayload(p: HttpPayload): HostRequest {
  return {
    method: p.method,
    url: p.url,
    headers: p.headers,
    body: p.body === null ? null : new Uint8Array(Buffer.from(p.body, "base64")),
  };
}
