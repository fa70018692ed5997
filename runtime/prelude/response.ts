/**
 * Response (Fetch standard §6.5): the class, its getters, and its trip to the
 * host — respond() turns the fetch entry's result into one Op.Respond call, or
 * Op.Invalid when it is not a usable Response. Statics, clone() and the body
 * methods live in the fetch-body piece, loaded on first use.
 */
import { Op } from "../ops.js";
import { NULL_BODY, RAW, RESPONSE, type ResponseState, responseState, TEXT_PLAIN } from "./fetch-state.js";
import { Headers, hasHeader, headerList, headersFromList } from "./headers.js";
import type { Internals } from "./internals.js";
import type { FetchBodyPiece } from "./piece-types.js";

let I: Internals;

const REASON = /^[\t\x20-\x7E\x80-\xFF]*$/;

export class Response {
  declare [RESPONSE]: ResponseState;

  constructor(body?: unknown, init?: unknown) {
    if (body === RAW) {
      this[RESPONSE] = init as ResponseState;
      return;
    }
    let status = 200;
    let statusText = "";
    let headers: Headers;
    if (init === undefined || init === null) headers = new Headers();
    else {
      if (typeof init !== "object") throw new TypeError("Response init must be an object");
      const options = init as Record<string, unknown>;
      if (options.status !== undefined) {
        status = Number(options.status);
        if (!Number.isInteger(status) || status < 200 || status > 599)
          throw new RangeError(
            `Response status must be an integer in 200..599, got ${String(options.status)}`,
          );
      }
      if (options.statusText !== undefined) {
        statusText = String(options.statusText);
        if (!REASON.test(statusText)) throw new TypeError("Invalid Response statusText");
      }
      headers = new Headers(options.headers ?? undefined);
    }
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
      if (status !== 200 && NULL_BODY.includes(status))
        throw new TypeError(`Response with status ${status} cannot have a body`);
      let type: string | null = TEXT_PLAIN;
      if (typeof body === "string") s.body.src = body;
      else {
        const extracted = I.load<FetchBodyPiece>("fetch-body").extractBody(body);
        s.body.src = extracted[0];
        type = extracted[1];
      }
      if (type !== null && !hasHeader(headers, "content-type"))
        headerList(headers).push(["content-type", type]);
    }
    this[RESPONSE] = s;
  }

  get ok(): boolean {
    const status = responseState(this).status;
    return status >= 200 && status <= 299;
  }

  get [Symbol.toStringTag](): string {
    return "Response";
  }
}

export function bindResponse(internals: Internals): void {
  I = internals;
  for (const name of ["status", "statusText", "headers", "type", "url", "redirected"] as const) {
    Object.defineProperty(Response.prototype, name, {
      configurable: true,
      enumerable: true,
      get(this: unknown) {
        return responseState(this)[name];
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
  const s: ResponseState = {
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
  };
  return new Response(RAW, s);
}

/**
 * Sends the fetch entry's return value to the host: synchronously when the body is already a
 * string or bytes (the common case), through a promise when it has to be read first.
 */
export function respond(result: unknown, maxBytes: number): Promise<void> | undefined {
  if (!(result !== null && typeof result === "object" && RESPONSE in result)) {
    I.host(Op.Invalid, `The fetch handler must return a Response, got ${I.describe(result)}`);
    return undefined;
  }
  const s = responseState(result);
  if (s.type === "error") {
    I.host(Op.Invalid, "The fetch handler returned Response.error()");
    return undefined;
  }
  if (s.body.used) {
    I.host(Op.Invalid, "The fetch handler returned a Response whose body was already used");
    return undefined;
  }
  const src = s.body.src;
  if (src === null || (typeof src === "string" && !src.includes("\0")) || src instanceof Uint8Array) {
    send(s, src, maxBytes);
    return undefined;
  }
  return readAndSend(s, src, maxBytes);
}

async function readAndSend(s: ResponseState, src: object | string, maxBytes: number): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = await I.load<FetchBodyPiece>("fetch-body").sourceBytes(src, maxBytes);
  } catch (e) {
    if (e instanceof RangeError) {
      I.host(Op.Invalid, `The response body exceeds the limit of ${maxBytes} bytes`);
      return;
    }
    throw e;
  }
  send(s, bytes, maxBytes);
}

function send(s: ResponseState, src: string | Uint8Array | null, maxBytes: number): void {
  const size = src === null ? 0 : typeof src === "string" ? src.length : src.byteLength;
  if (size > maxBytes) {
    I.host(Op.Invalid, `The response body exceeds the limit of ${maxBytes} bytes`);
    return;
  }
  const body =
    src === null || typeof src === "string"
      ? src
      : src.byteOffset === 0 && src.byteLength === src.buffer.byteLength
        ? (src.buffer as ArrayBuffer)
        : (src.buffer.slice(src.byteOffset, src.byteOffset + src.byteLength) as ArrayBuffer);
  const list = headerList(s.headers);
  const flat: string[] = [];
  for (let i = 0; i < list.length; i++) flat.push(list[i]![0], list[i]![1]);
  s.body.used = s.body.src !== null;
  I.host(Op.Respond, s.status, s.statusText, JSON.stringify(flat), body);
}
