/**
 * Operation codes of the single host function the guest prelude calls
 * (`host(op, ...args)`). Shared by the host (runtime/host-ops.ts) and the guest
 * (runtime/prelude/*): one dispatcher per runtime is cheaper to install than
 * one host function per primitive.
 */
export enum Op {
  /** (piece: string) → the evaluated piece function; served only while the shared realm boots */
  Load = 1,
  /** (level: number, message, isJson) — see Internals.toHost for isJson */
  Log = 2,
  /** (status, statusText, headersJson, body: string | ArrayBuffer | null) */
  Respond = 3,
  /** (json: string | undefined) — non-fetch entry finished */
  ReturnValue = 4,
  /** (name, message, stack) — the entry threw or rejected */
  Fail = 5,
  /** (message) — fetch returned something that is not a usable Response */
  Invalid = 6,
  /** (token) — ctx.waitUntil registered a promise */
  WaitAdd = 7,
  /** (token, failure?: string) — a waitUntil promise settled */
  WaitDone = 8,
  /** (token, id, ms) */
  TimerSet = 9,
  /** (id) */
  TimerClear = 10,
  /** (n) → ArrayBuffer of n random bytes */
  Random = 11,
  /** (algorithm, data: ArrayBuffer) → ArrayBuffer */
  Digest = 12,
  /** (hash, key: ArrayBuffer, data: ArrayBuffer) → ArrayBuffer */
  Hmac = 13,
  /** (a: ArrayBuffer, b: ArrayBuffer) → boolean, constant time */
  TimingSafeEqual = 14,
  /** (text, isJson) → ArrayBuffer (UTF-8) */
  Utf8Encode = 15,
  /** (bytes: ArrayBuffer, fatal: boolean, stripBom: boolean) → text (string, or [json] with NUL), null if fatal and invalid */
  Utf8Decode = 16,
  /** (input, base?) → JSON array of URL components, or null when invalid */
  UrlParse = 17,
  /** (href, setter, value) → JSON array of URL components */
  UrlSet = 18,
  /** (name) → the binding's guest factory `(call) => object` */
  BindingFactory = 19,
  /** (token, binding, method, json, binaries[]) → Promise<[json, binaries[]]> */
  BindingCall = 20,
  /** (token, id, method, url, headersJson, body, redirect) → Promise<[status, statusText, headersJson, url, redirected, body]> */
  Fetch = 21,
  /** (id) — the guest aborted an outbound fetch */
  FetchAbort = 22,
  /** () → milliseconds since the execution started (performance.now) */
  Now = 23,
  /** (text, isJson, decode) → base64 of text's Latin-1 bytes, or (decode) the Latin-1 text of base64 */
  Base64 = 24,
  /** (label, isJson) → the encoding's canonical name for TextDecoder (WHATWG Encoding), or null when unsupported */
  EncodingName = 25,
  /** (encoding, bytes: ArrayBuffer, fatal, ignoreBOM, stream, id) → text (string, or [json] with NUL), null if fatal and invalid */
  TextDecode = 26,
}

/** Guest console levels, indexed by the number passed with Op.Log. */
export const LOG_LEVELS = ["debug", "info", "log", "warn", "error"] as const;

/** A URL's parts as the host hands them to the guest, by position: both sides index this order. */
export const URL_PARTS = [
  "href",
  "origin",
  "protocol",
  "username",
  "password",
  "host",
  "hostname",
  "port",
  "pathname",
  "search",
  "hash",
] as const;

/** Parts a script may set one by one through the host (href is re-parsed whole; origin is read-only). */
export function isSettableUrlPart(name: string): boolean {
  return name !== "href" && name !== "origin" && (URL_PARTS as readonly string[]).includes(name);
}
