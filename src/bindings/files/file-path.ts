/**
 * What a file path may be. A path is a name in the files table, never a file
 * system path (the bytes live under a key the BlobStore picks), but it is still
 * held to strict rules so that one file has one name and no name looks like a
 * way out: relative, `/`-separated, no empty, `.` or `..` segments, no NUL,
 * control characters or backslashes, NFC-normalized Unicode.
 */
import { rangeError, storableString, typeError } from "../arguments.js";

export const MAX_PATH = 1024;
export const MAX_SEGMENT_BYTES = 255;

/**
 * The normalized path, or a TypeError/RangeError (HostCallError) naming `name`.
 *
 * @example filePath("photos/2024/cat.jpg") // "photos/2024/cat.jpg"; filePath("../x") throws
 */
export function filePath(value: unknown, name = "path"): string {
  if (typeof value !== "string") throw typeError(`${name} must be a string`);
  if (value.length === 0) throw typeError(`${name} must not be empty`);
  storableString(value, name);
  if (hasControl(value)) throw typeError(`${name} must not contain control characters`);
  const path = value.normalize("NFC");
  if (path.length > MAX_PATH) throw rangeError(`${name} must be at most ${MAX_PATH} characters`);
  if (path.includes("\\")) throw typeError(`${name} must not contain backslashes (separate segments with /)`);
  if (path.startsWith("/")) throw typeError(`${name} must be relative (no leading /)`);
  for (const segment of path.split("/")) {
    if (segment === "") throw typeError(`${name} must not contain empty segments (// or a trailing /)`);
    if (segment === "." || segment === "..") throw typeError(`${name} must not contain ${segment} segments`);
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES)
      throw rangeError(`${name} segments must be at most ${MAX_SEGMENT_BYTES} bytes (UTF-8)`);
  }
  return path;
}

/** A list prefix: any string a path may start with (normalized the same way), or undefined. */
export function pathPrefix(value: unknown, name = "prefix"): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw typeError(`${name} must be a string`);
  storableString(value, name);
  const prefix = value.normalize("NFC");
  if (prefix.length > MAX_PATH) throw rangeError(`${name} must be at most ${MAX_PATH} characters`);
  return prefix;
}

/** C0 controls (NUL is refused before, by the shared rule), DEL and C1 controls. */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c > 0 && c < 0x20) || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}
