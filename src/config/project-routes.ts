/**
 * Route entries of picloud.toml: a plain string `"[METHOD[,METHOD]] path"`
 * (`"GET /posts"`, `"GET,POST /posts"`, `"/posts/:id"` for any method) or a
 * table `{ route = "POST /jobs", dispatch = "async", host = "api.example.com" }`.
 * Paths and hosts follow the same rules the server applies, so a typo fails
 * here with its line instead of at upload.
 */
import * as v from "valibot";
import { hostnameSchema } from "../apps/slug.js";
import { HTTP_METHODS, routePathProblem } from "../scripts/names.js";

export interface ProjectRoute {
  /** Upper-case methods; empty = any method. */
  methods: string[];
  path: string;
  host: string | null;
  dispatch: "sync" | "async";
}

/** Parses `"[METHOD[,METHOD]] path"`; returns the route or a message saying what is wrong. */
export function parseRouteString(input: string): Omit<ProjectRoute, "host" | "dispatch"> | string {
  const parts = input.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return "route must not be empty";
  if (parts.length > 2)
    return `route "${input}" must be "[METHOD[,METHOD]] path" (methods separated by commas, no spaces)`;
  const path = parts.length === 2 ? parts[1]! : parts[0]!;
  const methodPart = parts.length === 2 ? parts[0]! : "";
  const methods: string[] = [];
  if (methodPart !== "" && methodPart !== "*") {
    for (const m of methodPart.split(",")) {
      const upper = m.trim().toUpperCase();
      if (!(HTTP_METHODS as readonly string[]).includes(upper))
        return `route "${input}": unknown method "${m}" (use ${HTTP_METHODS.join(", ")}, or none for any method)`;
      if (!methods.includes(upper)) methods.push(upper);
    }
  }
  const problem = routePathProblem(path);
  if (problem) return `route "${input}": ${problem}`;
  return { methods: methods.sort(), path };
}

const routeTable = v.strictObject({
  route: v.string('route must be a string like "POST /jobs"'),
  dispatch: v.optional(v.picklist(["sync", "async"], 'dispatch must be "sync" or "async"'), "sync"),
  host: v.optional(v.string("host must be a string"), ""),
});

/** One entry of a script's `routes` array, validated and normalized. */
export const routeEntrySchema = v.pipe(
  v.union(
    [v.string(), routeTable],
    'a route must be a string like "GET /posts" or a table like { route = "POST /jobs", dispatch = "async" }',
  ),
  v.rawTransform(({ dataset, addIssue, NEVER }): ProjectRoute => {
    const entry = dataset.value;
    const spec = typeof entry === "string" ? { route: entry, dispatch: "sync" as const, host: "" } : entry;
    const parsed = parseRouteString(spec.route);
    if (typeof parsed === "string") {
      addIssue({ message: parsed });
      return NEVER;
    }
    let host: string | null = null;
    if (spec.host !== "") {
      const h = v.safeParse(hostnameSchema, spec.host);
      if (!h.success) {
        addIssue({ message: h.issues[0].message });
        return NEVER;
      }
      host = h.output;
    }
    return { ...parsed, host, dispatch: spec.dispatch };
  }),
);
