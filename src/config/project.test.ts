import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadProject, ProjectError, parseProject, projectAppName } from "./project.js";
import { parseRouteString } from "./project-routes.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "picloud-project-"));
mkdirSync(path.join(dir, "src"));
for (const f of ["api.ts", "digest.ts", "text.ts"])
  writeFileSync(path.join(dir, "src", f), "export default {}\n");
const file = path.join(dir, "picloud.toml");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const parse = (source: string, env?: string) => parseProject(source, { file, env });

/** The problems a broken file reports. */
function problems(source: string, env?: string): string[] {
  try {
    parse(source, env);
  } catch (err) {
    if (err instanceof ProjectError) return err.problems;
    throw err;
  }
  throw new Error("expected the file to be refused");
}

const SPEC_EXAMPLE = `
name = "blog"                      # app slug
compatibility_date = "2026-11-01"
[vars]
SITE_TITLE = "My blog"
[[scripts]]
name = "api"
main = "src/api.ts"
routes = ["GET /posts", "POST /posts", "/posts/:id"]
[[scripts]]
name = "digest"
main = "src/digest.ts"
crons = ["0 7 * * *"]
triggers = [{ kind = "docs", collection = "posts", ops = ["insert"] }]
[[topics]]
name = "comments"
auth = "token"
[env.production]                   # overrides, as wrangler environments
vars = { SITE_TITLE = "Blog" }
`;

describe("picloud.toml: valid files", () => {
  it("reads the SPEC example: scripts, routes, vars, crons, triggers and topics", () => {
    const p = parse(SPEC_EXAMPLE);
    expect(p.name).toBe("blog");
    expect(p.dir).toBe(dir);
    expect(p.compatibilityDate).toBe("2026-11-01");
    expect(p.vars).toEqual({ SITE_TITLE: "My blog" });
    expect(p.scripts.map((s) => [s.name, s.kind, s.isolation, path.relative(dir, s.main)])).toEqual([
      ["api", "handler", "none", "src/api.ts"],
      ["digest", "handler", "none", "src/digest.ts"],
    ]);
    expect(p.scripts[0]!.routes).toEqual([
      { methods: ["GET"], path: "/posts", host: null, dispatch: "sync" },
      { methods: ["POST"], path: "/posts", host: null, dispatch: "sync" },
      { methods: [], path: "/posts/:id", host: null, dispatch: "sync" },
    ]);
    expect(p.scripts[1]!.crons).toEqual([
      { schedule: "0 7 * * *", timezone: null, catchup: null, retry: {} },
    ]);
    expect(p.scripts[1]!.triggers).toEqual([{ kind: "docs", collection: "posts", ops: ["insert"] }]);
    expect(p.topics).toEqual([{ name: "comments", auth: "token", external: false }]);
  });

  it("applies [env.<name>]: vars merge over the top level, name overrides", () => {
    const source = `${SPEC_EXAMPLE}\nname = "blog-prod"\n[env.staging]\nvars = { EXTRA = "1" }\n`;
    const prod = parse(source, "production");
    expect(prod.name).toBe("blog-prod");
    expect(prod.env).toBe("production");
    expect(prod.vars).toEqual({ SITE_TITLE: "Blog" });
    const staging = parse(source, "staging");
    expect(staging.name).toBe("blog");
    expect(staging.vars).toEqual({ SITE_TITLE: "My blog", EXTRA: "1" });
    expect(parse(source).vars).toEqual({ SITE_TITLE: "My blog" });
  });

  it("reads route tables, limits, modules, isolation, typed vars and a TOML date", () => {
    const p = parse(`
name = "shop"
compatibility_date = 2026-11-01
[vars]
PAGE_SIZE = 20
DEBUG = false
[[scripts]]
name = "api"
main = "./src/api.ts"
isolation = "script"
limits = { time_ms = 2000, memory_mb = 32 }
routes = [
  { route = "POST /jobs", dispatch = "async", host = "API.example.com" },
  { route = "/api/*" },
  "get,post /items",
  "* /any",
]
crons = [{ schedule = "*/5 * * * *", timezone = "Europe/Paris" }, { schedule = "*/10 * * * * *", catchup = "skip", max_attempts = 2, backoff = "constant", delay_ms = 500 }]
[[scripts]]
name = "lib/text"
main = "src/text.ts"
kind = "module"
`);
    expect(p.compatibilityDate).toBe("2026-11-01");
    expect(p.vars).toEqual({ PAGE_SIZE: "20", DEBUG: "false" });
    const api = p.scripts[0]!;
    expect(api.isolation).toBe("script");
    expect(api.limits).toEqual({ timeMs: 2000, memoryMb: 32 });
    expect(api.routes).toEqual([
      { methods: ["POST"], path: "/jobs", host: "api.example.com", dispatch: "async" },
      { methods: [], path: "/api/*", host: null, dispatch: "sync" },
      { methods: ["GET", "POST"], path: "/items", host: null, dispatch: "sync" },
      { methods: [], path: "/any", host: null, dispatch: "sync" },
    ]);
    expect(api.crons).toEqual([
      { schedule: "*/5 * * * *", timezone: "Europe/Paris", catchup: null, retry: {} },
      {
        schedule: "*/10 * * * * *",
        timezone: null,
        catchup: "skip",
        retry: { max_attempts: 2, backoff: "constant", delay_ms: 500 },
      },
    ]);
    expect(p.scripts[1]).toMatchObject({ name: "lib/text", kind: "module", routes: [], limits: {} });
  });

  it("needs only a name; everything else has a default", () => {
    expect(parse('name = "empty"')).toMatchObject({
      name: "empty",
      env: null,
      compatibilityDate: null,
      vars: {},
      scripts: [],
      topics: [],
      email: null,
    });
  });

  it("reads [email] senders: addresses and domains, lower-cased", () => {
    const p = parse('name = "a"\n[email]\nsenders = ["NoReply@Blog.example.com", "example.org"]');
    expect(p.email).toEqual({
      senders: ["noreply@blog.example.com", "example.org"],
      addresses: [],
      domains: [],
      handler: null,
    });
  });

  it("loads from disk and tells the app name for --app defaults", () => {
    writeFileSync(file, SPEC_EXAMPLE);
    expect(loadProject(file).name).toBe("blog");
    expect(projectAppName(file)).toBe("blog");
    expect(projectAppName(path.join(dir, "missing.toml"))).toBeNull();
  });
});

