/**
 * TextDecoder on the host side: UTF-8 decoders shared by every execution, and
 * every other WHATWG encoding through Node's ICU, with the Encoding Standard's
 * own tables where ICU differs (windows-1252, x-user-defined, bytes a
 * single-byte encoding leaves unmapped) and streaming state per execution.
 */

const decoders = new Map<string, InstanceType<typeof TextDecoder>>();
export function decoder(fatal: boolean, stripBom: boolean): InstanceType<typeof TextDecoder> {
  const key = `${fatal}${stripBom}`;
  let d = decoders.get(key);
  if (!d) {
    d = new TextDecoder("utf-8", { fatal, ignoreBOM: !stripBom });
    decoders.set(key, d);
  }
  return d;
}

/** Only ASCII whitespace is stripped from an encoding label (not \v, not U+00A0). */
const LABEL_PADDING = /^[\t\n\f\r ]+|[\t\n\f\r ]+$/g;
const X_USER_DEFINED = "x-user-defined";

/** The canonical name of a TextDecoder label (Node's ICU decoder knows all but x-user-defined). */
export function encodingName(label: string): string | null {
  const trimmed = label.replace(LABEL_PADDING, "");
  if (trimmed.toLowerCase() === X_USER_DEFINED) return X_USER_DEFINED;
  // Node would trim more than ASCII whitespace; what is left must not be padded at all.
  if (/^\s|\s$/.test(trimmed)) return null;
  try {
    return new TextDecoder(trimmed).encoding;
  } catch {
    return null;
  }
}

/** x-user-defined: ASCII as is, 0x80-0xFF to U+F780-U+F7FF (the host's ICU does not have it). */
function decodeUserDefined(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += String.fromCharCode(byte < 0x80 ? byte : 0xf780 + byte - 0x80);
  return out;
}

/**
 * windows-1252 (the labels latin1, ascii, iso-8859-1…): Node 20 decodes it as ISO-8859-1, so
 * 0x80-0x9F, where the two differ, are mapped here from the WHATWG index.
 */
const WINDOWS_1252_C1 = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d,
  0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a,
  0x153, 0x9d, 0x17e, 0x178,
];
function decodeWindows1252(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes)
    out += String.fromCharCode(byte >= 0x80 && byte < 0xa0 ? (WINDOWS_1252_C1[byte - 0x80] as number) : byte);
  return out;
}

/**
 * Single-byte encodings: one code point per byte, from a table read once from ICU byte by byte.
 * ICU maps bytes the Encoding Standard leaves unmapped to private-use code points (windows-874
 * 0xDB → U+F8C1), so fatal would not throw and the rest would not get U+FFFD; the table marks
 * them -1. The standard's only private-use mapping is macintosh 0xF0 → U+F8FF (Apple's logo).
 */
const SINGLE_BYTE = new Set([
  "ibm866",
  "iso-8859-2",
  "iso-8859-3",
  "iso-8859-4",
  "iso-8859-5",
  "iso-8859-6",
  "iso-8859-7",
  "iso-8859-8",
  "iso-8859-8-i",
  "iso-8859-10",
  "iso-8859-13",
  "iso-8859-14",
  "iso-8859-15",
  "iso-8859-16",
  "koi8-r",
  "koi8-u",
  "macintosh",
  "windows-874",
  "windows-1250",
  "windows-1251",
  "windows-1253",
  "windows-1254",
  "windows-1255",
  "windows-1256",
  "windows-1257",
  "windows-1258",
  "x-mac-cyrillic",
]);
const singleByteTables = new Map<string, Int32Array>();
function singleByteTable(encoding: string): Int32Array {
  let table = singleByteTables.get(encoding);
  if (!table) {
    table = new Int32Array(256);
    const icu = new TextDecoder(encoding, { fatal: true });
    for (let byte = 0; byte < 256; byte++) {
      let text = "";
      try {
        text = icu.decode(Uint8Array.of(byte));
      } catch {}
      const code = text.length === 1 ? text.charCodeAt(0) : -1;
      table[byte] = code >= 0xe000 && code < 0xf8ff ? -1 : code;
    }
    singleByteTables.set(encoding, table);
  }
  return table;
}
function decodeSingleByte(encoding: string, bytes: Uint8Array, fatal: boolean): string | null {
  const table = singleByteTable(encoding);
  const codes = new Array<number>(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const code = table[bytes[i] as number] as number;
    if (code < 0 && fatal) return null;
    codes[i] = code < 0 ? 0xfffd : code;
  }
  let out = "";
  for (let i = 0; i < codes.length; i += 8192) out += String.fromCharCode(...codes.slice(i, i + 8192));
  return out;
}

/**
 * Streaming decoders of legacy encodings keep state between calls (bytes of an incomplete
 * sequence, the ISO-2022-JP mode), so the host holds them per execution (never shared with
 * the next execution of a reused context), by the guest's id, from a `stream: true` call until
 * the call that ends the stream. At most MAX_STREAMS per execution: the stream left unused
 * longest is dropped first (its next call starts afresh).
 */
const MAX_STREAMS = 64;
const streams = new WeakMap<object, Map<number, InstanceType<typeof TextDecoder>>>();

export function textDecode(
  owner: object,
  encoding: string,
  bytes: Uint8Array,
  fatal: boolean,
  ignoreBOM: boolean,
  stream: boolean,
  id: number,
): string | null {
  if (encoding === X_USER_DEFINED) return decodeUserDefined(bytes);
  if (encoding === "windows-1252") return decodeWindows1252(bytes);
  if (SINGLE_BYTE.has(encoding)) return decodeSingleByte(encoding, bytes, fatal);
  let open = streams.get(owner);
  let d = open?.get(id);
  if (d) open?.delete(id);
  else d = new TextDecoder(encoding, { fatal, ignoreBOM });
  let text: string;
  try {
    text = d.decode(bytes, { stream });
  } catch {
    return null;
  }
  if (stream) {
    if (!open) {
      open = new Map();
      streams.set(owner, open);
    }
    // Re-inserted last: Map order is then least recently used first.
    open.set(id, d);
    if (open.size > MAX_STREAMS) {
      const oldest = open.keys().next().value;
      if (oldest !== undefined) open.delete(oldest);
    }
  }
  return text;
}
