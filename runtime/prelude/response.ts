/**
 * Response (Fetch standard §6.5) and its trip to the host: respond() turns the
 * script's return value into one Op.Respond call (status, headers, body), or
 * Op.Invalid when it is not a usable Response.
 */
import { Op } from "../ops.js";
import { cloneBody, extractBody, installBodyMethods, sourceBytes } from "./body.js";
import { Headers, headerList, headersFromList, setGuard } from "./headers.js";
import type { Internals } from "./internals.js";
import type { BodyState, UrlPiece } from "./piece-types.js";

let I: Internals;

const STATE = Symbol("response");

interface ResponseState {
  status: number;
  statusText: string;
  headers: Headers;
  body: BodyState;
  type: "default" | "basic" | "error";
  url: string;
  redirected: boolean;
}

const NULL_BODY = [101, 103, 204, 205, 304];
const REDIRECTS = [301, 302, 303, 307, 308];
const REASON = /^[\t\x20-\x7E\x80-\xFF]*$/;

function state(self: unknown): ResponseState {
  const s =
    self !== null && typeof self === "object" ? (self as { [STATE]?: ResponseState })[STATE] : undefined;
  if (!s) throw new TypeError("Illegal invocation: not a Response");
  return s;
}

/** Passed as `body` by the runtime itself to build a Response from trusted parts. */
const RAW = Symbol("raw");

export class Response {
  declare [STATE]: ResponseState;

  constructor(body?: unknown, init?: unknown) {
    if (body === RAW) {
      this[STATE] = init as ResponseState;
      return;
    }
    const options = (init ?? {}) as Record<string, unknown>;
    if (typeof options !== "object") throw new TypeError("Response init must be an object");
    let status = 200;
    if (options.status !== undefined) {
      status = Number(options.status);
      if (!Number.isInteger(status) || status < 200 || status > 599)
        throw new RangeError(`Response status must be an integer in 200..599, got ${String(options.status)}`);
    }
    const statusText = options.statusText === undefined ? "" : String(options.statusText);
    if (!REASON.test(statusText)) throw new TypeError("Invalid Response statusText");
    const headers = new Headers(options.headers ?? undefined);
    const s: ResponseState = {
      status,
      statusText,
      headers,
      body: { src: null, used: false },
      type: "default",
      url: "",
      redirected: false,
    };
    if (body !== null && body !== undefined) {
      if (NULL_BODY.includes(status))
        throw new TypeError(`Response with status ${status} cannot have a body`);
      const [src, type] = extractBody(body);
      s.body.src = src;
      if (type !== null && !headers.has("content-type")) headers.append("content-type", type);
    }
    this[STATE] = s;
  }

  static json(data: unknown, init?: unknown): Response {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError("Response.json: data is not JSON-serializable");
    const response = new Response(null, init);
    const s = state(response);
    if (NULL_BODY.includes(s.status))
      throw new TypeError(`Response with status ${s.status} cannot have a body`);
    s.body.src = text;
    if (!s.headers.has("content-type")) s.headers.append("content-type", "application/json");
    return response;
  }

  static redirect(url: unknown, status = 302): Response {
    const href = I.load<UrlPiece>("url").href(String(url));
    if (href === null) throw new TypeError(`Invalid URL: "${String(url)}"`);
    if (!REDIRECTS.includes(status)) throw new RangeError(`Invalid redirect status ${status}`);
    return new Response(RAW, {
      status,
      statusText: "",
      headers: headersFromList([["location", href]], "immutable"),
      body: { src: null, used: false },
      type: "default",
      url: "",
      redirected: false,
    });
  }

  static error(): Response {
    return new Response(RAW, {
      status: 0,
      statusText: "",
      headers: headersFromList([], "immutable"),
      body: { src: null, used: false },
      type: "error",
      url: "",
      redirected: false,
    });
  }

  get ok(): boolean {
    const status = state(this).status;
    return status >= 200 && status <= 299;
  }

  clone(): Response {
    const s = state(this);
    const headers = headersFromList(
      headerList(s.headers).map((pair) => [pair[0], pair[1]]),
      "none",
    );
    return new Response(RAW, { ...s, headers, body: cloneBody(s.body) });
  }

  get [Symbol.toStringTag](): string {
    return "Response";
  }
}

export function bindResponse(internals: Internals): void {
  I = internals;
  const proto = Response.prototype;
  installBodyMethods(proto, (self) => state(self).body);
  for (const name of ["status", "statusText", "headers", "type", "url", "redirected"] as const) {
    Object.defineProperty(proto, name, {
      configurable: true,
      enumerable: true,
      get(this: unknown) {
        return state(this)[name];
      },
    });
  }
}

/** An outbound fetch's answer, headers immutable like Workers. */
export function responseFromHost(
  parts: [number, string, string, string, boolean],
  body: ArrayBuffer | undefined,
): Response {
  const flat = JSON.parse(parts[2]) as string[];
  const list: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) list.push([flat[i]!, flat[i + 1]!]);
  return new Response(RAW, {
    status: parts[0],
    statusText: parts[1],
    headers: headersFromList(list, "immutable"),
    body: {
      src: body === undefined || NULL_BODY.includes(parts[0]) ? null : new Uint8Array(body),
      used: false,
    },
    type: "basic",
    url: parts[3],
    redirected: parts[4],
  });
}

/** Sends the fetch entry's return value to the host. */
export async function respond(result: unknown, maxBytes: number): Promise<void> {
  if (!(result !== null && typeof result === "object" && STATE in result)) {
    I.host(Op.Invalid, `The fetch handler must return a Response, got ${I.describe(result)}`);
    return;
  }
  const s = state(result);
  if (s.type === "error") {
    I.host(Op.Invalid, "The fetch handler returned Response.error()");
    return;
  }
  if (s.body.used) {
    I.host(Op.Invalid, "The fetch handler returned a Response whose body was already used");
    return;
  }
  const flat: string[] = [];
  for (const [name, value] of headerList(s.headers)) flat.push(name, value);
  let body: string | ArrayBuffer | null = null;
  const src = s.body.src;
  if (typeof src === "string" && !src.includes("\0")) {
    if (src.length > maxBytes) {
      I.host(Op.Invalid, `The response body exceeds the limit of ${maxBytes} bytes`);
      return;
    }
    body = src;
  } else if (src !== null) {
    let bytes: Uint8Array;
    try {
      bytes = await sourceBytes(src, maxBytes);
    } catch (e) {
      if (e instanceof RangeError) {
        I.host(Op.Invalid, `The response body exceeds the limit of ${maxBytes} bytes`);
        return;
      }
      throw e;
    }
    if (bytes.byteLength > maxBytes) {
      I.host(Op.Invalid, `The response body exceeds the limit of ${maxBytes} bytes`);
      return;
    }
    body =
      bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
        ? (bytes.buffer as ArrayBuffer)
        : (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  }
  s.body.used = src !== null;
  I.host(Op.Respond, s.status, s.statusText, JSON.stringify(flat), body);
}

export function isResponse(value: unknown): value is Response {
  return value !== null && typeof value === "object" && STATE in value;
}

export { setGuard };
