/**
 * The one rule for text that reaches the database: PostgreSQL `text` cannot
 * hold NUL, and neither `text` nor `jsonb` can hold an unpaired UTF-16
 * surrogate (it has no UTF-8 encoding; jsonb also refuses the escape `\u0000`).
 * Such strings used to fail deep inside a query as a 500; callers check them
 * here first and refuse them with an error naming the field.
 */

/** NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, "g");

/** The tail of every message about such a string, e.g. `name: must not contain …`. */
export const UNSTORABLE_TEXT = "must not contain NUL or unpaired surrogates";

/** Whether PostgreSQL can store `s` as text or inside jsonb. */
export function isStorableText(s: string): boolean {
  return !UNSTORABLE.test(s);
}

/**
 * `s` with NUL and unpaired surrogates replaced by U+FFFD: for diagnostics a
 * script produced (log lines, error messages) that must be kept, not refused.
 */
export function toStorableText(s: string): string {
  return isStorableText(s) ? s : s.replace(UNSTORABLE_ALL, "\uFFFD");
}

/** Where a JSON value holds unstorable text: the dotted path (`""` for the root) and whether it is a key. */
export interface UnstorableSpot {
  path: string;
  inKey: boolean;
}

/**
 * The first string or object key in `value` that PostgreSQL cannot store, or
 * undefined. Walks with an explicit stack: a parsed body can nest deeper than
 * the call stack allows.
 *
 * @example findUnstorable({ vars: { A: "\ud800" } }) // → { path: "vars.A", inKey: false }
 */
export function findUnstorable(value: unknown): UnstorableSpot | undefined {
  const stack: [unknown, string][] = [[value, ""]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === "string") {
      if (!isStorableText(v)) return { path, inKey: false };
      continue;
    }
    if (v === null || typeof v !== "object" || ArrayBuffer.isView(v)) continue;
    const entries: [string, unknown][] = Array.isArray(v)
      ? v.map((x, i) => [String(i), x])
      : Object.entries(v as Record<string, unknown>);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, x] = entries[i]!;
      if (!Array.isArray(v) && !isStorableText(k)) return { path, inKey: true };
      stack.push([x, path ? `${path}.${k}` : k]);
    }
  }
  return undefined;
}

/** A readable sentence for a spot, e.g. `vars.A: must not contain …` or `vars: keys must not contain …`. */
export function describeUnstorable(spot: UnstorableSpot, root: string): string {
  const where = spot.path || root;
  return spot.inKey ? `${where}: keys ${UNSTORABLE_TEXT}` : `${where}: ${UNSTORABLE_TEXT}`;
}
