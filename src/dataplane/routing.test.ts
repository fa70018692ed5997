import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { type TestClient, useHarness } from "../testing/harness.js";

/** A script that answers with its own name, so a test can see which route won. */
const named = (name: string) =>
  `export default { fetch(request, env, ctx) { return Response.json({ script: ${JSON.stringify(name)}, params: ctx.params }) } }`;

async function deploy(client: TestClient, app: string, scripts: { name: string; routes: unknown[] }[]) {
  const res = await client.post(`/apps/${app}/deploy`, {
    scripts: scripts.map((s) => ({ name: s.name, source: named(s.name), routes: s.routes })),
  });
  if (res.status !== 200) throw new Error(JSON.stringify(res.body));
  return res;
}

describe.each(testDbKinds())("routing requests to apps and routes [%s]", (kind) => {
  const h = useHarness(kind);
  const get = async (url: string, init: RequestInit = {}) => {
    const res = await h.http.request(url, init);
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };

  it("picks the most specific route: static > :param > *, host > any, method > any", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps/default/domains", { hostname: "api.example.com" });
    await deploy(owner, "default", [
      { name: "me", routes: [{ path: "/users/me" }] },
      { name: "user", routes: [{ path: "/users/:id" }] },
      { name: "users-any", routes: [{ path: "/users/*" }] },
      { name: "catch-all", routes: [{ path: "/*" }] },
      { name: "api-host", routes: [{ path: "/users/:id", host: "api.example.com" }] },
      { name: "post-user", routes: [{ path: "/users/:id", methods: ["POST"] }] },
    ]);
    expect((await get("http://default.localhost/users/me")).body.script).toBe("me");
    expect((await get("http://default.localhost/users/42")).body).toEqual({
      script: "user",
      params: { id: "42" },
    });
    expect((await get("http://default.localhost/users/42/posts")).body.script).toBe("users-any");
    expect((await get("http://default.localhost/other")).body.script).toBe("catch-all");
    expect((await get("http://api.example.com/users/42")).body.script).toBe("api-host");
    expect((await get("http://default.localhost/users/42", { method: "POST" })).body.script).toBe(
      "post-user",
    );
    expect((await get("http://default.localhost/users/a%20b")).body.params).toEqual({ id: "a b" });
  });

  it("finds the app by domain, wildcard domain, <slug>.localhost, else the default app", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    await owner.post("/apps", { name: "Shop" });
    await owner.post("/apps/blog/domains", { hostname: "blog.example.com" });
    await owner.post("/apps/shop/domains", { hostname: "*.shop.example.com" });
    await deploy(owner, "blog", [{ name: "blog-x", routes: [{ path: "/x" }] }]);
    await deploy(owner, "shop", [{ name: "shop-x", routes: [{ path: "/x" }] }]);
    await deploy(owner, "default", [{ name: "default-x", routes: [{ path: "/x" }] }]);
    expect((await get("http://blog.example.com/x")).body.script).toBe("blog-x");
    expect((await get("http://BLOG.example.com:8787/x")).body.script).toBe("blog-x");
    expect((await get("http://eu.shop.example.com/x")).body.script).toBe("shop-x");
    expect((await get("http://shop.localhost:8787/x")).body.script).toBe("shop-x");
    expect((await get("http://unknown.example.org/x")).body.script).toBe("default-x");
  });

  it("never answers one app's routes on another app's domain", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    await owner.post("/apps", { name: "Shop" });
    await owner.post("/apps/shop/domains", { hostname: "shop.example.com" });
    await deploy(owner, "blog", [{ name: "secret", routes: [{ path: "/admin-only" }] }]);
    const res = await get("http://shop.example.com/admin-only");
    expect(res.status).toBe(404);
    expect((await get("http://blog.localhost/admin-only")).body.script).toBe("secret");
  });

  it("sees route changes at once", async () => {
    const owner = await h.user("owner");
    await deploy(owner, "default", [{ name: "a", routes: [{ path: "/a" }] }]);
    expect((await get("http://default.localhost/a")).status).toBe(200);
    await deploy(owner, "default", [{ name: "a", routes: [{ path: "/b" }] }]);
    expect((await get("http://default.localhost/a")).status).toBe(404);
    expect((await get("http://default.localhost/b")).status).toBe(200);
    await owner.post("/apps", { name: "Late" });
    await deploy(owner, "late", [{ name: "late", routes: [{ path: "/l" }] }]);
    expect((await get("http://late.localhost/l")).body.script).toBe("late");
  });

  it("serves HEAD from GET routes without a body", async () => {
    const owner = await h.user("owner");
    await deploy(owner, "default", [{ name: "g", routes: [{ path: "/g", methods: ["GET"] }] }]);
    const res = await h.http.request("http://default.localhost/g", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });
});