describe("picloud.toml: every error names the key and line", () => {
  const cases: [string, string, string[]][] = [
    ["missing name", 'compatibility_date = "2026-11-01"', ["name is missing"]],
    [
      "a name that is not a slug",
      'name = "My Blog"',
      ["line 1: name must be an app slug: 1-63 characters of a-z, 0-9 and '-' (not at either end)"],
    ],
    ["an unknown top-level key", 'name = "a"\nmian = "x"', ['line 2: mian: unknown key "mian"']],
    ["an unknown table", 'name = "a"\n[build]\ncommand = "x"', ['line 2: build: unknown key "build"']],
    [
      "a bad compatibility_date",
      'name = "a"\ncompatibility_date = "soon"',
      ["line 2: compatibility_date must be a date like 2026-11-01"],
    ],
    [
      "a var that is a table",
      'name = "a"\n[vars]\nA = "x"\nB = { c = 1 }',
      ["line 4: vars.B: vars values must be strings, numbers or booleans"],
    ],
    [
      "a var name that is not an identifier",
      'name = "a"\n[vars]\n"my-var" = "x"',
      ["line 3: vars.my-var: var names must be identifiers like SITE_TITLE"],
    ],
    [
      "a script without main",
      'name = "a"\n[[scripts]]\nname = "api"',
      ["line 2: scripts[0].main is missing"],
    ],
    [
      "a main file that does not exist",
      'name = "a"\n[[scripts]]\nname = "api"\nmain = "src/nope.ts"',
      ["line 4: scripts[0].main: src/nope.ts does not exist (next to picloud.toml)"],
    ],
    [
      "an unknown script key",
      'name = "a"\n[[scripts]]\nname = "api"\nmain = "src/api.ts"\nroute = "GET /"',
      ['line 5: scripts[0].route: unknown key "route"'],
    ],
    [
      "a bad script name",
      'name = "a"\n[[scripts]]\nname = "API!"\nmain = "src/api.ts"',
      [
        "line 3: scripts[0].name must be lower-case letters, digits, '-' and '_', optionally in '/'-separated parts (lib/text)",
      ],
    ],
    [
      "a bad kind",
      'name = "a"\n[[scripts]]\nname = "api"\nmain = "src/api.ts"\nkind = "worker"',
      ["line 5: scripts[0].kind must be handler or module"],
    ],
    [
      "a bad isolation",
      'name = "a"\n[[scripts]]\nname = "api"\nmain = "src/api.ts"\nisolation = "process"',
      ["line 5: scripts[0].isolation must be none or script"],
    ],
    [
      "limits out of range and unknown",
      'name = "a"\n[[scripts]]\nname = "api"\nmain = "src/api.ts"\nlimits = { time_ms = 5, cpu = 1 }',
      ["line 5: scripts[0].limits.time_ms must be ≥ 10", 'line 5: scripts[0].limits.cpu: unknown key "cpu"'],
    ],
    [
      "a module with routes",
      'name = "a"\n[[scripts]]\nname = "lib"\nmain = "src/text.ts"\nkind = "module"\nroutes = ["/x"]',
      ["line 2: scripts[0]: a module has no routes, crons or triggers: only handlers are run"],
    ],
    [
      "the same script twice",
      'name = "a"\n[[scripts]]\nname = "api"\nmain = "src/api.ts"\n[[scripts]]\nname = "api"\nmain = "src/api.ts"',
      ['scripts: script name "api" appears twice: each script name may appear once'],
    ],
    [
      "routes that is not an array",
      'name = "a"\n[[scripts]]\nname = "api"\nmain = "src/api.ts"\nroutes = "GET /"',
      ["line 5: scripts[0].routes must be an array"],
    ],
    [
      "a route that is neither string nor table",
      'name = "a"\n[[scripts]]\nname = "api"\nmain = "src/api.ts"\nroutes = [3]',
      [
        'line 5: scripts[0].routes[0]: a route must be a string like "GET /posts" or a table like { route = "POST /jobs", dispatch = "async" }',
      ],
    ],
    [
      "an unknown method",
      'name = "a"\n[[scripts]]\nname = "api"\nmain = "src/api.ts"\nroutes = ["FETCH /x"]',
      [
        'line 5: scripts[0].routes[0]: route "FETCH /x": unknown method "FETCH" (use GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, or none for any method)',
      ],
    ],
    [
      "a route table with a bad dispatch, host and an unknown key",
      'name = "a"\n[[scripts]]\nname = "api"\nmain = "src/api.ts"\nroutes = [\n  { route = "/a", dispatch = "later" },\n  { route = "/b", host = "http://x" },\n  { route = "/c", priority = 1 },\n]',
      [
        'line 5: scripts[0].routes[0].dispatch must be "sync" or "async"',
        "line 5: scripts[0].routes[1]: hostname must be a DNS name like blog.example.com or *.example.com (no scheme, port or path)",
        'line 5: scripts[0].routes[2].priority: unknown key "priority"',
      ],
    ],
    [
      "a bad cron and timezone",
      'name = "a"\n[[scripts]]\nname = "api"\nmain = "src/api.ts"\ncrons = ["61 * * * *", { schedule = "0 7 * * *", timezone = "Mars/Olympus" }]',
      [
        'line 5: scripts[0].crons[0]: cron "61 * * * *" is invalid: Invalid value for minute: 61',
        'line 5: scripts[0].crons[1]: timezone "Mars/Olympus" is not a known IANA time zone',
      ],
    ],
    [
      "a cron of 7 fields and an unknown catch-up policy",
      'name = "a"\n[[scripts]]\nname = "api"\nmain = "src/api.ts"\ncrons = ["0 0 7 * * * 2030", { schedule = "0 7 * * *", catchup = "all", max_attempts = 0, delay_ms = 90000000 }]',
      [
        "line 5: scripts[0].crons[0]: cron \"0 0 7 * * * 2030\" is invalid: mode '5-or-6-parts' requires exactly 5 or 6 parts, but pattern '0 0 7 * * * 2030' has 7 parts.",
        "line 5: scripts[0].crons[1].catchup must be one of once, skip",
        "line 5: scripts[0].crons[1].max_attempts must be at least 1",
        "line 5: scripts[0].crons[1].delay_ms must be at most a day (86400000)",
      ],
    ],
    [
      "a trigger of an unknown kind, and one missing its collection",
      'name = "a"\n[[scripts]]\nname = "api"\nmain = "src/api.ts"\ntriggers = [{ kind = "cron" }, { kind = "kv", ops = ["upsert"] }]',
      [
        "line 5: scripts[0].triggers[0].kind must be one of kv, docs, files, pubsub, email, dead_letter, users (crons go in `crons`)",
        "line 5: scripts[0].triggers[1].collection is missing",
        "line 5: scripts[0].triggers[1].ops[0]: ops must be among insert, update, delete",
      ],
    ],
    [
      "a topic with a bad auth and an unknown key",
      'name = "a"\n[[topics]]\nname = "chat"\nauth = "open"\npublic = true',
      [
        "line 4: topics[0].auth must be public, token or session",
        'line 5: topics[0].public: unknown key "public"',
      ],
    ],
    [
      "a sender that is neither an address nor a domain, and an unknown [email] key",
      'name = "a"\n[email]\nsenders = ["blog", "x@y@z.com"]\nrelay = "smtp://x"',
      [
        "line 3: email.senders[0]: each sender must be an address (noreply@example.com) or a domain (example.com)",
        "line 3: email.senders[1]: each sender must be an address (noreply@example.com) or a domain (example.com)",
        'line 4: email.relay: unknown key "relay"',
      ],
    ],
    [
      "an environment with an unknown key",
      'name = "a"\n[env.production]\nname = "a-prod"\nroutes = []',
      ['line 4: env.production.routes: unknown key "routes"'],
    ],
  ];

  it.each(cases)("%s", (_what, source, expected) => {
    expect(problems(source)).toEqual(expected);
  });

  it("reports TOML syntax errors with line and column", () => {
    expect(problems('name = "a"\n[[scripts]]\nname = "api\n')).toEqual([
      expect.stringMatching(/^line 3, column \d+: invalid TOML: /),
    ]);
  });

  it("names the environment that does not exist, and those that do", () => {
    expect(problems(SPEC_EXAMPLE, "staging")).toEqual([
      "there is no [env.staging] section (defined: production)",
    ]);
    expect(problems('name = "a"', "production")).toEqual([
      "there is no [env.production] section (none is defined)",
    ]);
  });

  it("says so when the file is missing, with its path", () => {
    const missing = path.join(dir, "nope", "picloud.toml");
    expect(() => loadProject(missing)).toThrow(`${missing}: file not found`);
  });

  it("lists several problems at once, in line order", () => {
    const err = (() => {
      try {
        parse('name = "A"\nextra = 1\n[[scripts]]\nname = "api"\nmain = "src/api.ts"\nkind = "x"');
      } catch (e) {
        return e as ProjectError;
      }
    })();
    expect(err?.message).toBe(
      `${file} has 3 problems:\n` +
        "  - line 1: name must be an app slug: 1-63 characters of a-z, 0-9 and '-' (not at either end)\n" +
        '  - line 2: extra: unknown key "extra"\n' +
        "  - line 6: scripts[0].kind must be handler or module",
    );
  });
});

