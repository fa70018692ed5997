/**
 * What crosses the boundary at an execution's edges: the entry's input
 * packed for the guest runner (one JSON string plus bytes), and the fetch
 * handler's Response checked before it becomes a HostResponse.
 */
import type { EntryOutcome, ExecutionJob } from "./execution-types.js";
import type { HostResponse } from "./host-types.js";
import { encodeValue } from "./value-codec.js";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^[^\0\r\n\u0100-\uFFFF]*$/;
const REASON = /^[\t\x20-\x7E\x80-\xFF]*$/;
const NULL_BODY = new Set([101, 103, 204, 205, 304]);
const MAX_HEADER_BYTES = 256 * 1024;
const utf8 = new TextEncoder();

export interface EntryMeta {
  json: string;
  body: Uint8Array | null;
  binaries: Uint8Array[] | null;
}

/** Packs the job's entry input, env and ctx for the guest runner (core.ts `run`). */
export function entryMeta(job: ExecutionJob, token: number): EntryMeta {
  for (const [name, value] of Object.entries(job.vars))
    if (typeof value !== "string") throw new TypeError(`env var ${name} is not a string`);
  const meta: Record<string, unknown> = {
    e: job.entry,
    t: token,
    v: job.vars,
    b: (job.bindings ?? []).map((binding) => binding.name),
    x: {
      executionId: job.executionId,
      rootExecutionId: job.rootExecutionId,
      depth: job.depth,
      params: job.params ?? {},
    },
    m: job.limits.maxResponseBytes,
  };
  let body: Uint8Array | null = null;
  let binaries: Uint8Array[] | null = null;
  const input = job.input as Record<string, unknown>;
  switch (job.entry) {
    case "fetch": {
      const request = job.input && "request" in job.input ? job.input.request : undefined;
      if (!request || typeof request.method !== "string" || typeof request.url !== "string")
        throw new TypeError("a fetch execution needs input.request with a method and url");
      if (!TOKEN.test(request.method)) throw new TypeError(`invalid request method ${request.method}`);
      const flat: string[] = [];
      for (const [name, value] of request.headers) {
        if (!TOKEN.test(name) || typeof value !== "string")
          throw new TypeError(`invalid request header ${name}`);
        flat.push(name.toLowerCase(), value);
      }
      meta.r = [request.method, request.url, flat];
      body = request.body && request.body.byteLength > 0 ? request.body : null;
      break;
    }
    case "scheduled": {
      const controller = input.controller as { cron?: unknown; scheduledTime?: unknown } | undefined;
      if (!controller || typeof controller.cron !== "string" || typeof controller.scheduledTime !== "number")
        throw new TypeError("a scheduled execution needs input.controller { cron, scheduledTime }");
      meta.s = [controller.cron, controller.scheduledTime];
      break;
    }
    case "trigger":
    case "email": {
      const [json, bins] = encodeValue(job.entry === "trigger" ? input.event : input.message);
      if (json !== undefined) meta.i = json;
      binaries = bins.length > 0 ? bins : null;
      break;
    }
    default:
      throw new TypeError(`unknown entry point ${String(job.entry)}`);
  }
  return { json: JSON.stringify(meta), body, binaries };
}

/** The guest's Response parts → a HostResponse, or the reason it is not acceptable. */
export function checkResponse(
  status: number,
  statusText: string,
  headersJson: string,
  body: Uint8Array | string | null,
  maxBytes: number,
): HostResponse | string {
  if (!Number.isInteger(status) || status < 200 || status > 599) return `Invalid response status ${status}`;
  if (statusText.length > 1024 || !REASON.test(statusText)) return "Invalid response status text";
  if (headersJson.length > MAX_HEADER_BYTES) return `The response headers exceed ${MAX_HEADER_BYTES} bytes`;
  let flat: unknown;
  try {
    flat = JSON.parse(headersJson);
  } catch {
    return "Invalid response headers";
  }
  if (!Array.isArray(flat) || flat.length % 2 !== 0) return "Invalid response headers";
  const headers: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i];
    const value = flat[i + 1];
    if (typeof name !== "string" || !TOKEN.test(name))
      return `Invalid response header name ${JSON.stringify(name)}`;
    if (typeof value !== "string" || !HEADER_VALUE.test(value))
      return `Invalid value for response header ${name}`;
    headers.push([name, value]);
  }
  const bytes = body === null ? new Uint8Array(0) : typeof body === "string" ? utf8.encode(body) : body;
  if (bytes.byteLength > maxBytes) return `The response body exceeds the limit of ${maxBytes} bytes`;
  if (bytes.byteLength > 0 && NULL_BODY.has(status))
    return `A response with status ${status} cannot have a body`;
  return { status, statusText, headers, body: bytes };
}

/** The outcome of a non-fetch entry that returned `json` (undefined: returned nothing). */
export function decodeReturnValue(json: string | undefined, maxBytes: number): EntryOutcome {
  if (json === undefined) return { status: "ok" };
  if (json.length > maxBytes)
    return { status: "invalid_response", message: `The return value exceeds the limit of ${maxBytes} bytes` };
  return { status: "ok", value: JSON.parse(json) };
}
