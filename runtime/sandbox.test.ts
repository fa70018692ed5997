import { afterAll, describe, expect, it } from "vitest";
import { createSandboxHost } from "./index.js";
import { fetchJob, request, run, runFetch, TEST_LIMITS } from "./testing/jobs.js";

const errors: unknown[] = [];
const host = createSandboxHost({
  maxConcurrent: 4,
  logger: { warn: () => {}, error: (o) => errors.push(o) },
});
afterAll(() => host.dispose());

describe("entry points", () => {
  it("fetch: the handler gets a Request and its Response becomes the HostResponse", async () => {
    const r = await runFetch(
      host,
      `export default { async fetch(request, env, ctx) {
        const body = await request.text();
        return new Response(request.method + " " + request.url + " " + body + " " + request.headers.get("x-test"), {
          status: 201, statusText: "Made", headers: { "x-out": "1" } });
      } }`,
      {
        input: {
          request: request("https://app.example/p?q=1", {
            method: "POST",
            headers: [["X-Test", "yes"]],
            body: new TextEncoder().encode("payload"),
          }),
        },
      },
    );
    expect(r.outcome.status).toBe("ok");
    expect(r.status).toBe(201);
    expect(r.outcome.status === "ok" && r.outcome.response?.statusText).toBe("Made");
    expect(r.text).toBe("POST https://app.example/p?q=1 payload yes");
    expect(r.header("x-out")).toBe("1");
    expect(r.header("content-type")).toBe("text/plain;charset=UTF-8");
  });

  it("fetch: a response without a body (204) has an empty body", async () => {
    const r = await runFetch(
      host,
      `export default { fetch() { return new Response(null, { status: 204, headers: { "x-n": "1" } }) } }`,
    );
    expect(r.outcome).toEqual({
      status: "ok",
      response: { status: 204, statusText: "", headers: [["x-n", "1"]], body: new Uint8Array(0) },
    });
  });

  it("scheduled: gets controller.cron/scheduledTime and may return a JSON value", async () => {
    const r = await run(host, {
      ...fetchJob(
        `export default { async scheduled(controller, env, ctx) { return { cron: controller.cron, t: controller.scheduledTime, type: controller.type } } }`,
      ),
      entry: "scheduled",
      input: { controller: { cron: "*/5 * * * *", scheduledTime: 1700000000000 } },
    });
    expect(r.outcome).toEqual({
      status: "ok",
      value: { cron: "*/5 * * * *", t: 1700000000000, type: "scheduled" },
    });
  });

  it("trigger and email: the event arrives as data, bytes included", async () => {
    const source = `export default {
      trigger(event) { return { kind: event.kind, bytes: Array.from(event.raw), isBytes: event.raw instanceof Uint8Array } },
      email(message) { return message.from + " → " + message.to.join(",") } }`;
    const t = await run(host, {
      ...fetchJob(source),
      entry: "trigger",
      input: { event: { kind: "kv.put", raw: new Uint8Array([0, 255, 7]) } },
    });
    expect(t.outcome).toEqual({ status: "ok", value: { kind: "kv.put", bytes: [0, 255, 7], isBytes: true } });
    const e = await run(host, {
      ...fetchJob(source),
      entry: "email",
      input: { message: { from: "a@x", to: ["b@y", "c@z"] } },
    });
    expect(e.outcome).toEqual({ status: "ok", value: "a@x → b@y,c@z" });
  });

  it("a non-fetch entry that returns nothing is ok without a value", async () => {
    const r = await run(host, {
      ...fetchJob(`export default { async trigger() {} }`),
      entry: "trigger",
      input: { event: null },
    });
    expect(r.outcome).toEqual({ status: "ok" });
  });

  it("a missing entry point is an error naming it", async () => {
    const r = await runFetch(host, `export default { scheduled() {} }`);
    expect(r.outcome.status).toBe("error");
    expect(r.outcome.status === "error" && r.outcome.error.message).toMatch(/no fetch\(\) entry point/);
    const none = await runFetch(host, `export const x = 1;`);
    expect(none.outcome.status).toBe("error");
  });
});

