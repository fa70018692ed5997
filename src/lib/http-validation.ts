/**
 * Request validation with valibot: bodies and queries are parsed by a schema and
 * every problem becomes one readable line naming the field, e.g.
 * `email: must be an e-mail address` or `unknown field "colour"`.
 */
import { vValidator } from "@hono/valibot-validator";
import type { Env, MiddlewareHandler } from "hono";
import * as v from "valibot";
import { badRequest, PicloudError, validationFailed } from "./errors.js";
import { describeUnstorable, findUnstorable, isStorableText } from "./storable-text.js";

type Issue = v.BaseIssue<unknown>;

export interface FieldProblem {
  field: string;
  message: string;
}

function describe(issue: Issue): FieldProblem {
  const field = issue.path?.map((p) => String(p.key)).join(".") ?? "";
  if (issue.type === "strict_object" && issue.expected === "never") {
    return { field, message: `unknown field "${field}"` };
  }
  if (issue.received === "undefined" && field) return { field, message: `${field} is required` };
  if (issue.kind === "schema" && issue.message.startsWith("Invalid type")) {
    const where = field ? `${field}: ` : "body: ";
    return { field, message: `${where}expected ${issue.expected}, got ${issue.received}` };
  }
  const msg = issue.message;
  return { field, message: field && !msg.startsWith(field) ? `${field}: ${msg}` : msg };
}

/** Parses `value` or throws a 400 listing every problem (fields named). */
export function parseOrThrow<S extends v.GenericSchema>(
  schema: S,
  value: unknown,
  what = "request",
): v.InferOutput<S> {
  const result = v.safeParse(schema, value, { abortEarly: false });
  if (result.success) return result.output;
  return failWith(result.issues, what);
}

function failWith(issues: readonly Issue[], what: string): never {
  const problems = issues.map(describe);
  throw validationFailed(`invalid ${what}: ${problems.map((p) => p.message).join("; ")}`, { problems });
}

/**
 * Hono middleware validating the JSON body. Written by hand rather than with
 * Hono's json validator, which treats a body of another content type as `{}`:
 * here a non-JSON content type is 415 and malformed JSON is 400.
 */
export function jsonBody<S extends v.GenericSchema>(
  schema: S,
): MiddlewareHandler<Env, string, { in: { json: v.InferInput<S> }; out: { json: v.InferOutput<S> } }> {
  return async (c, next) => {
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) {
      throw new PicloudError(
        415,
        "unsupported_media_type",
        "request body must be JSON (Content-Type: application/json)",
      );
    }
    let raw: unknown;
    try {
      raw = JSON.parse(await c.req.text());
    } catch {
      throw badRequest("request body is not valid JSON");
    }
    refuseUnstorable(raw, "body");
    c.req.addValidatedData("json", parseOrThrow(schema, raw, "body") as object);
    await next();
  };
}

/**
 * The shared rule for every string the API may store (see lib/storable-text.ts),
 * applied to the whole parsed value before any schema runs, so no route can
 * forget it: a 400 naming the field, e.g. `name: must not contain NUL or unpaired surrogates`.
 */
function refuseUnstorable(value: unknown, what: "body" | "query"): void {
  const spot = findUnstorable(value);
  if (!spot) return;
  // A query's values are lists (?a=1&a=2): name the parameter, not its index.
  const found = what === "query" ? { ...spot, path: spot.path.replace(/\.\d+$/, "") } : spot;
  const message = describeUnstorable(found, what);
  throw validationFailed(`invalid ${what}: ${message}`, { problems: [{ field: found.path, message }] });
}

/** Hono middleware validating the query string. */
export const queryParams = <S extends v.GenericSchema>(schema: S) => {
  const validate = vValidator("query", schema, (result) => {
    if (!result.success) failWith(result.issues, "query");
  });
  // The cast keeps vValidator's typing of c.req.valid("query") for the routes.
  const guarded: MiddlewareHandler = async (c, next) => {
    refuseUnstorable(c.req.queries(), "query");
    return validate(c as never, next);
  };
  return guarded as typeof validate;
};

/**
 * Hono middleware for path parameters, mounted once in front of every admin
 * route: the same rule as for bodies and queries, so a segment that decodes to
 * NUL or an unpaired surrogate is a 400 (`path: must not contain …`) before it
 * can reach a query, where PostgreSQL would fail on it. A 400 rather than a 404
 * because some paths name what is being created (a file, a topic).
 */
export const storablePath = (): MiddlewareHandler => async (c, next) => {
  for (const segment of new URL(c.req.url).pathname.split("/")) {
    if (!isStorableText(decodeLikeHono(segment))) {
      const message = describeUnstorable({ path: "", inKey: false }, "path");
      throw validationFailed(message, { problems: [{ field: "path", message }] });
    }
  }
  await next();
};

/**
 * A path segment as Hono's router hands it to a route: each run of `%XX` escapes decoded on its
 * own, a run that is not valid UTF-8 left raw. Decoding the segment as a whole instead would let
 * `a%00b%FF` through (the bad `%FF` makes the whole decode fail) while the route sees the NUL.
 */
function decodeLikeHono(segment: string): string {
  if (!segment.includes("%")) return segment;
  return segment.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/** A loose but useful e-mail check (valibot's own rejects valid short TLDs). */
export const emailSchema = v.pipe(
  v.string(),
  v.trim(),
  v.maxLength(254, "must be at most 254 characters"),
  v.regex(/^[^\s@]+@[^\s@]+$/, "must be an e-mail address"),
);

/** Passwords: long enough to matter, short enough not to be a hashing DoS. */
export const passwordSchema = v.pipe(
  v.string(),
  v.minLength(10, "must be at least 10 characters"),
  v.maxLength(256, "must be at most 256 characters"),
);

/** The largest value of a PostgreSQL `integer` (int4) column: larger numbers fail the query. */
export const INT4_MAX = 2 ** 31 - 1;

/** An optional integer in [min, max], with the messages to give when it is outside. */
export const optionalIntegerBetween = (min: number, tooSmall: string, max: number, tooLarge: string) =>
  v.optional(v.pipe(v.number(), v.integer(), v.minValue(min, tooSmall), v.maxValue(max, tooLarge)));

/** `?limit=` of a list endpoint: a whole number from 1 to `max`, `fallback` when absent (a string, as queries are). */
export const limitParam = (max: number, fallback: number) =>
  v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+$/, "limit must be a number"),
      v.transform(Number),
      v.minValue(1, "limit must be at least 1"),
      v.maxValue(max, `limit must be at most ${max}`),
    ),
    String(fallback),
  );
