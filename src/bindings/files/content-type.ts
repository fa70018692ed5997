/**
 * A file's content type: the one given (checked, because the admin API sends it
 * back as a header), else a guess from the path's extension, else
 * application/octet-stream.
 */
import { rangeError, typeError } from "../arguments.js";

export const DEFAULT_CONTENT_TYPE = "application/octet-stream";
const MAX_CONTENT_TYPE = 255;
// type/subtype (RFC 9110 tokens), then optional parameters of printable ASCII: no CR/LF can reach a header.
const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*;[\x20-\x7e]*)?$/;

const BY_EXTENSION: Record<string, string> = {
  avif: "image/avif",
  bin: DEFAULT_CONTENT_TYPE,
  css: "text/css; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  gif: "image/gif",
  gz: "application/gzip",
  htm: "text/html; charset=utf-8",
  html: "text/html; charset=utf-8",
  ico: "image/x-icon",
  jpeg: "image/jpeg",
  jpg: "image/jpeg",
  js: "text/javascript; charset=utf-8",
  json: "application/json",
  md: "text/markdown; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  mp3: "audio/mpeg",
  mp4: "video/mp4",
  pdf: "application/pdf",
  png: "image/png",
  svg: "image/svg+xml",
  txt: "text/plain; charset=utf-8",
  wasm: "application/wasm",
  webm: "video/webm",
  webp: "image/webp",
  woff: "font/woff",
  woff2: "font/woff2",
  xml: "application/xml",
  zip: "application/zip",
};

/** The content type to store for `path` when the caller gave `given` (undefined: guess). */
export function contentTypeFor(path: string, given: unknown, name = "options.contentType"): string {
  if (given === undefined || given === null) {
    const dot = path.lastIndexOf(".");
    const ext = dot > path.lastIndexOf("/") ? path.slice(dot + 1).toLowerCase() : "";
    return BY_EXTENSION[ext] ?? DEFAULT_CONTENT_TYPE;
  }
  if (typeof given !== "string") throw typeError(`${name} must be a string`);
  const type = given.trim();
  if (type.length > MAX_CONTENT_TYPE)
    throw rangeError(`${name} must be at most ${MAX_CONTENT_TYPE} characters`);
  if (!MEDIA_TYPE.test(type)) throw typeError(`${name} must be a media type such as text/plain or image/png`);
  return type;
}
