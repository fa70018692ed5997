/**
 * A script's own `new Request(input, init)` (Fetch standard §6.4), clone(),
 * and the outbound request's trip to the host. Part of the fetch-body piece.
 */
import { cloneBody, extractBody, sourceBytes } from "./body.js";
import { RAW, REQUEST, type RequestState, requestState } from "./fetch-state.js";
import type { Internals } from "./internals.js";
import type { EventsPiece, FetchPiece, UrlPiece } from "./piece-types.js";

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

export function requestInit(I: Internals) {
  const fetch = () => I.load<FetchPiece>("fetch");

  const initRequest = (input: unknown, init: unknown): RequestState => {
    const options = (init ?? {}) as Record<string, unknown>;
    const { Headers } = fetch();
    let s: RequestState;
    if (input !== null && typeof input === "object" && REQUEST in input) {
      const from = requestState(input);
      s = {
        method: from.method,
        url: from.url,
        headers: new Headers(from.headers) as RequestState["headers"],
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
        headers: new Headers() as RequestState["headers"],
        body: { src: null, used: false },
        redirect: "follow",
        signal: null,
      };
    }
    if (options.method !== undefined) s.method = normalizeMethod(options.method);
    if (options.headers !== undefined) s.headers = new Headers(options.headers) as RequestState["headers"];
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
    return s;
  };

  const cloneRequest = (self: unknown): object => {
    const s = requestState(self);
    const { Headers, Request } = fetch();
    const copy: RequestState = {
      ...s,
      headers: new Headers(s.headers) as RequestState["headers"],
      body: cloneBody(s.body),
    };
    return new Request(RAW, copy);
  };

  const toHost = async (
    request: unknown,
  ): Promise<[string, string, string, ArrayBuffer | null, string, unknown]> => {
    const s = requestState(request);
    if (s.body.used) throw new TypeError("Request body has already been used");
    const src = s.body.src;
    s.body.used = src !== null;
    const bytes = src === null ? null : await sourceBytes(src);
    const flat: string[] = [];
    for (const [name, value] of fetch().headerList(s.headers)) flat.push(name, value);
    const body =
      bytes === null
        ? null
        : bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
          ? bytes.buffer
          : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    return [s.method, s.url, JSON.stringify(flat), body, s.redirect, s.signal];
  };

  return { initRequest, cloneRequest, toHost };
}
