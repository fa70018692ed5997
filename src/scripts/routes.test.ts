import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { useHarness } from "../testing/harness.js";

const src = (text: string) => `export default { fetch() { return new Response(${JSON.stringify(text)}) } }`;

describe.each(testDbKinds())("scripts and versions API [%s]", (kind) => {
  const h = useHarness(kind);

  it("creates a script, adds versions (none for identical code), rolls back", async () => {
    const owner = await h.user("owner");
    const created = await owner.post("/apps/default/scripts", { name: "api", source: src("v1") });
    expect(created.status).toBe(201);
    expect(created.body.script).toMatchObject({
      name: "api",
      kind: "handler",
      isolation: "none",
      currentVersion: 1,
    });
    await owner.post("/apps/default/routes", { script: "api", path: "/v" });
    const same = await owner.post("/apps/default/scripts/api/versions", { source: src("v1") });
    expect(same.status).toBe(200);
    expect(same.body.unchanged).toBe(true);
    const v2 = await owner.post("/apps/default/scripts/api/versions", { source: src("v2") });
    expect(v2.status).toBe(201);
    expect(v2.body.version.version).toBe(2);
    expect(await (await h.http.request("http://default.localhost/v")).text()).toBe("v2");

    const versions = await owner.get("/apps/default/scripts/api/versions");
    expect(
      versions.body.versions.map((v: { version: number; current: boolean }) => [v.version, v.current]),
    ).toEqual([
      [2, true],
      [1, false],
    ]);
    expect((await owner.get("/apps/default/scripts/api/versions/1")).body.version.source).toBe(src("v1"));
    const rolled = await owner.post("/apps/default/scripts/api/rollback", { version: 1 });
    expect(rolled.body.script.currentVersion).toBe(1);
    expect(await (await h.http.request("http://default.localhost/v")).text()).toBe("v1");
    expect((await owner.post("/apps/default/scripts/api/rollback", { version: 9 })).status).toBe(404);
  });

  it("lists, shows with routes, patches and deletes (routes go with it)", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps/default/scripts", { name: "api", source: src("x") });
    await owner.post("/apps/default/routes", { script: "api", path: "/api/*", methods: ["get", "POST"] });
    const shown = await owner.get("/apps/default/scripts/api");
    expect(shown.body.routes).toEqual([
      expect.objectContaining({ path: "/api/*", methods: ["GET", "POST"], host: null, dispatch: "sync" }),
    ]);
    const patched = await owner.patch("/apps/default/scripts/api", {
      isolation: "script",
      limits: { timeMs: 500 },
    });
    expect(patched.body.script).toMatchObject({ isolation: "script", limits: { timeMs: 500 } });
    expect(
      (await owner.get("/apps/default/scripts")).body.scripts.map((s: { name: string }) => s.name),
    ).toEqual(["api"]);
    expect((await owner.delete("/apps/default/scripts/api")).status).toBe(204);
    expect((await owner.get("/apps/default/routes")).body.routes).toEqual([]);
    expect((await h.http.request("http://default.localhost/api/x")).status).toBe(404);
  });

  it("accepts module names with slashes and refuses routes to modules", async () => {
    const owner = await h.user("owner");
    const mod = await owner.post("/apps/default/scripts", {
      name: "lib/text",
      kind: "module",
      source: "export const x = 1;",
    });
    expect(mod.status).toBe(201);
    expect(
      (await owner.get(`/apps/default/scripts/${encodeURIComponent("lib/text")}`)).body.script.kind,
    ).toBe("module");
    const res = await owner.post("/apps/default/routes", { script: "lib/text", path: "/x" });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("handler scripts");
  });

  it("refuses duplicate names and bad input, writing nothing", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps/default/scripts", { name: "api", source: src("x") });
    expect((await owner.post("/apps/default/scripts", { name: "api", source: src("y") })).status).toBe(409);
    const cases: [unknown, string][] = [
      [{ name: "Bad Name", source: src("x") }, "name must be lower-case"],
      [{ name: "ok", source: "" }, "source must not be empty"],
      [{ name: "ok", source: src("x"), kind: "lambda" }, "kind must be one of handler, module"],
      [{ name: "ok", source: src("x"), limits: { timeMs: 1 } }, "limits.timeMs must be at least 10"],
      [{ name: "ok", source: src("x"), isolation: "process" }, "isolation must be one of none, script"],
    ];
    for (const [body, message] of cases) {
      const res = await owner.post("/apps/default/scripts", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message).toContain(message);
    }
    expect((await owner.get("/apps/default/scripts")).body.scripts).toHaveLength(1);
  });

  it("lets viewers and script:read keys read but not write; other apps' scripts are 404", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    await owner.post("/apps", { name: "Shop" });
    await owner.post("/apps/blog/scripts", { name: "api", source: src("x") });
    const shopScript = (await owner.post("/apps/shop/scripts", { name: "pay", source: src("x") })).body
      .script;
    const viewer = await h.user("member");
    await owner.post("/apps/blog/members", { userId: viewer.userId, role: "viewer" });
    expect((await viewer.get("/apps/blog/scripts")).status).toBe(200);
    expect((await viewer.post("/apps/blog/scripts", { name: "new", source: src("x") })).status).toBe(403);
    expect((await viewer.get("/apps/shop/scripts")).status).toBe(404);
    const reader = await owner.withKey(["script:read"]);
    expect((await reader.get("/apps/blog/scripts/api")).status).toBe(200);
    expect((await reader.post("/apps/blog/scripts/api/versions", { source: src("y") })).status).toBe(403);
    // A script of another app cannot be reached by id through this app.
    expect((await owner.get(`/apps/blog/scripts/${shopScript.id}`)).status).toBe(404);
    expect((await owner.post(`/apps/blog/scripts/${shopScript.id}/invoke`, {})).status).toBe(404);
  });
});