describe("env and ctx", () => {
  it("exposes vars as strings and ctx ids, depth and params", async () => {
    const r = await runFetch(
      host,
      `export default { fetch(req, env, ctx) {
        return Response.json({ v: env.GREETING, keys: Object.keys(env), id: ctx.executionId, root: ctx.rootExecutionId,
          depth: ctx.depth, params: ctx.params, wait: typeof ctx.waitUntil });
      } }`,
      {
        executionId: "e-1",
        rootExecutionId: "r-1",
        depth: 2,
        vars: { GREETING: "hello", OTHER: "x" },
        params: { id: "42" },
      },
    );
    expect(JSON.parse(r.text)).toEqual({
      v: "hello",
      keys: ["GREETING", "OTHER"],
      id: "e-1",
      root: "r-1",
      depth: 2,
      params: { id: "42" },
      wait: "function",
    });
  });

  it("delivers the result before waitUntil work ends, and finishes after it", async () => {
    const permit = await host.gate.acquire();
    const running = host.start(
      fetchJob(`export default { fetch(req, env, ctx) {
        ctx.waitUntil(new Promise((resolve) => setTimeout(() => { console.log("late work done"); resolve(); }, 150)));
        return new Response("early");
      } }`),
      permit,
    );
    let finishedYet = false;
    running.finished.then(() => {
      finishedYet = true;
    });
    const outcome = await running.result;
    expect(outcome.status).toBe("ok");
    expect(finishedYet).toBe(false);
    const finished = await running.finished;
    expect(finished.logs.map((l) => l.message)).toEqual(["late work done"]);
    expect(finished.late).toBeUndefined();
    expect(permit.released).toBe(true);
  });

  it("records a waitUntil rejection after an ok response as a late error", async () => {
    const r = await runFetch(
      host,
      `export default { fetch(req, env, ctx) {
        ctx.waitUntil(Promise.reject(new TypeError("background failed")));
        return new Response("ok");
      } }`,
    );
    expect(r.outcome.status).toBe("ok");
    expect(r.finished.outcome.status).toBe("ok");
    expect(r.finished.late).toEqual({ status: "error", message: "TypeError: background failed" });
    expect(r.finished.logs.some((l) => l.level === "error" && l.message.includes("background failed"))).toBe(
      true,
    );
  });

  it("a waitUntil still running at the time limit is a late timeout", async () => {
    const r = await runFetch(
      host,
      `export default { fetch(req, env, ctx) { ctx.waitUntil(new Promise(() => {})); return new Response("ok"); } }`,
      { limits: { ...TEST_LIMITS, wallTimeMs: 150 } },
    );
    expect(r.outcome.status).toBe("ok");
    expect(r.finished.late?.status).toBe("timeout");
  });
});

describe("console", () => {
  it("captures levels and formats values readably", async () => {
    const lines: string[] = [];
    const r = await runFetch(
      host,
      `export default { fetch() {
        console.log("plain", 1, true, null, undefined);
        console.info({ a: 1, nested: { b: [1, 2, { c: "x" }] } });
        console.warn("%s is %d years", "Ada", 36);
        console.error(new TypeError("bad thing"));
        console.debug(new Map([["k", 1]]), new Set([1]), [1, "two"], new Uint8Array([1, 2]));
        class Point { constructor() { this.x = 1 } }
        console.log(new Point(), () => 1, Symbol("s"), 10n);
        return new Response("ok");
      } }`,
      { onLog: (line) => lines.push(`${line.level}:${line.message}`) },
    );
    const logs = r.finished.logs;
    expect(logs.map((l) => l.level)).toEqual(["log", "info", "warn", "error", "debug", "log"]);
    expect(logs[0]!.message).toBe("plain 1 true null undefined");
    // Like Node: objects nested deeper than two levels are abbreviated.
    expect(logs[1]!.message).toBe("{ a: 1, nested: { b: [ 1, 2, [Object] ] } }");
    expect(logs[2]!.message).toBe("Ada is 36 years");
    expect(logs[3]!.message).toMatch(/^TypeError: bad thing/);
    expect(logs[4]!.message).toBe("Map(1) { 'k' => 1 } Set(1) { 1 } [ 1, 'two' ] Uint8Array(2) [ 1, 2 ]");
    expect(logs[5]!.message).toBe("Point { x: 1 } [Function (anonymous)] Symbol(s) 10n");
    expect(lines).toHaveLength(6);
    expect(typeof logs[0]!.at).toBe("number");
  });

  it("bounds log volume by maxLogBytes with one truncation marker", async () => {
    const r = await runFetch(
      host,
      `export default { fetch() { for (let i = 0; i < 1000; i++) console.log("line " + i + " " + "x".repeat(50)); return new Response("ok"); } }`,
      { limits: { ...TEST_LIMITS, maxLogBytes: 1000 } },
    );
    expect(r.outcome.status).toBe("ok");
    expect(r.finished.logsTruncated).toBe(true);
    const bytes = r.finished.logs.slice(0, -1).reduce((n, l) => n + Buffer.byteLength(l.message), 0);
    expect(bytes).toBeLessThanOrEqual(1000);
    expect(r.finished.logs.at(-1)!.message).toMatch(/log truncated/);
    expect(r.finished.logs.filter((l) => l.message.includes("log truncated"))).toHaveLength(1);
  });
});

