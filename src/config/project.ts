/**
 * picloud.toml (SPEC §8): read, validate and resolve one project file into the
 * typed project that `picloud deploy` and deploy-on-start upload. Every problem
 * is reported at once, each naming its key and, where it can be found, its line.
 * `[env.<name>]` sections override the top level when selected with `--env`.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parse as parseToml, TomlError } from "smol-toml";
import * as v from "valibot";
import { SLUG_RE } from "../apps/slug.js";
import { type UsersSection, usersSectionSchema } from "../bindings/users/settings-input.js";
import { addressSchema, domainSchema } from "../email-in/addresses.js";
import { MAX_LIMIT_MEMORY_MB, MAX_LIMIT_TIME_MS } from "../scripts/limit-ceilings.js";
import { scriptNameSchema } from "../scripts/names.js";
import { sendersSchema } from "./project-email.js";
import {
  cronEntrySchema,
  type ProjectCron,
  type ProjectTopic,
  type ProjectTrigger,
  topicSchema,
  triggerSchema,
} from "./project-later.js";
import { type ProjectRoute, routeEntrySchema } from "./project-routes.js";
import { lineOfKey } from "./toml-lines.js";

export type { ProjectCron, ProjectRoute, ProjectTopic, ProjectTrigger };

export interface ProjectScript {
  name: string;
  /** Absolute path of the entry file. */
  main: string;
  kind: "handler" | "module";
  isolation: "none" | "script";
  limits: { timeMs?: number; memoryMb?: number };
  routes: ProjectRoute[];
  /** Deployed as the script's `cron` triggers. */
  crons: ProjectCron[];
  triggers: ProjectTrigger[];
}

export interface Project {
  /** Absolute path of the picloud.toml. */
  file: string;
  /** Its directory: `main` paths and npm imports resolve from here. */
  dir: string;
  /** The app slug (after the selected environment's override). */
  name: string;
  /** The selected `[env.<name>]`, or null. */
  env: string | null;
  compatibilityDate: string | null;
  vars: Record<string, string>;
  scripts: ProjectScript[];
  /** Not deployed yet (see project-later.ts). */
  topics: ProjectTopic[];
  /** `[email]` (null: the section is absent: no senders, and the server's inbound set is kept). */
  email: ProjectEmail | null;
  /** `[users]`: end-user settings (null: the section is absent: the defaults, built-in endpoints off). */
  users: UsersSection | null;
}

export interface ProjectEmail {
  /** Outbound: the addresses and domains this app may send from. */
  senders: string[];
  /** Inbound: the recipients that reach this app's `email` handler. */
  addresses: string[];
  domains: string[];
  /** The script that receives all of the app's mail (an `email` trigger with address `*`), or null. */
  handler: string | null;
}

