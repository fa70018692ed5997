/**
 * One error family with a stable machine code and an HTTP status. The server's
 * error handler maps these once; any other error is a 500 whose cause is logged
 * and never sent.
 */
export type ErrorDetails = Record<string, unknown> | unknown[];

export class PicloudError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetails,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "PicloudError";
  }
}

/** 400: the request is malformed or a field is invalid; `details` names the fields. */
export const badRequest = (message: string, details?: ErrorDetails) =>
  new PicloudError(400, "bad_request", message, details);
/** 400 with code validation_failed: used for schema validation of bodies and queries. */
export const validationFailed = (message: string, details?: ErrorDetails) =>
  new PicloudError(400, "validation_failed", message, details);
export const unauthorized = (message = "authentication required") =>
  new PicloudError(401, "unauthorized", message);
export const forbidden = (message = "not allowed") => new PicloudError(403, "forbidden", message);
export const notFound = (what: string) => new PicloudError(404, "not_found", `${what} not found`);
export const conflict = (message: string, details?: ErrorDetails) =>
  new PicloudError(409, "conflict", message, details);
export const payloadTooLarge = (message: string) => new PicloudError(413, "payload_too_large", message);
export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  new PicloudError(429, "rate_limited", message, { retryAfterSeconds });
