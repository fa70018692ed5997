/**
 * Piece "blob": Blob, File and FormData, plus the multipart/form-data
 * encoder and parser that Request/Response bodies use.
 */
import { Op } from "../../ops.js";
import type { Bytes, Internals } from "../internals.js";
import type { BlobPiece, StreamsPiece } from "../piece-types.js";

const BLOB = Symbol("blob");
const ENTRIES = Symbol("entries");

interface BlobState {
  bytes: Bytes;
  type: string;
}

type Entry = [string, unknown];

export default function install(I: Internals): BlobPiece {
  const host = I.host;
  const utf8 = (text: string): Bytes => new Uint8Array(host(Op.Utf8Encode, ...I.toHost(text)) as ArrayBuffer);
  const utf8Decode = (bytes: Bytes): string =>
    I.fromHost(host(Op.Utf8Decode, bytes.slice().buffer, false, true));

  const state = (blob: unknown): BlobState => {
    const s = blob !== null && typeof blob === "object" ? (blob as { [BLOB]?: BlobState })[BLOB] : undefined;
    if (!s) throw new TypeError("Illegal invocation: not a Blob");
    return s;
  };

  const normalizeType = (type: unknown): string => {
    const text = type === undefined ? "" : String(type);
    return /^[\x20-\x7E]*$/.test(text) ? text.toLowerCase() : "";
  };

  /** A promise of the execution's realm for `read()`'s value (or what it throws). */
  const settle = <T>(read: () => T): Promise<T> => {
    try {
      return Promise.resolve(read());
    } catch (error) {
      return Promise.reject(error);
    }
  };

  const concat = (chunks: Bytes[]): Bytes => {
    let size = 0;
    for (const chunk of chunks) size += chunk.byteLength;
    const out = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  };

  class Blob {
    declare [BLOB]: BlobState;

    constructor(parts: unknown = [], options: { type?: unknown } = {}) {
      if (
        parts === null ||
        typeof parts !== "object" ||
        typeof (parts as Iterable<unknown>)[Symbol.iterator] !== "function"
      )
        throw new TypeError("Blob parts must be an iterable");
      const chunks: Bytes[] = [];
      for (const part of parts as Iterable<unknown>) {
        if (part instanceof ArrayBuffer) chunks.push(new Uint8Array(part.slice(0)));
        else if (ArrayBuffer.isView(part))
          chunks.push(
            new Uint8Array(
              part.buffer.slice(part.byteOffset, part.byteOffset + part.byteLength) as ArrayBuffer,
            ),
          );
        else if (part !== null && typeof part === "object" && BLOB in part) chunks.push(state(part).bytes);
        else chunks.push(utf8(String(part)));
      }
      this[BLOB] = {
        bytes: chunks.length === 1 ? chunks[0]! : concat(chunks),
        type: normalizeType(options?.type),
      };
    }

    get size(): number {
      return state(this).bytes.byteLength;
    }

    get type(): string {
      return state(this).type;
    }

    slice(start?: number, end?: number, contentType?: unknown): Blob {
      const bytes = state(this).bytes;
      const size = bytes.byteLength;
      const clamp = (n: number | undefined, fallback: number) => {
        if (n === undefined) return fallback;
        const x = Math.trunc(Number(n)) || 0;
        return x < 0 ? Math.max(size + x, 0) : Math.min(x, size);
      };
      const from = clamp(start, 0);
      const to = clamp(end, size);
      const blob = new Blob([]);
      blob[BLOB] = { bytes: bytes.slice(from, Math.max(from, to)), type: normalizeType(contentType) };
      return blob;
    }

    arrayBuffer(): Promise<ArrayBuffer> {
      return settle(() => state(this).bytes.slice().buffer);
    }

    bytes(): Promise<Uint8Array> {
      return settle(() => state(this).bytes.slice());
    }

    text(): Promise<string> {
      return settle(() => utf8Decode(state(this).bytes));
    }

    stream(): object {
      return I.load<StreamsPiece>("streams").fromBody({ src: state(this).bytes, used: false });
    }

    get [Symbol.toStringTag](): string {
      return "Blob";
    }
  }

  class File extends Blob {
    declare readonly name: string;
    declare readonly lastModified: number;

    constructor(bits: unknown, name: unknown, options: { type?: unknown; lastModified?: unknown } = {}) {
      if (name === undefined) throw new TypeError("File constructor requires a name");
      super(bits, options);
      const lastModified = options?.lastModified === undefined ? Date.now() : Number(options.lastModified);
      Object.defineProperty(this, "name", { value: String(name), enumerable: true });
      Object.defineProperty(this, "lastModified", { value: lastModified, enumerable: true });
    }

    get webkitRelativePath(): string {
      return "";
    }

    override get [Symbol.toStringTag](): string {
      return "File";
    }
  }

  const entries = (form: unknown): Entry[] => {
    const e =
      form !== null && typeof form === "object" ? (form as { [ENTRIES]?: Entry[] })[ENTRIES] : undefined;
    if (!e) throw new TypeError("Illegal invocation: not a FormData");
    return e;
  };

  const entryValue = (value: unknown, filename: unknown): unknown => {
    if (value !== null && typeof value === "object" && BLOB in value) {
      const isFile = value instanceof File;
      if (!isFile || filename !== undefined) {
        const name = filename !== undefined ? String(filename) : isFile ? value.name : "blob";
        return new File([value as Blob], name, { type: (value as Blob).type });
      }
      return value;
    }
    return String(value);
  };

  class FormData {
    declare [ENTRIES]: Entry[];

    constructor(form?: unknown) {
      if (form !== undefined) throw new TypeError("FormData cannot be built from a form element here");
      this[ENTRIES] = [];
    }

    append(name: unknown, value: unknown, filename?: unknown): void {
      entries(this).push([String(name), entryValue(value, filename)]);
    }

    delete(name: unknown): void {
      const key = String(name);
      this[ENTRIES] = entries(this).filter((entry) => entry[0] !== key);
    }

    get(name: unknown): unknown {
      const key = String(name);
      const found = entries(this).find((entry) => entry[0] === key);
      return found ? found[1] : null;
    }

    getAll(name: unknown): unknown[] {
      const key = String(name);
      const out: unknown[] = Array.of();
      for (const entry of entries(this)) if (entry[0] === key) out.push(entry[1]);
      return out;
    }

    has(name: unknown): boolean {
      const key = String(name);
      return entries(this).some((entry) => entry[0] === key);
    }

    set(name: unknown, value: unknown, filename?: unknown): void {
      const key = String(name);
      const list = entries(this);
      const entry: Entry = [key, entryValue(value, filename)];
      const first = list.findIndex((e) => e[0] === key);
      if (first < 0) list.push(entry);
      else
        this[ENTRIES] = list
          .filter((e, i) => i <= first || e[0] !== key)
          .map((e, i) => (i === first ? entry : e));
    }

    forEach(callback: (value: unknown, name: string, form: FormData) => void, thisArg?: unknown): void {
      for (const [n, v] of entries(this).slice()) callback.call(thisArg, v, n, this);
    }

    entries(): IterableIterator<Entry> {
      return Array.from(entries(this), (e) => Array.of(e[0], e[1]) as Entry)[Symbol.iterator]();
    }

    keys(): IterableIterator<string> {
      return Array.from(entries(this), (e) => e[0])[Symbol.iterator]();
    }

    values(): IterableIterator<unknown> {
      return Array.from(entries(this), (e) => e[1])[Symbol.iterator]();
    }

    [Symbol.iterator](): IterableIterator<Entry> {
      return this.entries();
    }

    get [Symbol.toStringTag](): string {
      return "FormData";
    }
  }

  const escapeName = (name: string): string =>
    name.replace(/\n/g, "%0A").replace(/\r/g, "%0D").replace(/"/g, "%22");

  const encodeFormData = (form: unknown): [Bytes, string] => {
    const random = new Uint8Array(host(Op.Random, 12) as ArrayBuffer);
    let boundary = "----PiCloudFormBoundary";
    for (const b of random) boundary += b.toString(16).padStart(2, "0");
    const chunks: Bytes[] = [];
    for (const [name, value] of entries(form)) {
      let head = `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(name)}"`;
      if (typeof value === "string") {
        chunks.push(utf8(`${head}\r\n\r\n${value.replace(/\r\n|\r|\n/g, "\r\n")}\r\n`));
      } else {
        const file = value as File;
        head += `; filename="${escapeName(file.name)}"\r\nContent-Type: ${file.type || "application/octet-stream"}\r\n\r\n`;
        chunks.push(utf8(head), state(file).bytes, utf8("\r\n"));
      }
    }
    chunks.push(utf8(`--${boundary}--\r\n`));
    return [concat(chunks), boundary];
  };

  const latin1 = (bytes: Bytes): string => {
    let out = "";
    for (let i = 0; i < bytes.length; i += 8192)
      out += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + 8192)));
    return out;
  };

  const param = (header: string, name: string): string | undefined => {
    const match = new RegExp(`;\\s*${name}\\*?=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, "i").exec(header);
    if (!match) return undefined;
    return (match[1] ?? match[2] ?? "")
      .replace(/\\(.)/g, "$1")
      .replace(/%22/g, '"')
      .replace(/%0D/gi, "\r")
      .replace(/%0A/gi, "\n");
  };

  const parseMultipart = (bytes: Bytes, contentType: string): FormData => {
    const boundary = param(contentType, "boundary");
    if (!boundary) throw new TypeError("multipart/form-data body has no boundary");
    const text = latin1(bytes);
    const delimiter = `--${boundary}`;
    const form = new FormData();
    let pos = text.indexOf(delimiter);
    if (pos < 0) throw new TypeError("multipart/form-data body has no parts");
    while (true) {
      pos += delimiter.length;
      if (text.startsWith("--", pos)) break;
      if (text.startsWith("\r\n", pos)) pos += 2;
      const headerEnd = text.indexOf("\r\n\r\n", pos);
      if (headerEnd < 0) throw new TypeError("Malformed multipart/form-data part");
      const headers = utf8Decode(bytes.subarray(pos, headerEnd));
      const next = text.indexOf(`\r\n${delimiter}`, headerEnd + 4);
      if (next < 0) throw new TypeError("Unterminated multipart/form-data body");
      const body = bytes.subarray(headerEnd + 4, next);
      const disposition = /^content-disposition:(.*)$/im.exec(headers)?.[1] ?? "";
      const name = param(disposition, "name");
      if (name === undefined) throw new TypeError("multipart/form-data part without a name");
      const filename = param(disposition, "filename");
      if (filename === undefined) form.append(name, utf8Decode(body));
      else {
        const type = /^content-type:(.*)$/im.exec(headers)?.[1]?.trim() ?? "";
        form.append(name, new File([body], filename, { type }));
      }
      pos = next + 2;
    }
    return form;
  };

  I.expose("Blob", Blob);
  I.expose("File", File);
  I.expose("FormData", FormData);

  return {
    isBlob: (value) => value !== null && typeof value === "object" && BLOB in value,
    blobBytes: (blob) => state(blob).bytes,
    blobType: (blob) => state(blob).type,
    newBlob: (bytes, type) => {
      const blob = new Blob([]);
      blob[BLOB] = { bytes, type: normalizeType(type) };
      return blob;
    },
    isFormData: (value) => value !== null && typeof value === "object" && ENTRIES in value,
    encodeFormData,
    parseMultipart,
    formDataFromPairs(pairs) {
      const form = new FormData();
      for (const [n, v] of pairs) form.append(n, v);
      return form;
    },
  };
}
