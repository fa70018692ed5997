/**
 * Internal state of Request/Response objects, shared by the "fetch" piece
 * (constructors, getters, the trip to the host) and the lazily loaded
 * "fetch-body" piece (body methods, statics, full Request init). The pieces
 * are bundled separately, so the keys are registered symbols.
 */
import type { Headers } from "./headers.js";
import type { BodyState } from "./piece-types.js";

export const REQUEST = Symbol.for("picloud.request");
export const RESPONSE = Symbol.for("picloud.response");
/** Passed as the first constructor argument by the runtime itself, to build from trusted parts. */
export const RAW = Symbol.for("picloud.raw");

export const TEXT_PLAIN = "text/plain;charset=UTF-8";
export const NULL_BODY = [101, 103, 204, 205, 304];

export interface RequestState {
  method: string;
  url: string;
  headers: Headers;
  body: BodyState;
  redirect: "follow" | "manual" | "error";
  signal: object | null;
}

export interface ResponseState {
  status: number;
  statusText: string;
  headers: Headers;
  body: BodyState;
  type: "default" | "basic" | "error";
  url: string;
  redirected: boolean;
}

export function requestState(self: unknown): RequestState {
  const s =
    self !== null && typeof self === "object" ? (self as { [REQUEST]?: RequestState })[REQUEST] : undefined;
  if (!s) throw new TypeError("Illegal invocation: not a Request");
  return s;
}

export function responseState(self: unknown): ResponseState {
  const s =
    self !== null && typeof self === "object"
      ? (self as { [RESPONSE]?: ResponseState })[RESPONSE]
      : undefined;
  if (!s) throw new TypeError("Illegal invocation: not a Response");
  return s;
}

/** The body state of a Request or a Response. */
export function bodyState(self: unknown): BodyState {
  if (self !== null && typeof self === "object") {
    const s =
      (self as { [REQUEST]?: RequestState; [RESPONSE]?: ResponseState })[REQUEST] ??
      (self as { [RESPONSE]?: ResponseState })[RESPONSE];
    if (s) return s.body;
  }
  throw new TypeError("Illegal invocation: not a Request or Response");
}
