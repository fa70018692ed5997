/**
 * Typed endpoint calls: `endpoint<Req, Res>(method, path)` returns an async
 * function that builds the request (path params, query or JSON body), sends it
 * with the client's fetch, and turns the response into `Res` or a PicloudError.
 */

import type { ClientContext } from "./client-context.js";
import { errorFromResponse, isPicloudError, PicloudError } from "./error.js";
import { fillPath, isPlainObject, joinUrl, type ParamValue, toQueryString } from "./request-url.js";
import { runValidator, type Validator } from "./validator.js";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface EndpointOptions<Res> {
  /** Checks (and may transform) the parsed response body; a failure rejects with code "invalid_response". */
  validate?: Validator<Res>;
  /** Extra headers for every call of this endpoint. */
  headers?: HeadersInit;
}

export interface CallOptions {
  /** Path params; they win over request fields of the same name. */
  params?: Record<string, ParamValue>;
  signal?: AbortSignal;
  headers?: HeadersInit;
}

/** The request argument is optional when `Req` admits undefined (the default `void`). */
export type EndpointArgs<Req> = undefined extends Req
  ? [request?: Req, options?: CallOptions]
  : [request: Req, options?: CallOptions];

export interface Endpoint<Req, Res> {
  (...args: EndpointArgs<Req>): Promise<Res>;
  readonly method: HttpMethod;
  readonly path: string;
}

const QUERY_METHODS = new Set<HttpMethod>(["GET", "DELETE"]);
const METHODS = new Set<string>(["GET", "POST", "PUT", "PATCH", "DELETE"]);

/** Bodies that fetch sends as they are rather than as JSON. */
function isRawBody(value: unknown): value is BodyInit {
  return (
    (typeof FormData !== "undefined" && value instanceof FormData) ||
    (typeof Blob !== "undefined" && value instanceof Blob) ||
    (typeof URLSearchParams !== "undefined" && value instanceof URLSearchParams) ||
    (typeof ReadableStream !== "undefined" && value instanceof ReadableStream) ||
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value)
  );
}

function invalidRequest(message: string, cause?: unknown): PicloudError {
  return new PicloudError({ status: 0, code: "invalid_request", message, cause });
}

interface Prepared {
  url: string;
  body: BodyInit | undefined;
  json: boolean;
}

function prepare(method: HttpMethod, template: string, request: unknown, options: CallOptions | undefined) {
  let filled: ReturnType<typeof fillPath>;
  try {
    filled = fillPath(template, options?.params, request);
  } catch (error) {
    throw invalidRequest((error as Error).message, error);
  }
  const prepared: Prepared = { url: filled.path, body: undefined, json: false };
  if (QUERY_METHODS.has(method)) {
    if (request instanceof URLSearchParams) {
      const query = request.toString();
      if (query !== "") prepared.url += `?${query}`;
    } else if (request !== undefined && request !== null && !isPlainObject(request)) {
      throw invalidRequest(
        `${method} ${template}: the request must be a plain object (sent as query string)`,
      );
    } else {
      prepared.url += toQueryString(filled.rest);
    }
  } else if (request !== undefined) {
    if (isRawBody(request)) {
      prepared.body = request;
    } else {
      prepared.body = JSON.stringify(filled.rest ?? request);
      prepared.json = true;
    }
  }
  return prepared;
}

const JSON_TYPE = /[/+]json(;|$|\s)/i;

/** Reads a response body: JSON when the server says so, text otherwise, undefined when empty. */
export async function readResponseBody(
  response: Response,
): Promise<{ value: unknown; parseError?: unknown }> {
  if (response.status === 204 || response.status === 205 || response.status === 304) {
    await response.body?.cancel();
    return { value: undefined };
  }
  const text = await response.text();
  if (text === "") return { value: undefined };
  if (!JSON_TYPE.test(response.headers.get("content-type") ?? "")) return { value: text };
  try {
    return { value: JSON.parse(text) };
  } catch (parseError) {
    return { value: text, parseError };
  }
}

export function createEndpoint<Req, Res>(
  context: ClientContext,
  method: HttpMethod,
  path: string,
  endpointOptions: EndpointOptions<Res> = {},
): Endpoint<Req, Res> {
  const upper = method.toUpperCase() as HttpMethod;
  if (!METHODS.has(upper)) throw new TypeError(`Unsupported HTTP method: ${method}`);
  if (!path.startsWith("/")) throw new TypeError(`Endpoint path must start with "/": ${path}`);

  async function call(request?: Req, options?: CallOptions): Promise<Res> {
    const prepared = prepare(upper, path, request, options);
    const headers = await context.headers([endpointOptions.headers, options?.headers]);
    if (!headers.has("accept")) headers.set("accept", "application/json");
    if (prepared.json && !headers.has("content-type")) headers.set("content-type", "application/json");

    let response: Response;
    let parsed: Awaited<ReturnType<typeof readResponseBody>>;
    try {
      response = await context.fetch(joinUrl(context.baseUrl, prepared.url), {
        method: upper,
        headers,
        body: prepared.body,
        signal: options?.signal,
      });
      parsed = await readResponseBody(response);
    } catch (error) {
      if (options?.signal?.aborted || isPicloudError(error)) throw error;
      throw new PicloudError({
        status: 0,
        code: "network_error",
        message: `${upper} ${path} failed: ${(error as Error)?.message ?? String(error)}`,
        cause: error,
      });
    }

    if (!response.ok) throw errorFromResponse(response.status, response.statusText, parsed.value);
    if (parsed.parseError !== undefined) {
      throw new PicloudError({
        status: response.status,
        code: "invalid_response",
        message: `${upper} ${path} returned invalid JSON`,
        body: parsed.value,
        cause: parsed.parseError,
      });
    }
    if (!endpointOptions.validate) return parsed.value as Res;
    try {
      return runValidator(endpointOptions.validate, parsed.value);
    } catch (error) {
      throw new PicloudError({
        status: response.status,
        code: "invalid_response",
        message: `${upper} ${path} returned an unexpected body: ${(error as Error)?.message ?? String(error)}`,
        body: parsed.value,
        cause: error,
      });
    }
  }

  return Object.assign(call as (...args: EndpointArgs<Req>) => Promise<Res>, { method: upper, path });
}
