/**
 * Headers (Fetch standard §5.2): case-insensitive names, values combined with
 * ", ", set-cookie kept apart, iteration sorted by name. Bundled into the
 * fetch piece. Arrays handed to scripts are made with the execution's `Array`
 * (see internals.ts); the header list itself stays internal.
 */

export type HeaderList = [string, string][];
export type Guard = "none" | "immutable";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\0\r\n]|[^\0-\xFF]/;
const EDGE_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;

export function headerName(name: unknown): string {
  const text = String(name);
  if (!TOKEN.test(text)) throw new TypeError(`Invalid header name: "${text}"`);
  return text.toLowerCase();
}

export function headerValue(value: unknown): string {
  const text = String(value).replace(EDGE_WHITESPACE, "");
  if (BAD_VALUE.test(text)) throw new TypeError(`Invalid header value: "${text}"`);
  return text;
}

const LIST = Symbol.for("picloud.headers");
const GUARD = Symbol.for("picloud.guard");

interface HeadersState {
  [LIST]: HeaderList;
  [GUARD]: Guard;
}

function state(headers: unknown): HeadersState {
  if (headers === null || typeof headers !== "object" || !(LIST in headers))
    throw new TypeError("Illegal invocation");
  return headers as HeadersState;
}

function mutable(headers: unknown): HeaderList {
  const s = state(headers);
  if (s[GUARD] === "immutable") throw new TypeError("Can't modify immutable headers");
  return s[LIST];
}

/** The pairs iteration yields (arrays of the execution's realm): sorted by name, duplicates combined except set-cookie. */
function sortAndCombine(list: HeaderList): HeaderList {
  const names = [...new Set(list.map((pair) => pair[0]))].sort();
  const out: HeaderList = Array.of();
  for (const name of names) {
    if (name === "set-cookie") {
      for (const [n, v] of list) if (n === name) out.push(Array.of(n, v) as [string, string]);
    } else {
      const values: string[] = [];
      for (const [n, v] of list) if (n === name) values.push(v);
      out.push(Array.of(name, values.join(", ")) as [string, string]);
    }
  }
  return out;
}

export class Headers {
  declare [LIST]: HeaderList;
  declare [GUARD]: Guard;

  constructor(init?: unknown) {
    this[LIST] = [];
    this[GUARD] = "none";
    if (init === undefined || init === null) {
      if (init === null) throw new TypeError("Headers init must not be null");
      return;
    }
    if (typeof init !== "object" && typeof init !== "function") throw new TypeError("Invalid Headers init");
    const list = this[LIST];
    if (LIST in (init as object)) {
      for (const [n, v] of (init as HeadersState)[LIST]) list.push([n, v]);
    } else if (typeof (init as Iterable<unknown>)[Symbol.iterator] === "function") {
      for (const pair of init as Iterable<unknown>) {
        if (
          pair === null ||
          typeof pair !== "object" ||
          typeof (pair as Iterable<unknown>)[Symbol.iterator] !== "function"
        )
          throw new TypeError("Each Headers init pair must be an iterable [name, value]");
        const items = [...(pair as Iterable<unknown>)];
        if (items.length !== 2) throw new TypeError("Each Headers init pair must have exactly two items");
        list.push([headerName(items[0]), headerValue(items[1])]);
      }
    } else {
      for (const key of Reflect.ownKeys(init as object)) {
        const desc = Reflect.getOwnPropertyDescriptor(init as object, key);
        if (!desc?.enumerable || typeof key === "symbol") continue;
        list.push([headerName(key), headerValue((init as Record<string, unknown>)[key])]);
      }
    }
  }

  append(name: unknown, value: unknown): void {
    mutable(this).push([headerName(name), headerValue(value)]);
  }

  delete(name: unknown): void {
    const list = mutable(this);
    const key = headerName(name);
    for (let i = list.length - 1; i >= 0; i--) if (list[i]![0] === key) list.splice(i, 1);
  }

  get(name: unknown): string | null {
    const key = headerName(name);
    let out: string | null = null;
    for (const [n, v] of state(this)[LIST]) if (n === key) out = out === null ? v : `${out}, ${v}`;
    return out;
  }

  getSetCookie(): string[] {
    const out: string[] = Array.of();
    for (const [n, v] of state(this)[LIST]) if (n === "set-cookie") out.push(v);
    return out;
  }

  has(name: unknown): boolean {
    return hasHeader(this, headerName(name));
  }

  set(name: unknown, value: unknown): void {
    const list = mutable(this);
    const key = headerName(name);
    const text = headerValue(value);
    const first = list.findIndex((pair) => pair[0] === key);
    if (first < 0) {
      list.push([key, text]);
      return;
    }
    list[first] = [key, text];
    for (let i = list.length - 1; i > first; i--) if (list[i]![0] === key) list.splice(i, 1);
  }

  forEach(callback: (value: string, name: string, headers: Headers) => void, thisArg?: unknown): void {
    if (typeof callback !== "function") throw new TypeError("Headers.forEach callback must be a function");
    for (const [n, v] of sortAndCombine(state(this)[LIST])) callback.call(thisArg, v, n, this);
  }

  entries(): IterableIterator<[string, string]> {
    return sortAndCombine(state(this)[LIST])[Symbol.iterator]();
  }

  keys(): IterableIterator<string> {
    return Array.from(sortAndCombine(state(this)[LIST]), (pair) => pair[0])[Symbol.iterator]();
  }

  values(): IterableIterator<string> {
    return Array.from(sortAndCombine(state(this)[LIST]), (pair) => pair[1])[Symbol.iterator]();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return "Headers";
  }
}

/** Raw access for Request/Response and the host boundary. */
export function headerList(headers: Headers): HeaderList {
  return state(headers)[LIST];
}

/** Whether `headers` has `key` (a valid, lower-case name). */
export function hasHeader(headers: Headers, key: string): boolean {
  const list = state(headers)[LIST];
  for (let i = 0; i < list.length; i++) if (list[i]![0] === key) return true;
  return false;
}

/** Builds Headers from a trusted list without validation (host input). */
export function headersFromList(list: HeaderList, guard: Guard): Headers {
  const headers = new Headers();
  headers[LIST] = list;
  headers[GUARD] = guard;
  return headers;
}

export function setGuard(headers: Headers, guard: Guard): void {
  state(headers)[GUARD] = guard;
}
