/** Validation of script names and route patterns, shared by the admin API and deploy. */
import * as v from "valibot";

/** `api`, `digest-daily`, `lib/text` (modules may be named like import paths). */
export const scriptNameSchema = v.pipe(
  v.string("name must be a string"),
  v.regex(
    /^[a-z0-9][a-z0-9_-]{0,62}(\/[a-z0-9][a-z0-9_-]{0,62}){0,4}$/,
    "name must be lower-case letters, digits, '-' and '_', optionally in '/'-separated parts (lib/text)",
  ),
);

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

export const methodSchema = v.pipe(
  v.string(),
  v.toUpperCase(),
  v.picklist(HTTP_METHODS, `methods must be among ${HTTP_METHODS.join(", ")}`),
);

const SEGMENT = /^(?:[A-Za-z0-9._~!$&'()+,;=@%-]+|:[A-Za-z_][A-Za-z0-9_]*)$/;

/** Why a route path is invalid, or null. Exact `/a/b`, params `/users/:id`, prefix `/api/*` (the star last). */
export function routePathProblem(path: string): string | null {
  if (!path.startsWith("/")) return "path must start with /";
  if (path.length > 512) return "path must be at most 512 characters";
  if (path === "/" || path === "/*") return null;
  const segments = path.slice(1).split("/");
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s === "*") {
      if (i !== segments.length - 1) return "path may have * only as its last segment (/api/*)";
      continue;
    }
    if (s === "" && i === segments.length - 1) continue; // trailing slash
    if (!SEGMENT.test(s)) return `path segment "${s}" is invalid: use letters, digits, -._~ or :param`;
  }
  const params = segments.filter((s) => s.startsWith(":"));
  if (new Set(params).size !== params.length) return "path uses the same :param twice";
  return null;
}

export const routePathSchema = v.pipe(
  v.string("path must be a string"),
  v.check(
    (p) => routePathProblem(p) === null,
    (issue) => routePathProblem(String(issue.input)) ?? "invalid path",
  ),
);

/** Two patterns that match the same requests: `/users/:id` and `/users/:uid` are the same route. */
export function routeShape(path: string): string {
  return path.replace(/\/:[A-Za-z_][A-Za-z0-9_]*/g, "/:");
}
