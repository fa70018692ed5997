/**
 * CORS for the test servers: a page on another origin sends Authorization and
 * Last-Event-ID, so browsers preflight every realtime and endpoint request.
 */

import type { IncomingMessage, ServerResponse } from "node:http";

/** Sets the CORS headers; answers (and returns true for) preflight requests. */
export function answerCors(req: IncomingMessage, res: ServerResponse): boolean {
  res.setHeader("access-control-allow-origin", "*");
  if (req.method !== "OPTIONS") return false;
  res.writeHead(204, {
    "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE",
    "access-control-allow-headers": req.headers["access-control-request-headers"] ?? "*",
    "access-control-max-age": "600",
  });
  res.end();
  return true;
}
