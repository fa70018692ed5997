/**
 * PicloudError: the one error type the client reports, for HTTP failures of
 * endpoints and for everything that goes wrong in a realtime subscription.
 */

/** Stable codes the client produces; servers may send their own codes too. */
export type PicloudErrorCode =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "payload_too_large"
  | "unprocessable"
  | "rate_limited"
  | "internal"
  | "bad_gateway"
  | "unavailable"
  | "timeout"
  | "insufficient_storage"
  | "network_error"
  | "invalid_request"
  | "invalid_response"
  | "invalid_message"
  | "heartbeat_timeout"
  | "token_error"
  | "handler_error"
  // `string & {}` keeps editor autocompletion of the known codes while allowing any string.
  | (string & {});

export interface PicloudErrorInit {
  /** HTTP status, or 0 when no HTTP response was involved (network, parsing, validation). */
  status: number;
  code: PicloudErrorCode;
  message: string;
  /** The parsed response body (JSON or text), when there was one. */
  body?: unknown;
  /** PiCloud's execution id, when the server reported one (script errors). */
  executionId?: string;
  cause?: unknown;
}

const BRAND = Symbol.for("picloud.client.error");

export class PicloudError extends Error {
  override readonly name = "PicloudError";
  readonly status: number;
  readonly code: PicloudErrorCode;
  readonly body: unknown;
  readonly executionId: string | undefined;

  constructor(init: PicloudErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.body = init.body;
    this.executionId = init.executionId;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** Works across duplicated copies of the library (e.g. ESM and CJS loaded side by side). */
export function isPicloudError(value: unknown): value is PicloudError {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

const STATUS_CODES: Record<number, PicloudErrorCode> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  408: "timeout",
  409: "conflict",
  413: "payload_too_large",
  422: "unprocessable",
  429: "rate_limited",
  500: "internal",
  502: "bad_gateway",
  503: "unavailable",
  504: "timeout",
  507: "insufficient_storage",
};

export function codeForStatus(status: number): PicloudErrorCode {
  return STATUS_CODES[status] ?? `http_${status}`;
}

/**
 * Builds the error for a non-2xx response from its already parsed body. PiCloud sends
 * `{error: {code, message}}` (admin API, realtime) or `{error: "text", executionId}`
 * (script failures); anything else falls back to the status.
 */
export function errorFromResponse(status: number, statusText: string, body: unknown): PicloudError {
  let code = codeForStatus(status);
  let message = statusText || `HTTP ${status}`;
  let executionId: string | undefined;
  if (typeof body === "object" && body !== null) {
    const record = body as Record<string, unknown>;
    const error = record.error;
    if (typeof error === "string" && error !== "") {
      message = error;
    } else if (typeof error === "object" && error !== null) {
      const detail = error as Record<string, unknown>;
      if (typeof detail.code === "string" && detail.code !== "") code = detail.code;
      if (typeof detail.message === "string" && detail.message !== "") message = detail.message;
    }
    if (typeof record.executionId === "string") executionId = record.executionId;
  } else if (typeof body === "string" && body.trim() !== "" && body.length <= 500) {
    message = body.trim();
  }
  return new PicloudError({ status, code, message, body, executionId });
}
