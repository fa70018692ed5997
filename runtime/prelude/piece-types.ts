/**
 * The exports each prelude piece hands to the others through Internals.load()
 * and peek(). Types only: pieces never import each other's code.
 */
import type { Bytes } from "./internals.js";

/** What a Request/Response body holds before it is read. */
export type BodySource = null | string | Bytes | object;

export interface BodyState {
  src: BodySource;
  used: boolean;
  /** The ReadableStream handed out by `.body`, once asked for. */
  stream?: object;
}

export interface FetchPiece {
  requestFromHost(r: [string, string, string[]], body: ArrayBuffer | undefined): unknown;
  /** Sends the fetch entry's Response; a promise only when its body had to be read first. */
  respond(result: unknown, maxBytes: number): Promise<void> | undefined;
  responseFromHost(parts: [number, string, string, string, boolean], body: ArrayBuffer | undefined): unknown;
  /** The classes, as the piece defined them (a script may replace the globals). */
  Request: new (
    input: unknown,
    init?: unknown,
  ) => object;
  Response: new (body?: unknown, init?: unknown) => object;
  Headers: new (init?: unknown) => { has(name: string): boolean; append(name: string, value: string): void };
  headerList(headers: unknown): [string, string][];
  headersFromList(list: [string, string][], guard: "none" | "immutable"): object;
}

/** The lazily loaded half of the fetch API: body methods, statics, full Request init. */
export interface FetchBodyPiece {
  /** A RequestState for `new Request(input, init)`. */
  initRequest(input: unknown, init: unknown): import("./fetch-state.js").RequestState;
  /** BodyInit → [source, default Content-Type]. */
  extractBody(init: unknown): [BodySource, string | null];
  /** The bytes of a body source (blob, stream, string…), at most `maxBytes` for streams. */
  sourceBytes(src: BodySource, maxBytes: number): Promise<Bytes>;
  /** [method, url, headersJson, body, redirect, signal] of a Request, body fully read. */
  toHost(request: unknown): Promise<[string, string, string, ArrayBuffer | null, string, unknown]>;
}

export interface UrlPiece {
  URLSearchParams: new (init?: unknown) => object;
  isSearchParams(value: unknown): boolean;
  /** The href of `input` resolved against `base`, or null when invalid. */
  href(input: string, base?: string): string | null;
}

export interface BlobPiece {
  isBlob(value: unknown): boolean;
  blobBytes(blob: unknown): Bytes;
  blobType(blob: unknown): string;
  newBlob(bytes: Bytes, type: string): unknown;
  isFormData(value: unknown): boolean;
  /** multipart/form-data bytes and the boundary used. */
  encodeFormData(form: unknown): [Bytes, string];
  parseMultipart(bytes: Bytes, contentType: string): unknown;
  formDataFromPairs(pairs: [string, string][]): unknown;
}

export interface StreamsPiece {
  isStream(value: unknown): boolean;
  /** The ReadableStream for a body (`response.body`). */
  fromBody(state: BodyState): object;
  /** Takes over a stream handed to a body constructor: its bytes source if untouched, else the stream. */
  adopt(stream: unknown): BodySource;
  readAll(stream: unknown, maxBytes: number): Promise<Bytes>;
  tee(stream: unknown): [object, object];
}

export interface EventsPiece {
  /** A fresh AbortSignal and the function that aborts it. */
  controlled(): [signal: object, abort: (reason?: unknown) => void];
  isSignal(value: unknown): boolean;
  signalState(signal: unknown): [aborted: boolean, reason: unknown];
  onAbort(signal: unknown, listener: () => void): void;
}

export interface TimersPiece {
  setTimeout(callback: () => void, ms: number): number;
}

export interface CodecPiece {
  decode(json: string | undefined, binaries: ArrayBuffer[] | undefined): unknown;
  call(token: number, binding: string, method: string, args: unknown[]): Promise<unknown>;
  /** Defines env.<name> for each binding, evaluating its guest source on first access. */
  bindEnv(env: Record<string, unknown>, names: string[], token: number): void;
  /** The input of a non-fetch entry. */
  input(
    entry: string,
    scheduled: [string, number] | undefined,
    json: string | undefined,
    binaries: ArrayBuffer[] | undefined,
    /** The execution's env: an e-mail message's reply()/forward() send through env.email. */
    env: Record<string, unknown>,
  ): unknown;
  /** Reports a non-fetch entry's return value (JSON) to the host. */
  output(entry: string, result: unknown): void;
}

export interface InspectPiece {
  inspect(value: unknown): string;
  /** console-style formatting of an argument list (printf directives, inspect for objects). */
  format(args: unknown[]): string;
}
