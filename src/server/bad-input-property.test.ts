/**
 * A property of the whole admin API: no input makes it answer 5xx, and a
 * refused request (4xx) changes nothing. The routes come from the Hono route
 * table itself, so a new POST/PUT/PATCH route is covered without editing this
 * file (it only needs a fixture value for a new kind of path parameter, and
 * gets a sample body here to be mutated field by field).
 */
import { describe, expect, it } from "vitest";
import { type Fixture, seedFixture } from "../testing/bad-input-fixture.js";
import { testDbKinds } from "../testing/database.js";
import { snapshotTables } from "../testing/db-snapshot.js";
import { type Harness, useHarness } from "../testing/harness.js";

const PREFIX = "/api/v1/admin";
const WRITES = new Set(["POST", "PUT", "PATCH"]);
const SOURCE = "export default { fetch() { return new Response('ok') }, trigger() {} }";
/** JSON cannot spell 2^53+1 from JS; this marker is swapped for the literal in the body text. */
const BIG = "\u0001big";

/** A valid (or nearly valid) body per route, the starting point of the field mutations. */
const SAMPLES: Record<string, unknown> = {
  "POST /auth/login": { email: "owner@example.com", password: "not the password" },
  "POST /auth/setup": { token: "nope", email: "first@example.com", password: "long enough password" },
  "POST /users": { email: "new@example.com", password: "long enough password", role: "member" },
  "PATCH /users/:id": { role: "member", active: true },
  "POST /api-keys": { name: "k2", scopes: ["app:read"], app: "x", expiresInDays: 30 },
  "POST /apps": { name: "Blog", slug: "blog" },
  "PATCH /apps/:app": { name: "X", vars: { A: "1" } },
  "POST /apps/:app/domains": { hostname: "y.example.com" },
  "PUT /apps/:app/fetch-allowlist": { allow: ["api.example.com"] },
  "POST /apps/:app/members": { email: "nobody@example.com", role: "viewer" },
  "PATCH /apps/:app/members/:userId": { role: "editor" },
  "POST /apps/:app/scripts": {
    name: "t",
    source: SOURCE,
    isolation: "none",
    limits: { timeMs: 100, memoryMb: 16 },
  },
  "POST /apps/:app/scripts/:script/versions": { source: SOURCE },
  "POST /apps/:app/scripts/:script/rollback": { version: 1 },
  "PATCH /apps/:app/scripts/:script": { isolation: "none", limits: { timeMs: 100, memoryMb: 16 } },
  "POST /apps/:app/routes": { script: "s", path: "/t", methods: ["GET"], dispatch: "sync" },
  "PATCH /apps/:app/routes/:id": { path: "/u", methods: ["POST"] },
  "POST /apps/:app/deploy": {
    dryRun: true,
    vars: { A: "1" },
    scripts: [
      {
        name: "s",
        source: SOURCE,
        limits: { timeMs: 100 },
        routes: [{ path: "/s" }],
        triggers: [{ kind: "kv", config: { collection: "orders" }, retry: { maxAttempts: 2 } }],
      },
    ],
    topics: [{ name: "news" }],
  },
  "POST /apps/:app/scripts/:script/invoke": {
    entry: "fetch",
    request: { method: "GET", path: "/", headers: { a: "b" }, body: "x" },
  },
  "POST /scripts/:id/invoke": { entry: "fetch", request: { method: "GET", path: "/" } },
  "POST /apps/:app/triggers": {
    script: "s",
    kind: "kv",
    config: { collection: "orders" },
    retry: { maxAttempts: 2, delayMs: 10 },
  },
  "PATCH /apps/:app/triggers/:id": { enabled: false, config: { collection: "o*" } },
  "POST /apps/:app/dead-letters/:id/resolve": { resolution: "ignored", reason: "dup" },
  "PUT /apps/:app/topics/:topic": { external: true },
  "PUT /apps/:app/secrets/:name": { value: "s3cret" },
  "PUT /apps/:app/kv/:collection/:key": { value: { n: 1, tags: ["a"] }, ttl: 60 },
  "POST /apps/:app/docs/:collection": { data: { title: "t", n: 1 } },
  "PUT /apps/:app/docs/:collection/:id": { data: { title: "u" }, mode: "merge" },
  "POST /apps/:app/docs/:collection/find": { filter: { n: { $gt: 0 } }, sort: { n: -1 }, limit: 5 },
};

/** The fixture's value for a path parameter, by its name or the segment before it. */
function paramValue(f: Fixture, name: string, before: string): string {
  const byName: Record<string, string> = {
    app: f.ids.app,
    script: f.ids.script,
    version: f.ids.version,
    topic: f.ids.topic,
    name: "API_KEY",
    userId: f.ids.member,
    domain: f.ids.domain,
    "*": f.ids.file,
    collection: "orders",
    key: "k1",
  };
  const byCollection: Record<string, string> = {
    routes: f.ids.route,
    triggers: f.ids.trigger,
    "dead-letters": f.ids.deadLetter,
    users: f.ids.user,
    "api-keys": f.ids.apiKey,
    scripts: f.ids.scriptId,
  };
  // A document id (after a kv/docs collection name): any UUID; a missing document is a 404.
  const value =
    name === "id" && before === ":collection"
      ? "01900000-0000-7000-8000-000000000000"
      : name === "id"
        ? byCollection[before]
        : byName[name];
  if (value === undefined) throw new Error(`no fixture value for path parameter ${name} after ${before}`);
  return encodeURIComponent(value);
}

interface Route {
  method: string;
  /** The template without the /api/v1/admin prefix and regex parts: `/apps/:app/topics/:topic`. */
  template: string;
}

