/**
 * Request (Fetch standard §6.4), as scripts receive it and build it for
 * outbound fetch(). Incoming requests are built from host data without
 * re-validating what the host already checked.
 */

import { cloneBody, extractBody, installBodyMethods } from "./body.js";
import { Headers, headerList, headersFromList, setGuard } from "./headers.js";
import type { Internals } from "./internals.js";
import type { BodyState, EventsPiece, UrlPiece } from "./piece-types.js";

let I: Internals;

const STATE = Symbol("request");
/** Passed as `input` by the runtime itself to build a Request from trusted parts. */
const RAW = Symbol("raw");

interface RequestState {
  method: string;
  url: string;
  headers: Headers;
  body: BodyState;
  redirect: "follow" | "manual" | "error";
  signal: object | null;
}

/** The standard upper-cases only these; others (including "patch") keep their case. */
const NORMALIZED_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"];
const FORBIDDEN_METHODS = ["CONNECT", "TRACE", "TRACK"];
const METHOD_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function normalizeMethod(method: unknown): string {
  const text = String(method);
  if (!METHOD_TOKEN.test(text)) throw new TypeError(`Invalid request method "${text}"`);
  const upper = text.toUpperCase();
  if (FORBIDDEN_METHODS.includes(upper)) throw new TypeError(`Request method "${text}" is forbidden`);
  return NORMALIZED_METHODS.includes(upper) ? upper : text;
}

function state(self: unknown): RequestState {
  const s =
    self !== null && typeof self === "object" ? (self as { [STATE]?: RequestState })[STATE] : undefined;
  if (!s) throw new TypeError("Illegal invocation: not a Request");
  return s;
}

export class Request {
  declare [STATE]: RequestState;

  constructor(input: unknown, init?: Record<string, unknown>) {
    if (input === RAW) {
      this[STATE] = init as unknown as RequestState;
      return;
    }
    const options: Record<string, unknown> = init ?? {};
    let s: RequestState;
    if (input !== null && typeof input === "object" && STATE in input) {
      const from = state(input);
      s = {
        method: from.method,
        url: from.url,
        headers: new Headers(from.headers),
        body: { src: null, used: false },
        redirect: from.redirect,
        signal: from.signal,
      };
      if (options.body === undefined && from.body.src !== null) {
        if (from.body.used)
          throw new TypeError("Cannot construct a Request with a body that was already used");
        s.body = { src: from.body.src, used: false };
        from.body.used = true;
      }
    } else {
      const href = I.load<UrlPiece>("url").href(String(input));
      if (href === null) throw new TypeError(`Invalid URL: "${String(input)}"`);
      s = {
        method: "GET",
        url: href,
        headers: new Headers(),
        body: { src: null, used: false },
        redirect: "follow",
        signal: null,
      };
    }
    if (options.method !== undefined) s.method = normalizeMethod(options.method);
    if (options.headers !== undefined) s.headers = new Headers(options.headers);
    if (options.redirect !== undefined) {
      const redirect = String(options.redirect);
      if (redirect !== "follow" && redirect !== "manual" && redirect !== "error")
        throw new TypeError(`Invalid redirect mode "${redirect}"`);
      s.redirect = redirect;
    }
    if (options.signal !== undefined) {
      if (options.signal !== null && !I.peek<EventsPiece>("events")?.isSignal(options.signal))
        throw new TypeError("Request signal must be an AbortSignal");
      s.signal = options.signal as object | null;
    }
    if (options.body !== undefined && options.body !== null) {
      if (s.method === "GET" || s.method === "HEAD")
        throw new TypeError(`Request with ${s.method} method cannot have a body`);
      const [src, type] = extractBody(options.body);
      s.body = { src, used: false };
      if (type !== null && !s.headers.has("content-type")) s.headers.append("content-type", type);
    }
    this[STATE] = s;
  }

  get method(): string {
    return state(this).method;
  }

  get url(): string {
    return state(this).url;
  }

  get headers(): Headers {
    return state(this).headers;
  }

  get redirect(): string {
    return state(this).redirect;
  }

  get signal(): object {
    const s = state(this);
    if (s.signal === null) s.signal = I.load<EventsPiece>("events").controlled()[0];
    return s.signal;
  }

  clone(): Request {
    const s = state(this);
    const copy: RequestState = { ...s, headers: new Headers(s.headers), body: cloneBody(s.body) };
    return new Request(RAW, copy as unknown as Record<string, unknown>);
  }

  get [Symbol.toStringTag](): string {
    return "Request";
  }
}

export function bindRequest(internals: Internals): void {
  I = internals;
  const proto = Request.prototype;
  installBodyMethods(proto, (self) => state(self).body);
  const constants: Record<string, unknown> = {
    cache: "default",
    credentials: "same-origin",
    destination: "",
    integrity: "",
    keepalive: false,
    mode: "cors",
    referrer: "about:client",
    referrerPolicy: "",
    duplex: "half",
  };
  for (const name of Object.keys(constants)) {
    const value = constants[name];
    Object.defineProperty(proto, name, { configurable: true, enumerable: true, get: () => value });
  }
}

/** The fetch entry's request: host-validated parts, immutable headers like Workers. */
export function requestFromHost(r: [string, string, string[]], body: ArrayBuffer | undefined): Request {
  const flat = r[2];
  const list: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) list.push([flat[i]!, flat[i + 1]!]);
  const s: RequestState = {
    method: r[0],
    url: r[1],
    headers: headersFromList(list, "immutable"),
    body: { src: body === undefined ? null : new Uint8Array(body), used: false },
    redirect: "follow",
    signal: null,
  };
  return new Request(RAW, s as unknown as Record<string, unknown>);
}

export function requestState(request: unknown): RequestState {
  return state(request);
}

export function isRequest(value: unknown): value is Request {
  return value !== null && typeof value === "object" && STATE in value;
}

export { headerList, setGuard };
