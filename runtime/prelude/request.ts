/**
 * Request (Fetch standard §6.4): the class and its getters. Incoming requests
 * are built from host data without re-validating what the host checked; a
 * script's own `new Request(input, init)` is handled by the fetch-body piece,
 * loaded on first use, as are the body methods.
 */

import { RAW, REQUEST, type RequestState, requestState } from "./fetch-state.js";
import type { Headers } from "./headers.js";
import { headersFromList } from "./headers.js";
import type { Internals } from "./internals.js";
import type { EventsPiece, FetchBodyPiece } from "./piece-types.js";

let I: Internals;

export class Request {
  declare [REQUEST]: RequestState;

  constructor(input: unknown, init?: unknown) {
    this[REQUEST] =
      input === RAW ? (init as RequestState) : I.load<FetchBodyPiece>("fetch-body").initRequest(input, init);
  }

  get method(): string {
    return requestState(this).method;
  }

  get url(): string {
    return requestState(this).url;
  }

  get headers(): Headers {
    return requestState(this).headers;
  }

  get redirect(): string {
    return requestState(this).redirect;
  }

  get signal(): object {
    const s = requestState(this);
    if (s.signal === null) s.signal = I.load<EventsPiece>("events").controlled()[0];
    return s.signal;
  }

  get [Symbol.toStringTag](): string {
    return "Request";
  }
}

/** Getters that always answer the same for a server-side Request. */
const CONSTANTS: Record<string, unknown> = {
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

export function bindRequest(internals: Internals): void {
  I = internals;
  for (const name of Object.keys(CONSTANTS)) {
    const value = CONSTANTS[name];
    Object.defineProperty(Request.prototype, name, {
      configurable: true,
      enumerable: true,
      get: () => value,
    });
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
  return new Request(RAW, s);
}