/** The admin API's write routes, from the app's own route table. */
function writeRoutes(h: Harness): Route[] {
  const seen = new Map<string, Route>();
  for (const r of h.http.routes) {
    if (!WRITES.has(r.method) || !r.path.startsWith(`${PREFIX}/`)) continue;
    const template = r.path.slice(PREFIX.length).replace(/\{[^}]*\}/g, "");
    seen.set(`${r.method} ${template}`, { method: r.method, template });
  }
  return [...seen.values()];
}

/** The template's parameters replaced: by the fixture, or at one position by `bad`. */
function fillPath(template: string, f: Fixture, bad?: { index: number; value: string }): string {
  const parts = template.split("/");
  let n = 0;
  return parts
    .map((part, i) => {
      if (!part.startsWith(":") && part !== "*") return part;
      const value = bad && bad.index === n ? bad.value : paramValue(f, part.replace(/^:/, ""), parts[i - 1]!);
      n++;
      return value;
    })
    .join("/");
}

const paramCount = (template: string) =>
  template.split("/").filter((p) => p.startsWith(":") || p === "*").length;

/** Every path to a value in `sample` (object keys and array indexes). */
function valuePaths(sample: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (sample === null || typeof sample !== "object") return [];
  const entries = Array.isArray(sample) ? sample.map((v, i) => [i, v] as const) : Object.entries(sample);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...valuePaths(v, [...prefix, k])]);
}

function withValue(sample: unknown, path: (string | number)[], value: unknown, remove = false): unknown {
  const copy = structuredClone(sample) as Record<string | number, unknown>;
  let at = copy;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (remove) {
    if (Array.isArray(at)) at.splice(Number(last), 1);
    else delete at[last];
  } else at[last] = value;
  return copy;
}

const REPLACEMENTS: [string, unknown][] = [
  ["NUL", "a\u0000b"],
  ["a lone surrogate", "\ud800"],
  ["a 1 MB string", "x".repeat(1_000_000)],
  ["1e308", 1e308],
  ["-1e308", -1e308],
  ["2^53+1", BIG],
  ["2^31", 2 ** 31],
  ["-1", -1],
  ["1.5", 1.5],
  ["true", true],
  ["null", null],
  ["an array", []],
  ["an object", {}],
];

const text = (body: unknown) => JSON.stringify(body).replaceAll(JSON.stringify(BIG), "9007199254740993");

/** [label, body text, content type] for one route. */
function mutations(sample: unknown): [string, string, string][] {
  const json = "application/json";
  const out: [string, string, string][] = [
    ["malformed JSON", '{"a":', json],
    ["not JSON", "a=b", "text/plain"],
    ["an array body", "[]", json],
    ["a string body", '"x"', json],
    ["a null body", "null", json],
    ["a huge number body", "1e308", json],
    ["an empty object", "{}", json],
    ["a NUL key", '{"a\\u0000":1}', json],
    ["a lone surrogate key", '{"\\ud800":1}', json],
  ];
  if (sample === undefined) return out;
  out.push(["an extra field", text({ ...(sample as object), extra: 1 }), json]);
  for (const path of valuePaths(sample)) {
    const at = path.join(".");
    out.push([`${at} missing`, text(withValue(sample, path, undefined, true)), json]);
    for (const [label, value] of REPLACEMENTS)
      out.push([`${at} = ${label}`, text(withValue(sample, path, value)), json]);
  }
  return out;
}

describe.each(testDbKinds())("no admin write route answers 5xx or half-writes on bad input [%s]", (kind) => {
  const h = useHarness(kind);

  it("holds for every POST/PUT/PATCH route in the route table", { timeout: 120_000 }, async () => {
    const routes = writeRoutes(h);
    // The table is really read: these must be among what it lists (and the samples must match it).
    expect(routes.length).toBeGreaterThan(20);
    const keys = new Set(routes.map((r) => `${r.method} ${r.template}`));
    for (const key of Object.keys(SAMPLES))
      expect(keys, `sample for a route that is gone: ${key}`).toContain(key);

    const problems: string[] = [];
    let requests = 0;
    for (const route of routes) {
      await h.testDb.reset();
      const f = await seedFixture(h);
      const sample = SAMPLES[`${route.method} ${route.template}`];
      const tries: { label: string; path: string; body: string; type: string }[] = mutations(sample).map(
        ([label, body, type]) => ({ label, path: fillPath(route.template, f), body, type }),
      );
      for (let index = 0; index < paramCount(route.template); index++) {
        for (const bad of [
          "a%00b",
          "%ED%A0%80",
          "a%00b%FF",
          "%ED%A0%80x%00",
          "99999999999999999999",
          "x".repeat(2000),
        ]) {
          tries.push({
            label: `path parameter ${index + 1} = ${bad.slice(0, 20)}`,
            path: fillPath(route.template, f, { index, value: bad }),
            body: sample === undefined ? "{}" : text(sample),
            type: "application/json",
          });
        }
      }
      await h.services.recorder.flush();
      let current = await snapshotTables(h.services.database);
      for (const t of tries) {
        requests++;
        const res = await f.owner.request(route.method, t.path, t.body, { "content-type": t.type });
        const where = `${route.method} ${route.template} with ${t.label}`;
        if (res.status >= 500)
          problems.push(`${where} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        await h.services.recorder.flush();
        const after = await snapshotTables(h.services.database);
        if (res.status >= 400) {
          const changed = Object.keys(after).filter((table) => after[table] !== current[table]);
          if (changed.length > 0) problems.push(`${where} → ${res.status} but changed ${changed.join(", ")}`);
          if (typeof res.body?.error?.message !== "string")
            problems.push(`${where} → ${res.status} without a message`);
        }
        current = after;
      }
    }
    expect(problems).toEqual([]);
    expect(requests).toBeGreaterThan(500);
  });
});
