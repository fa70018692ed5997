/**
 * Piece "encoding": TextEncoder (UTF-8) and TextDecoder (every WHATWG encoding: UTF-8 here
 * with host primitives, the others by the host's ICU decoder), and atob/btoa.
 */
import { Op } from "../../ops.js";
import type { Bytes, Internals } from "../internals.js";

const ASCII_WHITESPACE = /[\t\n\f\r ]/g;
const BASE64 = /^[A-Za-z0-9+/]*$/;

export default function install(I: Internals): object {
  const host = I.host;

  const bytesOf = (input: unknown): Bytes => {
    if (input === undefined) return new Uint8Array(0);
    if (input instanceof ArrayBuffer) return new Uint8Array(input);
    if (ArrayBuffer.isView(input))
      return new Uint8Array(input.buffer as ArrayBuffer, input.byteOffset, input.byteLength);
    throw new TypeError("TextDecoder.decode: input must be an ArrayBuffer or ArrayBufferView");
  };

  /** Length of an incomplete UTF-8 sequence at the end of `bytes` (kept for the next streaming call). */
  const incompleteTail = (bytes: Bytes): number => {
    const n = bytes.length;
    for (let back = 1; back <= Math.min(3, n); back++) {
      const b = bytes[n - back]!;
      if ((b & 0xc0) === 0x80) continue;
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
      return need > back ? back : 0;
    }
    return 0;
  };

  /** Lone surrogates become U+FFFD (USVString conversion) before the host encodes. */
  const wellFormed = (text: string): string =>
    typeof (text as { toWellFormed?: unknown }).toWellFormed === "function"
      ? (text as unknown as { toWellFormed(): string }).toWellFormed()
      : text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");

  const DECODER = Symbol("decoder");

  interface DecoderState {
    encoding: string;
    /** Names this decoder's stream state on the host (legacy encodings). */
    id: number;
    fatal: boolean;
    ignoreBOM: boolean;
    pending: Bytes;
    started: boolean;
  }

  class TextEncoder {
    get encoding(): string {
      return "utf-8";
    }

    encode(input: unknown = ""): Uint8Array {
      return new Uint8Array(host(Op.Utf8Encode, ...I.toHost(wellFormed(String(input)))) as ArrayBuffer);
    }

    encodeInto(source: unknown, destination: Uint8Array): { read: number; written: number } {
      if (!(destination instanceof Uint8Array))
        throw new TypeError("encodeInto: destination must be a Uint8Array");
      const text = String(source);
      let read = 0;
      let written = 0;
      // Encode whole code points while they fit, like the standard's loop.
      while (read < text.length) {
        const code = text.codePointAt(read)!;
        const units = code > 0xffff ? 2 : 1;
        const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
        if (written + size > destination.length) break;
        const bytes = new Uint8Array(
          host(Op.Utf8Encode, ...I.toHost(wellFormed(text.slice(read, read + units)))) as ArrayBuffer,
        );
        destination.set(bytes, written);
        written += bytes.length;
        read += units;
      }
      const result = new Object() as { read: number; written: number };
      result.read = read;
      result.written = written;
      return result;
    }

    get [Symbol.toStringTag](): string {
      return "TextEncoder";
    }
  }

  let nextId = 0;

  class TextDecoder {
    declare [DECODER]: DecoderState;

    constructor(label: unknown = "utf-8", options: { fatal?: unknown; ignoreBOM?: unknown } = {}) {
      const text = String(label);
      // The default and the common spellings of UTF-8 skip the host's label lookup.
      const encoding =
        text === "utf-8" || text === "utf8" ? "utf-8" : host(Op.EncodingName, ...I.toHost(text));
      if (typeof encoding !== "string")
        throw new RangeError(`TextDecoder: unsupported encoding "${String(label)}"`);
      nextId++;
      this[DECODER] = {
        encoding,
        id: nextId,
        fatal: Boolean(options?.fatal),
        ignoreBOM: Boolean(options?.ignoreBOM),
        pending: new Uint8Array(0),
        started: false,
      };
    }

    get encoding(): string {
      return this[DECODER].encoding;
    }

    get fatal(): boolean {
      return this[DECODER].fatal;
    }

    get ignoreBOM(): boolean {
      return this[DECODER].ignoreBOM;
    }

    decode(input?: unknown, options: { stream?: unknown } = {}): string {
      const s = this[DECODER];
      if (!s) throw new TypeError("Illegal invocation: not a TextDecoder");
      if (s.encoding !== "utf-8") {
        const view = bytesOf(input);
        const result = host(
          Op.TextDecode,
          s.encoding,
          view.slice().buffer,
          s.fatal,
          s.ignoreBOM,
          Boolean(options?.stream),
          s.id,
        );
        if (result === null) throw new TypeError(`TextDecoder: the encoded data is not valid ${s.encoding}`);
        return I.fromHost(result);
      }
      let bytes = bytesOf(input);
      if (s.pending.length > 0) {
        const joined = new Uint8Array(s.pending.length + bytes.length);
        joined.set(s.pending);
        joined.set(bytes, s.pending.length);
        bytes = joined;
      }
      const stream = Boolean(options?.stream);
      const keep = stream ? incompleteTail(bytes) : 0;
      s.pending = keep > 0 ? bytes.slice(bytes.length - keep) : new Uint8Array(0);
      const chunk = bytes.subarray(0, bytes.length - keep);
      let out = "";
      if (chunk.length > 0) {
        const buffer =
          chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength
            ? chunk.buffer
            : chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength);
        const result = host(Op.Utf8Decode, buffer, s.fatal, !s.ignoreBOM && !s.started);
        if (result === null) {
          s.started = false;
          throw new TypeError("TextDecoder: the encoded data is not valid UTF-8");
        }
        out = I.fromHost(result);
        s.started = true;
      }
      // The BOM is only stripped at the start of a stream; a non-streaming call ends the stream.
      if (!stream) s.started = false;
      return out;
    }

    get [Symbol.toStringTag](): string {
      return "TextDecoder";
    }
  }

  const btoa = (...args: unknown[]): string => {
    if (args.length === 0) throw new TypeError("btoa requires 1 argument");
    const text = String(args[0]);
    for (let i = 0; i < text.length; i++)
      if (text.charCodeAt(i) > 0xff)
        throw I.domError(
          "btoa: the string contains characters outside of the Latin1 range",
          "InvalidCharacterError",
        );
    return I.fromHost(host(Op.Base64, ...I.toHost(text), false));
  };

  const atob = (data: unknown): string => {
    let text = String(data).replace(ASCII_WHITESPACE, "");
    if (text.length % 4 === 0) text = text.replace(/==?$/, "");
    if (text.length % 4 === 1 || !BASE64.test(text))
      throw I.domError("atob: the string is not correctly base64-encoded", "InvalidCharacterError");
    return I.fromHost(host(Op.Base64, text, false, true));
  };

  I.expose("TextEncoder", TextEncoder);
  I.expose("TextDecoder", TextDecoder);
  I.expose("btoa", btoa);
  I.expose("atob", atob);
  return {};
}
