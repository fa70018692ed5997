/**
 * Hostile and broken scripts through the whole HTTP pipeline: each gets its
 * status and a JSON body with the execution id, and the next request on the
 * same process is served normally.
 */
import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { useHarness } from "../testing/harness.js";

const fetchOf = (body: string) => `export default { async fetch(request, env, ctx) { ${body} } }`;

const CASES: { name: string; source: string; status: number; error: RegExp }[] = [
  {
    name: "an infinite loop",
    source: fetchOf("while (true) {}"),
    status: 504,
    error: /time limit of 2000 ms/,
  },
  {
    name: "a loop inside a promise job",
    source: fetchOf("await Promise.resolve(); for (;;) {}"),
    status: 504,
    error: /time limit/,
  },
  {
    name: "a never-resolving promise",
    source: fetchOf("await new Promise(() => {}); return new Response('x')"),
    status: 504,
    error: /time limit/,
  },
  {
    name: "deep recursion",
    source: fetchOf("const f = (n) => f(n + 1) + 1; return new Response(String(f(0)))"),
    status: 500,
    error: /uncaught exception/,
  },
  {
    name: "a huge allocation",
    source: fetchOf("const keep = []; for (;;) keep.push(new Uint8Array(1 << 20));"),
    status: 507,
    error: /memory limit of 64 MiB/,
  },
  {
    name: "a string past the engine's length limit",
    source: fetchOf("let s = 'x'; for (;;) s += s;"),
    status: 500,
    error: /uncaught/,
  },
  {
    name: "a huge array",
    source: fetchOf("const a = []; for (;;) a.push({ i: a.length, s: 'yyyyyyyy' });"),
    status: 507,
    error: /memory limit/,
  },
  {
    name: "a response over the size limit",
    source: fetchOf("return new Response('z'.repeat(5 * 1024 * 1024))"),
    status: 502,
    error: /invalid response/,
  },
  { name: "throwing a number", source: fetchOf("throw 1"), status: 500, error: /uncaught/ },
  { name: "throwing null", source: fetchOf("throw null"), status: 500, error: /uncaught/ },
  {
    name: "throwing a plain object",
    source: fetchOf("throw { reason: 'x' }"),
    status: 500,
    error: /uncaught/,
  },
  { name: "returning a string", source: fetchOf("return 'hello'"), status: 502, error: /invalid response/ },
  {
    name: "returning nothing",
    source: fetchOf("return undefined"),
    status: 502,
    error: /invalid response|no Response/,
  },
  {
    name: "returning a plain object",
    source: fetchOf("return { status: 200, body: 'x' }"),
    status: 502,
    error: /invalid response/,
  },
  {
    name: "reaching for process",
    source: fetchOf("return new Response(String(process.env.HOME))"),
    status: 500,
    error: /uncaught/,
  },
  {
    name: "reaching for require",
    source: fetchOf("return new Response(String(require('fs')))"),
    status: 500,
    error: /uncaught/,
  },
  {
    name: "the Function constructor trick",
    source: fetchOf(
      "const p = globalThis.constructor.constructor('return typeof process')(); return new Response(p)",
    ),
    status: 200,
    error: /^$/,
  },
  {
    // A literal import("fs") is refused at deploy (no such module); a computed one fails at run time.
    name: "dynamic import of a Node module",
    source: fetchOf("const m = String.fromCharCode(102, 115); await import(m); return new Response('x')"),
    status: 500,
    error: /uncaught/,
  },
  {
    name: "a module with no fetch handler",
    source: "export default { scheduled() {} }",
    status: 500,
    error: /uncaught/,
  },
];

describe.each(testDbKinds())("hostile scripts over HTTP [%s]", (kind) => {
  const h = useHarness(kind);

  it("each gets its status; the process keeps serving", async () => {
    const owner = await h.user("owner");
    const scripts = [
      { name: "healthy", source: fetchOf("return new Response('fine')"), routes: [{ path: "/healthy" }] },
      ...CASES.map((c, i) => ({ name: `bad-${i}`, source: c.source, routes: [{ path: `/bad/${i}` }] })),
    ];
    const deployed = await owner.post("/apps/default/deploy", { scripts });
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(200);

    for (const [i, c] of CASES.entries()) {
      const res = await h.http.request(`http://default.localhost/bad/${i}`);
      expect(res.status, c.name).toBe(c.status);
      if (c.status !== 200) {
        const body = (await res.json()) as { error: string; executionId: string };
        expect(body.error, c.name).toMatch(c.error);
        expect(body.executionId, c.name).toMatch(/^[0-9a-f-]{36}$/);
      } else {
        expect(await res.text(), c.name).toBe("undefined");
      }
      const after = await h.http.request("http://default.localhost/healthy");
      expect(after.status, `after ${c.name}`).toBe(200);
      expect(await after.text()).toBe("fine");
    }
  }, 120_000);

  it("records each failure with its error", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps/default/deploy", {
      scripts: [
        {
          name: "thrower",
          source: fetchOf("console.warn('about to fail'); throw new TypeError('bad thing')"),
          routes: [{ path: "/t" }],
        },
      ],
    });
    const res = await h.http.request("http://default.localhost/t");
    const { executionId } = (await res.json()) as { executionId: string };
    await h.services.recorder.flush();
    const got = await owner.get(`/apps/default/executions/${executionId}`);
    expect(got.status).toBe(200);
    expect(got.body.execution).toMatchObject({
      status: "error",
      httpStatus: 500,
      trigger: "http",
      request: "GET /t",
      scriptName: "thrower",
      error: { name: "TypeError", message: "bad thing" },
    });
    expect(got.body.execution.logs).toEqual([
      expect.objectContaining({ level: "warn", message: "about to fail" }),
    ]);
  });
});
