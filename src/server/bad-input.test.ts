import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { useHarness } from "../testing/harness.js";

describe.each(testDbKinds())("bad input gets a clear 4xx and changes nothing [%s]", (kind) => {
  const h = useHarness(kind);

  const cases: {
    name: string;
    body: unknown;
    headers?: Record<string, string>;
    status: number;
    message: string;
  }[] = [
    { name: "malformed JSON", body: '{"name": "x",', status: 400, message: "not valid JSON" },
    {
      name: "not JSON at all",
      body: "name=x",
      headers: { "content-type": "text/plain" },
      status: 415,
      message: "must be JSON",
    },
    { name: "an array instead of an object", body: [], status: 400, message: "name is required" },
    { name: "wrong type", body: { name: 42 }, status: 400, message: "name: expected string, got 42" },
    {
      name: "unknown field",
      body: { name: "x", colour: "red" },
      status: 400,
      message: 'unknown field "colour"',
    },
    { name: "missing field", body: { slug: "x" }, status: 400, message: "name is required" },
    { name: "empty name", body: { name: "  " }, status: 400, message: "name must not be empty" },
    { name: "upper-case slug", body: { name: "x", slug: "Blog" }, status: 400, message: "slug must be" },
    {
      name: "slug with a dash at the end",
      body: { name: "x", slug: "blog-" },
      status: 400,
      message: "slug must be",
    },
    {
      name: "slug too long",
      body: { name: "x", slug: "a".repeat(64) },
      status: 400,
      message: "slug must be",
    },
    { name: "slug with a dot", body: { name: "x", slug: "a.b" }, status: 400, message: "slug must be" },
    { name: "nothing to make a slug from", body: { name: "!!!" }, status: 400, message: "give a slug" },
    {
      name: "oversize body",
      body: JSON.stringify({ name: "x".repeat(1024 * 1024 + 10) }),
      status: 413,
      message: "larger than",
    },
  ];

  for (const c of cases) {
    it(`POST /apps with ${c.name} → ${c.status}`, async () => {
      const owner = await h.user("owner");
      const res = await owner.request("POST", "/apps", c.body, c.headers);
      expect(res.status).toBe(c.status);
      expect(res.body.error.message).toContain(c.message);
      expect(res.body.error.code).toMatch(/^[a-z_]+$/);
      expect((await owner.get("/apps")).body.apps.map((a: { slug: string }) => a.slug)).toEqual(["default"]);
    });
  }

  it("lists every problem of a body at once, naming each field", async () => {
    const owner = await h.user("owner");
    const res = await owner.post("/users", { email: "nope", password: "short", role: "king" });
    expect(res.status).toBe(400);
    const fields = res.body.error.details.problems.map((p: { field: string }) => p.field);
    expect(fields).toEqual(["email", "password", "role"]);
    expect(res.body.error.message).toContain("email: must be an e-mail address");
    expect(res.body.error.message).toContain("password: must be at least 10 characters");
  });

  it("answers unknown admin paths with a JSON 404", async () => {
    const owner = await h.user("owner");
    const res = await owner.get("/nothing/here");
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
  });

  it("rejects a bad ?force value on delete", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    const res = await owner.delete("/apps/blog?force=yes");
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("force must be true or false");
    expect((await owner.get("/apps/blog")).status).toBe(200);
  });

  it("keeps internal errors opaque and gives a request id", async () => {
    const owner = await h.user("owner");
    await h.services.database.db.execute("drop table app_members cascade");
    const res = await owner.get("/apps");
    expect(res.status).toBe(500);
    expect(res.body.error.message).toBe("internal error; the server log has details");
    expect(res.body.error.details.requestId).toBeTruthy();
    expect(JSON.stringify(res.body)).not.toContain("app_members");
  });
});

describe.each(testDbKinds())("metrics [%s]", (kind) => {
  const h = useHarness(kind);
  it("exposes Prometheus metrics for requests, executions and the sandbox gate", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps/default/deploy", {
      scripts: [
        {
          name: "m",
          source: "export default { fetch() { return new Response('m') } }",
          routes: [{ path: "/m" }],
        },
      ],
    });
    await h.http.request("http://default.localhost/m");
    await h.http.request("http://default.localhost/missing");
    const res = await h.http.request("/metrics");
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toContain('picloud_executions_total{trigger="http",status="ok"} 1');
    expect(text).toContain('picloud_http_requests_total{area="dataplane",status="2xx"} 1');
    expect(text).toContain('picloud_http_requests_total{area="dataplane",status="4xx"} 1');
    expect(text).toMatch(/picloud_sandbox_slots_in_use \d+/);
  });
});
