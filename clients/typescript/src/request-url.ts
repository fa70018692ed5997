/**
 * Turns an endpoint's path template and a request object into a URL: `:name`
 * segments are filled from explicit params or taken out of the request object,
 * and (for GET/DELETE) the remaining fields become the query string.
 */

export type ParamValue = string | number | bigint | boolean;

/** `PathParams<"/posts/:id/comments/:commentId">` is `{ id: ParamValue; commentId: ParamValue }`. */
export type PathParams<Path extends string> = string extends Path
  ? Record<string, ParamValue>
  : Path extends `${string}:${infer Param}/${infer Rest}`
    ? { [K in Param]: ParamValue } & PathParams<`/${Rest}`>
    : Path extends `${string}:${infer Param}`
      ? { [K in Param]: ParamValue }
      : Record<never, never>;

const PARAM = /:([A-Za-z_][A-Za-z0-9_]*)/g;

export function paramNames(path: string): string[] {
  return [...path.matchAll(PARAM)].map((match) => match[1]!);
}

export interface FilledPath {
  path: string;
  /** The request fields that were not used as path params. */
  rest: Record<string, unknown> | undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Fills the path. A value in `params` wins over a request field of the same name;
 * a field used for the path is removed from the request. Missing params throw.
 */
export function fillPath(
  template: string,
  params: Record<string, ParamValue> | undefined,
  request: unknown,
): FilledPath {
  const names = paramNames(template);
  const rest = isPlainObject(request) ? { ...request } : undefined;
  const path = template.replace(PARAM, (_match, name: string) => {
    const fromRequest = rest?.[name];
    if (rest && name in rest) delete rest[name];
    const value = params?.[name] ?? fromRequest;
    if (value === undefined || value === null || value === "") {
      throw new TypeError(`Missing path parameter "${name}" for ${template}`);
    }
    return encodeURIComponent(String(value));
  });
  return { path: names.length === 0 ? template : path, rest };
}

function queryValue(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object" && value !== null) return JSON.stringify(value);
  return String(value);
}

/**
 * Query encoding: undefined and null are left out, arrays repeat the key, Dates
 * become ISO strings, nested objects are JSON, everything else `String(value)`.
 */
export function toQueryString(fields: Record<string, unknown> | undefined): string {
  if (!fields) return "";
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) if (item !== undefined && item !== null) search.append(key, queryValue(item));
    } else {
      search.append(key, queryValue(value));
    }
  }
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}

/** Joins a base URL (absolute, or "" / a path for same-origin use) and a path. */
export function joinUrl(baseUrl: string, path: string): string {
  const base = baseUrl.replace(/\/+$/, "");
  return `${base}${path.startsWith("/") ? path : `/${path}`}`;
}
