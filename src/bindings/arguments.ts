/**
 * Checks for values that cross from a script into a binding (SPEC §3: invalid
 * arguments throw TypeError/RangeError naming the argument). Every binding
 * method validates its arguments with these before touching storage.
 */
import { HostCallError, type HostValue } from "../../runtime/index.js";
import { findUnstorable, isStorableText, UNSTORABLE_TEXT } from "../lib/storable-text.js";

export const typeError = (message: string) => new HostCallError("TypeError", message);
export const rangeError = (message: string) => new HostCallError("RangeError", message);

/**
 * The one rule for text a script hands to storage (lib/storable-text.ts): PostgreSQL
 * cannot store NUL or an unpaired surrogate, so the script gets a TypeError naming
 * the argument instead of a failed query.
 */
export function storableString(value: string, name: string): string {
  if (!isStorableText(value)) throw typeError(`${name} ${UNSTORABLE_TEXT}`);
  return value;
}

/** A string of 1..max characters that storage can hold. */
export function nonEmptyString(value: HostValue, name: string, max: number): string {
  if (typeof value !== "string") throw typeError(`${name} must be a string`);
  if (value.length === 0) throw typeError(`${name} must not be empty`);
  if (value.length > max) throw rangeError(`${name} must be at most ${max} characters`);
  return storableString(value, name);
}

export function optionalString(value: HostValue, name: string, max: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw typeError(`${name} must be a string`);
  if (value.length > max) throw rangeError(`${name} must be at most ${max} characters`);
  return storableString(value, name);
}

/**
 * Every string and key inside a JSON value (a document, a filter, a KV value, a
 * message) must be storable too: jsonb refuses `\u0000` and unpaired surrogates.
 */
export function storableJson<T>(value: T, name: string): T {
  const spot = findUnstorable(value);
  if (!spot) return value;
  const where = spot.path ? `${name}.${spot.path}` : name;
  throw typeError(spot.inKey ? `${where} has a key that ${UNSTORABLE_TEXT}` : `${where} ${UNSTORABLE_TEXT}`);
}

/** An options object (or undefined) with only the listed keys. */
export function options(value: HostValue, name: string, allowed: string[]): Record<string, HostValue> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value) || value instanceof Uint8Array) {
    throw typeError(`${name} must be an object`);
  }
  for (const k of Object.keys(value)) {
    if (!allowed.includes(k)) throw typeError(`${name}.${k} is not a known option (${allowed.join(", ")})`);
  }
  return value;
}

/** An optional integer in [min, max]; `fallback` when absent. */
export function intOption(
  value: HostValue,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value)) throw typeError(`${name} must be an integer`);
  if (value < min || value > max) throw rangeError(`${name} must be between ${min} and ${max}`);
  return value;
}

/**
 * A JSON value (no bytes, no undefined, finite numbers, bounded depth) and its
 * serialized size, refused above `maxBytes`.
 */
export function jsonValue(value: HostValue, name: string, maxBytes: number): unknown {
  checkJson(value, name, 0);
  storableJson(value, name);
  const size = Buffer.byteLength(JSON.stringify(value));
  if (size > maxBytes) throw rangeError(`${name} is ${size} bytes as JSON; the limit is ${maxBytes}`);
  return value;
}

function checkJson(value: HostValue, name: string, depth: number): void {
  if (depth > 64) throw rangeError(`${name} is nested deeper than 64 levels`);
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw typeError(`${name} must be JSON: ${value} is not a finite number`);
    return;
  }
  if (value === undefined) throw typeError(`${name} must be a JSON value, not undefined`);
  if (value instanceof Uint8Array) throw typeError(`${name} must be JSON, not binary data`);
  if (Array.isArray(value)) {
    for (const v of value) checkJson(v, name, depth + 1);
    return;
  }
  for (const v of Object.values(value)) if (v !== undefined) checkJson(v, name, depth + 1);
}

/** base64url opaque cursors. */
export function encodeCursor(parts: unknown[]): string {
  return Buffer.from(JSON.stringify(parts)).toString("base64url");
}

export function decodeCursor(value: HostValue, name = "cursor"): unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw typeError(`${name} must be a string`);
  try {
    const parts = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
    // A forged cursor must not carry unstorable text into a query either.
    if (Array.isArray(parts) && !findUnstorable(parts)) return parts;
  } catch {
    /* fall through */
  }
  throw typeError(`${name} is not a cursor returned by this method`);
}