/** A picloud.toml that cannot be used; `problems` has one line per problem. */
export class ProjectError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(
      problems.length === 1
        ? `${file}: ${problems[0]}`
        : `${file} has ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "ProjectError";
  }
}

const slugSchema = v.pipe(
  v.string("name must be a string (the app slug)"),
  v.regex(SLUG_RE, "name must be an app slug: 1-63 characters of a-z, 0-9 and '-' (not at either end)"),
);

const dateSchema = v.pipe(
  v.union([v.string(), v.date()], "compatibility_date must be a date like 2026-11-01"),
  v.transform((d) => (d instanceof Date ? d.toISOString().slice(0, 10) : d)),
  v.regex(/^\d{4}-\d{2}-\d{2}$/, "compatibility_date must be a date like 2026-11-01"),
);

/** Values become strings, as scripts see them in `env`; numbers and booleans are written as they read. */
const varsSchema = v.record(
  v.pipe(
    v.string(),
    v.regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "var names must be identifiers like SITE_TITLE"),
  ),
  v.pipe(
    v.union([v.string(), v.number(), v.boolean()], "vars values must be strings, numbers or booleans"),
    v.transform(String),
  ),
);

const scriptSchema = v.pipe(
  v.strictObject({
    name: scriptNameSchema,
    main: v.pipe(v.string("main must be a string (a path)"), v.minLength(1, "main must not be empty")),
    kind: v.optional(v.picklist(["handler", "module"], "kind must be handler or module"), "handler"),
    isolation: v.optional(v.picklist(["none", "script"], "isolation must be none or script"), "none"),
    limits: v.optional(
      v.strictObject({
        time_ms: v.optional(
          v.pipe(
            v.number("time_ms must be a number"),
            v.integer(),
            v.minValue(10, "time_ms must be ≥ 10"),
            v.maxValue(MAX_LIMIT_TIME_MS, `time_ms must be ≤ ${MAX_LIMIT_TIME_MS}`),
          ),
        ),
        memory_mb: v.optional(
          v.pipe(
            v.number("memory_mb must be a number"),
            v.integer(),
            v.minValue(8, "memory_mb must be ≥ 8"),
            v.maxValue(MAX_LIMIT_MEMORY_MB, `memory_mb must be ≤ ${MAX_LIMIT_MEMORY_MB}`),
          ),
        ),
      }),
      {},
    ),
    routes: v.optional(v.array(routeEntrySchema, "routes must be an array"), []),
    crons: v.optional(v.array(cronEntrySchema, "crons must be an array"), []),
    triggers: v.optional(v.array(triggerSchema, "triggers must be an array of tables"), []),
  }),
  v.check(
    (s) => s.kind === "handler" || (s.routes.length === 0 && s.crons.length === 0 && s.triggers.length === 0),
    "a module has no routes, crons or triggers: only handlers are run",
  ),
);

/** `[email]`: `addresses = ["support@blog.example.com"]`, `domains = ["blog.example.com"]`, `handler = "inbox"`. */
const emailSectionSchema = v.strictObject({
  addresses: v.optional(
    v.array(addressSchema("addresses"), "addresses must be an array of e-mail addresses"),
    [],
  ),
  domains: v.optional(v.array(domainSchema("domains"), "domains must be an array of domains"), []),
  handler: v.optional(scriptNameSchema),
  senders: v.optional(sendersSchema, []),
});

const envSchema = v.strictObject({
  name: v.optional(slugSchema),
  compatibility_date: v.optional(dateSchema),
  vars: v.optional(varsSchema),
});

const fileSchema = v.strictObject({
  name: slugSchema,
  compatibility_date: v.optional(dateSchema),
  vars: v.optional(varsSchema, {}),
  scripts: v.optional(
    v.pipe(
      v.array(scriptSchema, "scripts must be written as [[scripts]] tables"),
      v.check(
        (s) => new Set(s.map((x) => x.name)).size === s.length,
        (issue) => {
          const names = (issue.input as { name: string }[]).map((s) => s.name);
          const twice = names.find((n, i) => names.indexOf(n) !== i);
          return `script name "${twice}" appears twice: each script name may appear once`;
        },
      ),
    ),
    [],
  ),
  topics: v.optional(v.array(topicSchema, "topics must be written as [[topics]] tables"), []),
  email: v.optional(emailSectionSchema),
  users: v.optional(usersSectionSchema),
  env: v.optional(
    v.record(
      v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,63}$/, "environment names are letters, digits, - and _")),
      envSchema,
    ),
    {},
  ),
});

type Issue = v.BaseIssue<unknown>;

/** Flattens valibot issues to (path, message), resolving unions to the branch the input was meant for. */
function flatten(
  issue: Issue,
  prefix: (string | number)[] = [],
): { path: (string | number)[]; message: string }[] {
  const here = [...prefix, ...(issue.path ?? []).map((p) => p.key as string | number)];
  if (issue.type === "union" && issue.issues) {
    // Issues about the shape inside the table (a path below it) say more than "expected string or table".
    const inner = issue.issues.filter((i) => (i.path?.length ?? 0) > 0 || i.type === "strict_object");
    const meant = inner.filter((i) => !(i.type === "strict_object" && !i.path));
    if (typeof issue.input === "object" && issue.input !== null && meant.length > 0)
      return meant.flatMap((i) => flatten(i, here));
  }
  if (issue.type === "strict_object" && issue.expected === "never")
    return [{ path: here, message: `unknown key "${String(here[here.length - 1])}"` }];
  if (issue.type === "strict_object" && issue.input === undefined)
    return [{ path: here, message: "is missing" }];
  return [{ path: here, message: issue.message }];
}

/** `scripts[1].kind must be …` when the message already names the key, else `scripts[1].kind: …`. */
function describe(p: (string | number)[], message: string): string {
  if (p.length === 0) return message;
  const last = String(p[p.length - 1]);
  if (message === "is missing") return `${keyPath(p)} is missing`;
  if (message.startsWith(`${last} `)) return `${keyPath(p)}${message.slice(last.length)}`;
  return `${keyPath(p)}: ${message}`;
}

function keyPath(p: (string | number)[]): string {
  return p.reduce<string>((s, k) => (typeof k === "number" ? `${s}[${k}]` : s ? `${s}.${k}` : k), "");
}

export interface ParseOptions {
  /** The file's path (for messages; `main` resolves from its directory). */
  file: string;
  /** `[env.<name>]` to apply. */
  env?: string;
}

/** Parses picloud.toml source; throws ProjectError listing every problem. */
export function parseProject(source: string, opts: ParseOptions): Project {
  const file = path.resolve(opts.file);
  const shown = path.basename(file);
  let raw: unknown;
  try {
    raw = parseToml(source);
  } catch (err) {
    if (err instanceof TomlError) {
      const [headline] = err.message.split("\n");
      const reason = headline!.replace(/^Invalid TOML document: /, "");
      throw new ProjectError(file, [`line ${err.line}, column ${err.column}: invalid TOML: ${reason}`]);
    }
    throw err;
  }
  const result = v.safeParse(fileSchema, raw, { abortPipeEarly: true });
  if (!result.success) {
    const problems = result.issues
      .flatMap((i) => flatten(i as Issue))
      .map(({ path: p, message }) => ({ line: lineOfKey(source, p), text: describe(p, message) }))
      .sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER));
    throw new ProjectError(
      file,
      problems.map(({ line, text }) => (line ? `line ${line}: ${text}` : text)),
    );
  }
  const parsed = result.output;
  const dir = path.dirname(file);
  const problems: string[] = [];
  const scripts: ProjectScript[] = parsed.scripts.map((s, i) => {
    const main = path.resolve(dir, s.main);
    if (!existsSync(main) || !statSync(main).isFile()) {
      const line = lineOfKey(source, ["scripts", i, "main"]);
      problems.push(
        `${line ? `line ${line}: ` : ""}scripts[${i}].main: ${s.main} does not exist (next to ${shown})`,
      );
    }
    const limits: ProjectScript["limits"] = {};
    if (s.limits.time_ms !== undefined) limits.timeMs = s.limits.time_ms;
    if (s.limits.memory_mb !== undefined) limits.memoryMb = s.limits.memory_mb;
    return {
      name: s.name,
      main,
      kind: s.kind,
      isolation: s.isolation,
      limits,
      routes: s.routes,
      crons: s.crons,
      triggers: s.triggers,
    };
  });
  const email = parsed.email
    ? {
        addresses: parsed.email.addresses,
        domains: parsed.email.domains,
        handler: parsed.email.handler ?? null,
        senders: parsed.email.senders,
      }
    : null;
  if (email) {
    const line = (key: string) => {
      const n = lineOfKey(source, ["email", key]);
      return n ? `line ${n}: ` : "";
    };
    const handler = email.handler === null ? undefined : scripts.find((s) => s.name === email.handler);
    if (email.handler !== null && !handler)
      problems.push(`${line("handler")}email.handler: there is no script named "${email.handler}"`);
    else if (handler?.kind === "module")
      problems.push(`${line("handler")}email.handler: "${email.handler}" is a module; name a handler script`);
    const twice = (list: string[]) => list.find((x, i) => list.indexOf(x) !== i);
    const a = twice(email.addresses);
    if (a) problems.push(`${line("addresses")}email.addresses: ${a} is listed twice`);
    const d = twice(email.domains);
    if (d) problems.push(`${line("domains")}email.domains: ${d} is listed twice`);
    const covered = email.addresses.find((x) => email.domains.includes(x.slice(x.lastIndexOf("@") + 1)));
    if (covered)
      problems.push(
        `${line("addresses")}email.addresses: ${covered} is inside one of email.domains already; list one or the other`,
      );
  }
  let selected: v.InferOutput<typeof envSchema> = {};
  if (opts.env !== undefined) {
    const found = parsed.env[opts.env];
    if (!found) {
      const known = Object.keys(parsed.env);
      problems.push(
        `there is no [env.${opts.env}] section (${known.length ? `defined: ${known.join(", ")}` : "none is defined"})`,
      );
    } else selected = found;
  }
  if (problems.length > 0) throw new ProjectError(file, problems);
  return {
    file,
    dir,
    name: selected.name ?? parsed.name,
    env: opts.env ?? null,
    compatibilityDate: selected.compatibility_date ?? parsed.compatibility_date ?? null,
    vars: { ...parsed.vars, ...selected.vars },
    scripts,
    topics: parsed.topics,
    email,
    users: parsed.users ?? null,
  };
}

/** Reads and parses a picloud.toml file. */
export function loadProject(file: string, opts: { env?: string } = {}): Project {
  let source: string;
  try {
    source = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ProjectError(path.resolve(file), [
      code === "ENOENT" ? "file not found" : `cannot read it (${code ?? String(err)})`,
    ]);
  }
  return parseProject(source, { file, env: opts.env });
}

/** The app slug a picloud.toml names, or null when there is no file or no usable name (for `--app` defaults). */
export function projectAppName(file: string): string | null {
  try {
    const raw = parseToml(readFileSync(file, "utf8")) as { name?: unknown };
    return typeof raw.name === "string" && SLUG_RE.test(raw.name) ? raw.name : null;
  } catch {
    return null;
  }
}
