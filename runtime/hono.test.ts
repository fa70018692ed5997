/**
 * An unmodified Hono app, bundled by esbuild the way the CLI bundles scripts,
 * runs in the sandbox: routing, params, query strings, JSON bodies, headers,
 * status codes and 404s — in fresh contexts and in reused ones.
 */
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandboxHost } from "./index.js";
import { request, runFetch } from "./testing/jobs.js";

const APP = `
import { Hono } from "hono";
const app = new Hono();
app.get("/users/:id", (c) => c.json({ id: c.req.param("id"), q: c.req.query("q") }));
app.post("/echo", async (c) => c.json(await c.req.json(), 201));
export default app;
`;

const host = createSandboxHost({ maxConcurrent: 2 });
let source = "";

beforeAll(async () => {
  const result = await build({
    stdin: { contents: APP, resolveDir: process.cwd(), loader: "js" },
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    write: false,
    logLevel: "silent",
  });
  source = result.outputFiles[0]!.text;
});
afterAll(() => host.dispose());

describe.each(["none", "script"] as const)("a bundled Hono app (isolation %s)", (isolation) => {
  const script = () => ({ versionId: `hono-${isolation}`, source, isolation });

  it("routes with path params and query strings", async () => {
    const r = await runFetch(host, "", {
      script: script(),
      input: { request: request("https://app.test/users/42?q=hello%20world") },
    });
    expect(r.status).toBe(200);
    expect(r.header("content-type")).toMatch(/^application\/json/);
    expect(JSON.parse(r.text)).toEqual({ id: "42", q: "hello world" });
  });

  it("reads a JSON body and answers with a status code", async () => {
    const body = new TextEncoder().encode(JSON.stringify({ name: "Ada", tags: ["x", "é"] }));
    const r = await runFetch(host, "", {
      script: script(),
      input: {
        request: request("https://app.test/echo", {
          method: "POST",
          headers: [["content-type", "application/json"]],
          body,
        }),
      },
    });
    expect(r.status).toBe(201);
    expect(JSON.parse(r.text)).toEqual({ name: "Ada", tags: ["x", "é"] });
  });

  it("answers 404 for unknown routes and wrong methods", async () => {
    const missing = await runFetch(host, "", {
      script: script(),
      input: { request: request("https://app.test/nope") },
    });
    const wrongMethod = await runFetch(host, "", {
      script: script(),
      input: { request: request("https://app.test/echo", { method: "GET" }) },
    });
    expect([missing.status, missing.text, wrongMethod.status]).toEqual([404, "404 Not Found", 404]);
  });

  it("handles a burst of concurrent requests", async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        runFetch(host, "", {
          script: script(),
          input: { request: request(`https://app.test/users/${i}?q=${i}`) },
        }),
      ),
    );
    expect(results.map((r) => JSON.parse(r.text))).toEqual(
      Array.from({ length: 8 }, (_, i) => ({ id: String(i), q: String(i) })),
    );
  });
});