describe("route strings", () => {
  it.each([
    ["/posts", { methods: [], path: "/posts" }],
    ["GET /posts", { methods: ["GET"], path: "/posts" }],
    ["post,get /posts/:id", { methods: ["GET", "POST"], path: "/posts/:id" }],
    ["GET,GET /x", { methods: ["GET"], path: "/x" }],
    ["* /api/*", { methods: [], path: "/api/*" }],
    ["  DELETE   /a/b/  ", { methods: ["DELETE"], path: "/a/b/" }],
  ])("%j", (input, expected) => {
    expect(parseRouteString(input)).toEqual(expected);
  });

  it.each([
    ["", "route must not be empty"],
    [
      "GET, POST /x",
      'route "GET, POST /x" must be "[METHOD[,METHOD]] path" (methods separated by commas, no spaces)',
    ],
    ["GET posts", 'route "GET posts": path must start with /'],
    [
      "CONNECT /x",
      'route "CONNECT /x": unknown method "CONNECT" (use GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, or none for any method)',
    ],
    ["/a/*/b", 'route "/a/*/b": path may have * only as its last segment (/api/*)'],
    ["/a/:id/:id", 'route "/a/:id/:id": path uses the same :param twice'],
  ])("refuses %j", (input, message) => {
    expect(parseRouteString(input)).toBe(message);
  });
});

