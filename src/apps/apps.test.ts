import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { useHarness } from "../testing/harness.js";

describe.each(testDbKinds())("apps [%s]", (kind) => {
  const h = useHarness(kind);

  it("seeds a default app visible to owners", async () => {
    const owner = await h.user("owner");
    const res = await owner.get("/apps");
    expect(res.status).toBe(200);
    expect(res.body.apps.map((a: { slug: string }) => a.slug)).toEqual(["default"]);
  });

  it("creates an app with a slug derived from its name, and a suffix when taken", async () => {
    const owner = await h.user("owner");
    const a = await owner.post("/apps", { name: "My Blog!" });
    expect(a.status).toBe(201);
    expect(a.body.app).toMatchObject({ slug: "my-blog", name: "My Blog!", role: "app_admin" });
    const b = await owner.post("/apps", { name: "My Blog" });
    expect(b.body.app.slug).toBe("my-blog-2");
    const c = await owner.post("/apps", { name: "x", slug: "my-blog" });
    expect(c.status).toBe(409);
    expect(c.body.error.message).toContain("my-blog");
  });
});

describe.each(testDbKinds())("app visibility and changes [%s]", (kind) => {
  const h = useHarness(kind);

  it("members see only their apps, with their role; other apps are 404", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    await owner.post("/apps", { name: "Shop" });
    const member = await h.user("member");
    expect((await member.get("/apps")).body.apps).toEqual([]);
    expect((await owner.post("/apps/blog/members", { userId: member.userId, role: "editor" })).status).toBe(
      201,
    );
    const list = await member.get("/apps");
    expect(list.body.apps.map((a: { slug: string; role: string }) => [a.slug, a.role])).toEqual([
      ["blog", "editor"],
    ]);
    expect((await member.get("/apps/blog")).body.app.role).toBe("editor");
    const hidden = await member.get("/apps/shop");
    const missing = await member.get("/apps/nope");
    expect(hidden.status).toBe(404);
    // The answer names only what the caller asked for: a hidden app reads exactly like a missing one.
    expect(hidden.body).toEqual({ error: { code: "not_found", message: "app shop not found" } });
    expect(missing.body).toEqual({ error: { code: "not_found", message: "app nope not found" } });
  });

  it("finds an app by id or slug", async () => {
    const owner = await h.user("owner");
    const { app } = (await owner.post("/apps", { name: "Blog" })).body;
    expect((await owner.get(`/apps/${app.id}`)).body.app.slug).toBe("blog");
    expect((await owner.get("/apps/BLOG")).body.app.id).toBe(app.id);
  });

  it("patches name, slug and vars; app_admins may, editors may not", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    const editor = await h.user("member");
    await owner.post("/apps/blog/members", { userId: editor.userId, role: "editor" });
    expect((await editor.patch("/apps/blog", { name: "Mine" })).status).toBe(403);
    const res = await owner.patch("/apps/blog", {
      name: "The Blog",
      slug: "the-blog",
      vars: { TITLE: "Hi" },
    });
    expect(res.status).toBe(200);
    expect(res.body.app).toMatchObject({ slug: "the-blog", name: "The Blog", vars: { TITLE: "Hi" } });
    expect((await owner.get("/apps/blog")).status).toBe(404);
  });

  it("refuses to rename or delete the default app", async () => {
    const owner = await h.user("owner");
    expect((await owner.patch("/apps/default", { slug: "other" })).status).toBe(409);
    expect((await owner.delete("/apps/default?force=true")).status).toBe(409);
    expect((await owner.patch("/apps/default", { name: "Home" })).status).toBe(200);
  });

  it("deletes an app with everything in it", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    await owner.post("/apps/blog/domains", { hostname: "blog.example.com" });
    expect((await owner.delete("/apps/blog")).status).toBe(204);
    expect((await owner.get("/apps/blog")).status).toBe(404);
    // Its hostname is free again.
    expect((await owner.post("/apps/default/domains", { hostname: "blog.example.com" })).status).toBe(201);
  });

  it("refuses to delete an app that still has dependents unless forced", async () => {
    const owner = await h.user("owner");
    const { app } = (await owner.post("/apps", { name: "Blog" })).body;
    // Registered the way the scripts area registers itself; counts real rows (its domains, here).
    h.services.apps.registerDependents({
      what: "domains",
      count: async (appId) => (await h.services.domains.list(appId)).length,
    });
    await owner.post("/apps/blog/domains", { hostname: "blog.example.com" });
    const refused = await owner.delete("/apps/blog");
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain("1 domains");
    expect(refused.body.error.message).toContain("force=true");
    expect((await owner.get(`/apps/${app.id}`)).status).toBe(200);
    expect((await owner.delete("/apps/blog?force=true")).status).toBe(204);
  });

  it("members cannot create apps", async () => {
    const member = await h.user("member");
    expect((await member.post("/apps", { name: "Mine" })).status).toBe(403);
  });
});