describe.each(testDbKinds())("routes API [%s]", (kind) => {
  const h = useHarness(kind);

  it("rejects conflicting routes with 409, also when two additions race", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps/default/scripts", { name: "a", source: src("a") });
    await owner.post("/apps/default/scripts", { name: "b", source: src("b") });
    expect(
      (await owner.post("/apps/default/routes", { script: "a", path: "/users/:id", methods: ["GET"] }))
        .status,
    ).toBe(201);
    const clash = await owner.post("/apps/default/routes", {
      script: "b",
      path: "/users/:uid",
      methods: ["GET", "PUT"],
    });
    expect(clash.status).toBe(409);
    expect(clash.body.error.message).toContain("conflicts with GET /users/:id of script a");
    // Different method, different host: no conflict.
    expect(
      (await owner.post("/apps/default/routes", { script: "b", path: "/users/:id", methods: ["PUT"] }))
        .status,
    ).toBe(201);
    expect(
      (
        await owner.post("/apps/default/routes", {
          script: "b",
          path: "/users/:id",
          methods: ["GET"],
          host: "x.example.com",
        })
      ).status,
    ).toBe(201);
    const [r1, r2] = await Promise.all([
      owner.post("/apps/default/routes", { script: "a", path: "/race" }),
      owner.post("/apps/default/routes", { script: "b", path: "/race" }),
    ]);
    expect([r1.status, r2.status].sort()).toEqual([201, 409]);
  });

  it("updates and deletes routes, within the app only", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps/default/scripts", { name: "a", source: src("a") });
    const { route } = (await owner.post("/apps/default/routes", { script: "a", path: "/one" })).body;
    const moved = await owner.patch(`/apps/default/routes/${route.id}`, { path: "/two", methods: ["POST"] });
    expect(moved.body.route).toMatchObject({ path: "/two", methods: ["POST"] });
    expect((await h.http.request("http://default.localhost/two", { method: "POST" })).status).toBe(200);
    await owner.post("/apps", { name: "Other" });
    expect((await owner.delete(`/apps/other/routes/${route.id}`)).status).toBe(404);
    expect((await owner.delete(`/apps/default/routes/${route.id}`)).status).toBe(204);
  });

  it("validates route patterns", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps/default/scripts", { name: "a", source: src("a") });
    const cases: [unknown, string][] = [
      [{ script: "a", path: "no-slash" }, "path must start with /"],
      [{ script: "a", path: "/a/*/b" }, "only as its last segment"],
      [{ script: "a", path: "/a b" }, "is invalid"],
      [{ script: "a", path: "/:id/:id" }, "same :param twice"],
      [{ script: "a", path: "/x", methods: ["FETCH"] }, "methods must be among"],
      [{ script: "a", path: "/x", host: "http://x" }, "hostname"],
      [{ script: "a", path: "/x", dispatch: "later" }, "dispatch must be one of"],
    ];
    for (const [body, message] of cases) {
      const res = await owner.post("/apps/default/routes", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message).toContain(message);
    }
    expect((await owner.post("/apps/default/routes", { script: "nope", path: "/x" })).status).toBe(404);
  });
});
