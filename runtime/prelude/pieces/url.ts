/**
 * Piece "url": URL and URLSearchParams. Parsing and setters go to the host's
 * WHATWG parser (one primitive: parse/set → components), so the edge cases
 * (IDNA, IPv6, percent-encoding, default ports) follow the standard exactly;
 * URLSearchParams is plain guest code, live-linked to its URL.
 */
import { isSettableUrlPart, Op, URL_PARTS } from "../../ops.js";
import type { Internals } from "../internals.js";
import type { UrlPiece } from "../piece-types.js";

const PARTS = Symbol("url");
const PARAMS = Symbol("params");
const LIST = Symbol("list");
const OWNER = Symbol("owner");

type Pair = [string, string];

export default function install(I: Internals): UrlPiece {
  const host = I.host;

  const toWellFormed = (s: string): string =>
    typeof (s as { toWellFormed?: unknown }).toWellFormed === "function"
      ? (s as unknown as { toWellFormed(): string }).toWellFormed()
      : s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");

  const percentDecode = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      const bytes: number[] = [];
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c === 0x25 && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
          bytes.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
          i += 2;
        } else {
          const encoded = new Uint8Array(
            host(
              Op.Utf8Encode,
              ...I.toHost(s.slice(i, c >= 0xd800 && c <= 0xdbff ? i + 2 : i + 1)),
            ) as ArrayBuffer,
          );
          if (c >= 0xd800 && c <= 0xdbff) i++;
          for (const b of encoded) bytes.push(b);
        }
      }
      return I.fromHost(host(Op.Utf8Decode, new Uint8Array(bytes).buffer, false, false));
    }
  };

  const parseQuery = (query: string): Pair[] => {
    const out: Pair[] = [];
    for (const seq of query.split("&")) {
      if (seq === "") continue;
      const eq = seq.indexOf("=");
      const name = (eq < 0 ? seq : seq.slice(0, eq)).replace(/\+/g, " ");
      const value = (eq < 0 ? "" : seq.slice(eq + 1)).replace(/\+/g, " ");
      out.push([
        name.includes("%") ? percentDecode(name) : name,
        value.includes("%") ? percentDecode(value) : value,
      ]);
    }
    return out;
  };

  const encode = (s: string): string =>
    encodeURIComponent(toWellFormed(s))
      .replace(/%20/g, "+")
      .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

  const serialize = (list: Pair[]): string => list.map(([n, v]) => `${encode(n)}=${encode(v)}`).join("&");

  /** Host strings end at U+0000; the parser would strip it at the edges and percent-encode it elsewhere. */
  const noNul = (s: string): string =>
    s.includes("\0") ? s.replace(/^[\0-\x20]+|[\0-\x20]+$/g, "").replace(/\0/g, "%00") : s;

  const parse = (input: string, base?: string): string[] | null => {
    const r = host(Op.UrlParse, noNul(input), base === undefined ? undefined : noNul(base)) as string | null;
    return r === null ? null : (JSON.parse(r) as string[]);
  };

  class URLSearchParams {
    declare [LIST]: Pair[];
    declare [OWNER]: URL | null;

    constructor(init: unknown = "") {
      this[OWNER] = null;
      if (init !== null && typeof init === "object") {
        if (typeof (init as Iterable<unknown>)[Symbol.iterator] === "function") {
          const list: Pair[] = [];
          for (const pair of init as Iterable<unknown>) {
            if (pair === null || typeof pair !== "object")
              throw new TypeError("URLSearchParams init pairs must be sequences");
            const items = [...(pair as Iterable<unknown>)];
            if (items.length !== 2)
              throw new TypeError("Each URLSearchParams init pair must have exactly two items");
            list.push([toWellFormed(String(items[0])), toWellFormed(String(items[1]))]);
          }
          this[LIST] = list;
        } else {
          this[LIST] = Object.keys(init).map((key) => [
            toWellFormed(key),
            toWellFormed(String((init as Record<string, unknown>)[key])),
          ]);
        }
      } else {
        const text = toWellFormed(String(init));
        this[LIST] = parseQuery(text.startsWith("?") ? text.slice(1) : text);
      }
    }

    get size(): number {
      return list(this).length;
    }

    append(name: unknown, value: unknown): void {
      list(this).push([toWellFormed(String(name)), toWellFormed(String(value))]);
      update(this);
    }

    delete(name: unknown, value?: unknown): void {
      const key = toWellFormed(String(name));
      const match = value === undefined ? undefined : toWellFormed(String(value));
      this[LIST] = list(this).filter(([n, v]) => n !== key || (match !== undefined && v !== match));
      update(this);
    }

    get(name: unknown): string | null {
      const key = toWellFormed(String(name));
      const found = list(this).find((pair) => pair[0] === key);
      return found ? found[1] : null;
    }

    getAll(name: unknown): string[] {
      const key = toWellFormed(String(name));
      const out: string[] = Array.of();
      for (const pair of list(this)) if (pair[0] === key) out.push(pair[1]);
      return out;
    }

    has(name: unknown, value?: unknown): boolean {
      const key = toWellFormed(String(name));
      const match = value === undefined ? undefined : toWellFormed(String(value));
      return list(this).some(([n, v]) => n === key && (match === undefined || v === match));
    }

    set(name: unknown, value: unknown): void {
      const key = toWellFormed(String(name));
      const text = toWellFormed(String(value));
      const pairs = list(this);
      const first = pairs.findIndex((pair) => pair[0] === key);
      if (first < 0) pairs.push([key, text]);
      else {
        pairs[first] = [key, text];
        this[LIST] = pairs.filter((pair, i) => i <= first || pair[0] !== key);
      }
      update(this);
    }

    sort(): void {
      list(this).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      update(this);
    }

    forEach(
      callback: (value: string, name: string, params: URLSearchParams) => void,
      thisArg?: unknown,
    ): void {
      if (typeof callback !== "function")
        throw new TypeError("URLSearchParams.forEach callback must be a function");
      for (const [n, v] of list(this).slice()) callback.call(thisArg, v, n, this);
    }

    entries(): IterableIterator<Pair> {
      return Array.from(list(this), (pair) => Array.of(pair[0], pair[1]) as Pair)[Symbol.iterator]();
    }

    keys(): IterableIterator<string> {
      return Array.from(list(this), (pair) => pair[0])[Symbol.iterator]();
    }

    values(): IterableIterator<string> {
      return Array.from(list(this), (pair) => pair[1])[Symbol.iterator]();
    }

    [Symbol.iterator](): IterableIterator<Pair> {
      return this.entries();
    }

    toString(): string {
      return serialize(list(this));
    }

    get [Symbol.toStringTag](): string {
      return "URLSearchParams";
    }
  }

  const list = (params: unknown): Pair[] => {
    const l = params !== null && typeof params === "object" ? (params as URLSearchParams)[LIST] : undefined;
    if (!l) throw new TypeError("Illegal invocation: not a URLSearchParams");
    return l;
  };

  /** The URL standard's "update steps": a params change rewrites its URL's query. */
  const update = (params: URLSearchParams): void => {
    const owner = params[OWNER];
    if (!owner) return;
    owner[PARTS] = JSON.parse(host(Op.UrlSet, owner[PARTS][0], "search", serialize(params[LIST])) as string);
  };

  class URL {
    declare [PARTS]: string[];
    declare [PARAMS]: URLSearchParams | null;

    constructor(url: unknown, base?: unknown) {
      const parts = parse(String(url), base === undefined ? undefined : String(base));
      if (parts === null) throw new TypeError(`Invalid URL: "${String(url)}"`);
      this[PARTS] = parts;
      this[PARAMS] = null;
    }

    static canParse(url: unknown, base?: unknown): boolean {
      return parse(String(url), base === undefined ? undefined : String(base)) !== null;
    }

    static parse(url: unknown, base?: unknown): URL | null {
      try {
        return new URL(url, base);
      } catch {
        return null;
      }
    }

    get searchParams(): URLSearchParams {
      const search = parts(this)[9]!;
      if (this[PARAMS] === null) {
        const params = new URLSearchParams(search);
        params[OWNER] = this;
        this[PARAMS] = params;
      }
      return this[PARAMS];
    }

    toString(): string {
      return parts(this)[0]!;
    }

    toJSON(): string {
      return parts(this)[0]!;
    }

    get [Symbol.toStringTag](): string {
      return "URL";
    }
  }

  const parts = (url: unknown): string[] => {
    const p = url !== null && typeof url === "object" ? (url as URL)[PARTS] : undefined;
    if (!p) throw new TypeError("Illegal invocation: not a URL");
    return p;
  };

  const relink = (url: URL): void => {
    const params = url[PARAMS];
    if (params) params[LIST] = parseQuery(url[PARTS][9]!.slice(1));
  };

  URL_PARTS.forEach((name, index) => {
    const setter =
      name === "href"
        ? function (this: URL, value: unknown) {
            const next = parse(String(value));
            if (next === null) throw new TypeError(`Invalid URL: "${String(value)}"`);
            this[PARTS] = next;
            relink(this);
          }
        : isSettableUrlPart(name)
          ? function (this: URL, value: unknown) {
              const result = host(Op.UrlSet, parts(this)[0], name, noNul(String(value))) as string;
              this[PARTS] = JSON.parse(result);
              if (name === "search") relink(this);
            }
          : undefined;
    Object.defineProperty(URL.prototype, name, {
      configurable: true,
      enumerable: true,
      get(this: URL) {
        return parts(this)[index];
      },
      set: setter,
    });
  });

  I.expose("URL", URL);
  I.expose("URLSearchParams", URLSearchParams);
  return {
    URLSearchParams,
    isSearchParams: (value) => value !== null && typeof value === "object" && LIST in value,
    href(input, base) {
      const p = parse(input, base);
      return p === null ? null : p[0]!;
    },
  };
}
