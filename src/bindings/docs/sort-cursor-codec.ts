/**
 * Opaque page cursors: base64url JSON of the last row's sort values and id,
 * the sort it belongs to (as a hash) and a checksum. The checksum catches
 * edited or truncated cursors; it is not a signature, and needs not be: a
 * forged cursor only moves where the next page starts within the same filter,
 * and its values reach SQL as bound parameters like any filter value.
 */
import { createHash } from "node:crypto";
import { isUuid } from "../../lib/ids.js";
import { FilterError } from "./filter-error.js";
import { extractPath } from "./filter-path.js";
import { checkJson, type Json } from "./filter-value.js";
import type { SortKey } from "./sort-cursor.js";

const VERSION = 1;
/** Cursors carry sort values, which may be large; anything beyond this is not one of ours. */
const MAX_CURSOR_LENGTH = 1024 * 1024;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export interface CursorPosition {
  values: Json[];
  id: string;
}

const digest = (text: string, chars: number) =>
  createHash("sha256").update(text).digest("base64url").slice(0, chars);

/** Identifies a sort, so a cursor from another sort is refused rather than misread. */
function sortSignature(keys: readonly SortKey[]): string {
  return digest(JSON.stringify(keys.map((k) => [k.path, k.direction])), 16);
}

/** The cursor that continues after `row` (a row returned by the find built for `keys`). */
export function encodeCursor(keys: readonly SortKey[], row: { id: string; data: unknown }): string {
  const values = keys.map((k) => (extractPath(row.data, k.path) ?? null) as Json);
  const payload = JSON.stringify([VERSION, sortSignature(keys), values, row.id]);
  return `${Buffer.from(payload).toString("base64url")}.${digest(payload, 12)}`;
}

const invalid = () => new FilterError("cursor", "cursor is invalid");

/** Reads a cursor made by encodeCursor for the same sort; anything else is "cursor is invalid". */
export function decodeCursor(keys: readonly SortKey[], cursor: unknown): CursorPosition {
  if (typeof cursor !== "string") throw new FilterError("cursor", "cursor must be a string returned by find");
  if (cursor.length > MAX_CURSOR_LENGTH) throw invalid();
  const dot = cursor.indexOf(".");
  const body = cursor.slice(0, dot);
  if (dot < 0 || !BASE64URL.test(body)) throw invalid();
  const payload = Buffer.from(body, "base64url").toString("utf8");
  if (cursor.slice(dot + 1) !== digest(payload, 12)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) throw invalid();
  const [version, signature, values, id] = parsed as unknown[];
  if (version !== VERSION || signature !== sortSignature(keys)) throw invalid();
  if (!Array.isArray(values) || values.length !== keys.length) throw invalid();
  if (typeof id !== "string" || !isUuid(id)) throw invalid();
  try {
    for (const v of values) checkJson(v, "cursor", "cursor");
  } catch {
    throw invalid();
  }
  return { values: values as Json[], id };
}
