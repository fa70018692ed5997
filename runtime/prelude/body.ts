/**
 * The Body mixin shared by Request and Response (part of the fetch-body
 * piece): extracting a body from BodyInit and consuming it once (text, json,
 * arrayBuffer, bytes, formData, blob). Strings stay strings until someone needs
 * bytes, so a text body crosses to the host without a UTF-8 round trip.
 */
import { Op } from "../ops.js";
import { bodyState, TEXT_PLAIN } from "./fetch-state.js";
import type { Bytes, Internals } from "./internals.js";
import type { BlobPiece, BodySource, BodyState, StreamsPiece, UrlPiece } from "./piece-types.js";

let I: Internals;

export function bindBody(internals: Internals): void {
  I = internals;
}

export function utf8(text: string): Bytes {
  return new Uint8Array(I.host(Op.Utf8Encode, ...I.toHost(text)) as ArrayBuffer);
}

export function utf8Decode(bytes: Bytes): string {
  if (bytes.byteLength === 0) return "";
  const buffer =
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? bytes.buffer
      : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return I.fromHost(I.host(Op.Utf8Decode, buffer, false, true));
}

function copyBytes(view: ArrayBufferView | ArrayBuffer): Bytes {
  if (view instanceof ArrayBuffer) return new Uint8Array(view.slice(0));
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength) as ArrayBuffer);
}

/** BodyInit → [source, default Content-Type]. */
export function extractBody(init: unknown): [BodySource, string | null] {
  if (init === null || init === undefined) return [null, null];
  if (typeof init === "string") return [init, TEXT_PLAIN];
  if (typeof init === "object") {
    if (init instanceof ArrayBuffer || ArrayBuffer.isView(init)) return [copyBytes(init), null];
    if (I.peek<UrlPiece>("url")?.isSearchParams(init))
      return [String(init), "application/x-www-form-urlencoded;charset=UTF-8"];
    const blob = I.peek<BlobPiece>("blob");
    if (blob?.isBlob(init)) return [init, blob.blobType(init) || null];
    if (blob?.isFormData(init)) {
      const [bytes, boundary] = blob.encodeFormData(init);
      return [bytes, `multipart/form-data; boundary=${boundary}`];
    }
    const streams = I.peek<StreamsPiece>("streams");
    if (streams?.isStream(init)) return [streams.adopt(init), null];
  }
  return [String(init), TEXT_PLAIN];
}

/** The body as bytes, without marking it used (the caller does). */
export async function sourceBytes(src: BodySource, maxBytes = Number.POSITIVE_INFINITY): Promise<Bytes> {
  if (src === null) return new Uint8Array(0);
  if (typeof src === "string") return utf8(src);
  if (src instanceof Uint8Array) return src as Bytes;
  const blob = I.peek<BlobPiece>("blob");
  if (blob?.isBlob(src)) return blob.blobBytes(src);
  return I.load<StreamsPiece>("streams").readAll(src, maxBytes);
}

function take(state: BodyState): BodySource {
  if (state.used) throw new TypeError("Body has already been used");
  if (state.src !== null) state.used = true;
  return state.src;
}

export async function bytesOf(state: BodyState): Promise<Bytes> {
  return sourceBytes(take(state));
}

export async function textOf(state: BodyState): Promise<string> {
  const src = take(state);
  return typeof src === "string" ? src : utf8Decode(await sourceBytes(src));
}

/** A second, independent body for clone(). */
export function cloneBody(state: BodyState): BodyState {
  if (state.used) throw new TypeError("Body has already been used");
  const src = state.src;
  const streams = I.peek<StreamsPiece>("streams");
  if (src !== null && typeof src === "object" && streams?.isStream(src)) {
    const [a, b] = streams.tee(src);
    state.src = a;
    return { src: b, used: false };
  }
  return { src, used: false };
}

interface HasHeaders {
  readonly headers: { get(name: string): string | null };
}

/** The Body mixin's methods (async, in the shared realm), to install on both prototypes through `bodyMethods`. */
const bodyReaders: Record<string, (self: unknown) => Promise<unknown>> = {
  async arrayBuffer(self) {
    const bytes = await bytesOf(bodyState(self));
    return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? bytes.buffer
      : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  },
  async bytes(self) {
    return new Uint8Array(await bytesOf(bodyState(self)));
  },
  text(self) {
    return textOf(bodyState(self));
  },
  async json(self) {
    return JSON.parse(await textOf(bodyState(self)));
  },
  async blob(self) {
    const bytes = await bytesOf(bodyState(self));
    return I.load<BlobPiece>("blob").newBlob(bytes, (self as HasHeaders).headers.get("content-type") ?? "");
  },
  async formData(self) {
    const type = (self as HasHeaders).headers.get("content-type") ?? "";
    const essence = type.split(";")[0]!.trim().toLowerCase();
    const blob = I.load<BlobPiece>("blob");
    if (essence === "multipart/form-data") return blob.parseMultipart(await bytesOf(bodyState(self)), type);
    if (essence === "application/x-www-form-urlencoded") {
      const { URLSearchParams } = I.load<UrlPiece>("url");
      const params = new URLSearchParams(await textOf(bodyState(self))) as Iterable<[string, string]>;
      return blob.formDataFromPairs([...params]);
    }
    throw new TypeError(`Could not parse content as FormData (content-type: "${type}")`);
  },
};

/** The Body mixin's methods: each returns a promise of the execution's realm. */
export const bodyMethods: Record<string, (this: unknown) => Promise<unknown>> = {};
for (const name of Object.keys(bodyReaders)) {
  const read = bodyReaders[name]!;
  bodyMethods[name] = {
    [name](this: unknown) {
      return I.promise(read(this));
    },
  }[name]!;
}

export function bodyStream(self: unknown): object | null {
  const state = bodyState(self);
  if (state.src === null) return null;
  if (state.stream === undefined) state.stream = I.load<StreamsPiece>("streams").fromBody(state);
  return state.stream;
}