describe("script modules", () => {
  const modules = {
    "lib/text": `export function slugify(s) { return s.toLowerCase().replace(/[^a-z0-9]+/g, "-") } export { shout } from "./shout";`,
    "lib/shout": `export const shout = (s) => s.toUpperCase() + "!";`,
  };

  it("resolves imports from job.script.modules, relative ones included", async () => {
    const ok = await runFetch(host, "", {
      script: {
        versionId: "m1",
        modules,
        source: `import { slugify, shout } from "lib/text"; export default { fetch() { return new Response(slugify("Hello World") + " " + shout("hi")) } }`,
      },
    });
    expect(ok.text).toBe("hello-world HI!");
  });

  it("an unknown import fails the execution with an error naming the module", async () => {
    const r = await runFetch(host, "", {
      script: {
        versionId: "m2",
        source: `import { x } from "lib/missing"; export default { fetch() { return new Response(x) } }`,
      },
    });
    expect(r.outcome.status).toBe("error");
    expect(r.outcome.status === "error" && r.outcome.error.message).toContain("lib/missing");
  });

  it("supports top-level await", async () => {
    const r = await runFetch(
      host,
      `const value = await new Promise((resolve) => setTimeout(() => resolve("tla"), 5)); export default { fetch() { return new Response(value) } }`,
    );
    expect(r.text).toBe("tla");
  });
});

describe("isolation", () => {
  const counter = `let n = 0; globalThis.seen = (globalThis.seen ?? 0); export default { fetch() { n++; globalThis.seen++; return new Response(n + "/" + globalThis.seen) } }`;

  it("gives every execution a fresh context by default", async () => {
    const a = await runFetch(host, counter);
    const b = await runFetch(host, counter);
    expect([a.text, b.text]).toEqual(["1/1", "1/1"]);
  });

  it('reuses one evaluated context per version with isolation = "script", recycling after recycleAfter', async () => {
    const texts: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await runFetch(host, "", {
        script: { versionId: "iso-1", source: counter, isolation: "script", recycleAfter: 3 },
      });
      texts.push(r.text);
    }
    expect(texts).toEqual(["1/1", "2/2", "3/3", "1/1"]);
  });

  it("never shares a reused context across versions", async () => {
    const a = await runFetch(host, "", {
      script: { versionId: "iso-a", source: counter, isolation: "script" },
    });
    const b = await runFetch(host, "", {
      script: { versionId: "iso-b", source: counter, isolation: "script" },
    });
    const a2 = await runFetch(host, "", {
      script: { versionId: "iso-a", source: counter, isolation: "script" },
    });
    expect([a.text, b.text, a2.text]).toEqual(["1/1", "1/1", "2/2"]);
  });

  it("recycles a reused context after an error", async () => {
    const source = `let n = 0; export default { fetch(req) { n++; if (req.url.endsWith("/fail")) throw new Error("boom"); return new Response(String(n)) } }`;
    const script = { versionId: "iso-err", source, isolation: "script" as const };
    const first = await runFetch(host, "", { script });
    const failed = await runFetch(host, "", {
      script,
      input: { request: request("https://app.example/fail") },
    });
    const after = await runFetch(host, "", { script });
    expect([first.text, failed.outcome.status, after.text]).toEqual(["1", "error", "1"]);
  });

  it("runs concurrent executions of one version in separate contexts", async () => {
    const source = `let busy = false; export default { async fetch() {
      if (busy) return new Response("shared!"); busy = true;
      await new Promise((r) => setTimeout(r, 30)); busy = false; return new Response("alone") } }`;
    const script = { versionId: "iso-conc", source, isolation: "script" as const };
    const results = await Promise.all([1, 2, 3].map(() => runFetch(host, "", { script })));
    expect(results.map((r) => r.text)).toEqual(["alone", "alone", "alone"]);
  });
});

describe("concurrency", () => {
  it("interleaves many executions on one event loop", async () => {
    const source = `export default { async fetch(req) {
      const n = Number(new URL(req.url).searchParams.get("n"));
      await new Promise((r) => setTimeout(r, 20 - n));
      return new Response(String(n * 2));
    } }`;
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, n) =>
        runFetch(host, source, { input: { request: request(`https://a.example/?n=${n}`) } }),
      ),
    );
    expect(results.map((r) => r.text)).toEqual(Array.from({ length: 12 }, (_, n) => String(n * 2)));
    expect(host.gate.inUse).toBe(0);
  });
});