describe("[email]", () => {
  const base = `name = "blog"\n[[scripts]]\nname = "api"\nmain = "src/api.ts"\n`;
  it("reads addresses, domains and the handler, lower-cased", () => {
    const p = parse(
      `${base}[email]\naddresses = ["Support@Blog.Example.com"]\ndomains = ["mail.example.com"]\nhandler = "api"\n`,
    );
    expect(p.email).toEqual({
      addresses: ["support@blog.example.com"],
      domains: ["mail.example.com"],
      handler: "api",
      senders: [],
    });
    expect(parse(base).email).toBeNull();
  });
  it.each([
    [
      `[email]\naddresses = ["not an address"]`,
      /line 6: email\.addresses\[0\]: addresses: "not an address" is not an e-mail address/,
    ],
    [`[email]\ndomains = ["localhost"]`, /email\.domains\[0\]: domains: "localhost" is not a domain/],
    [`[email]\nhandler = "nope"`, /line 6: email\.handler: there is no script named "nope"/],
    [`[email]\naddresses = ["a@x.example", "A@x.example"]`, /email\.addresses: a@x\.example is listed twice/],
    [
      `[email]\naddresses = ["a@x.example"]\ndomains = ["x.example"]`,
      /email\.addresses: a@x\.example is inside one of email\.domains/,
    ],
    [`[email]\nmailboxes = []`, /email\.mailboxes: unknown key|unknown key "mailboxes"/],
  ])("refuses %j naming the field", (section, message) => {
    expect(problems(`${base}${section}\n`).join("\n")).toMatch(message);
  });
});
