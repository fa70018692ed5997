/**
 * The one place errors become HTTP: PicloudError → its status and
 * `{error: {code, message, details?}}`; Hono's own HTTP errors (body limit,
 * malformed JSON) likewise; anything else is a 500 whose cause is logged with
 * the request id and never sent.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AdminEnv } from "../auth/http.js";
import { PicloudError } from "../lib/errors.js";

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

const HONO_CODES: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

/** Strips query parameters from database errors before logging: they may hold hashes or user data. */
function loggable(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { value: String(err) };
  const cause = (err as { cause?: unknown }).cause;
  const out: Record<string, unknown> = {
    name: err.name,
    message: err.message.split("\nparams:")[0],
    stack: err.stack,
  };
  if (cause instanceof Error)
    out.cause = { name: cause.name, message: cause.message, code: (cause as { code?: string }).code };
  return out;
}

export function handleError(err: Error, c: Context<AdminEnv>): Response {
  if (err instanceof PicloudError) {
    if (err.status === 429) {
      const retry = (err.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
      if (retry) c.header("Retry-After", String(retry));
    }
    return c.json(errorBody(err.code, err.message, err.details), err.status as ContentfulStatusCode);
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    let message = err.message || "request rejected";
    if (status === 413) message = "request body is too large";
    if (/Malformed JSON/i.test(message)) message = "request body is not valid JSON";
    if (/Content-Type/i.test(message)) message = "request body must be JSON (Content-Type: application/json)";
    return c.json(errorBody(HONO_CODES[status] ?? "http_error", message), status as ContentfulStatusCode);
  }
  const log = c.get("log");
  log?.error({ err: loggable(err), requestId: c.get("requestId") }, "unhandled error");
  return c.json(
    errorBody("internal", "internal error; the server log has details", { requestId: c.get("requestId") }),
    500,
  );
}
