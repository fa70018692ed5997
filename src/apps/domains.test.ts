import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { useHarness } from "../testing/harness.js";

describe.each(testDbKinds())("app domains [%s]", (kind) => {
  const h = useHarness(kind);

  it("adds exact and wildcard hostnames, lower-cased, and removes them by hostname or id", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    const a = await owner.post("/apps/blog/domains", { hostname: "Blog.Example.com" });
    expect(a.status).toBe(201);
    expect(a.body.domain.hostname).toBe("blog.example.com");
    const w = await owner.post("/apps/blog/domains", { hostname: "*.blog.example.com" });
    expect(w.status).toBe(201);
    expect(
      (await owner.get("/apps/blog/domains")).body.domains.map((d: { hostname: string }) => d.hostname),
    ).toEqual(["*.blog.example.com", "blog.example.com"]);
    expect((await owner.delete("/apps/blog/domains/blog.example.com")).status).toBe(204);
    expect((await owner.delete(`/apps/blog/domains/${w.body.domain.id}`)).status).toBe(204);
    expect((await owner.get("/apps/blog/domains")).body.domains).toEqual([]);
    expect((await owner.delete("/apps/blog/domains/blog.example.com")).status).toBe(404);
  });

  it("keeps hostnames unique across the instance (409), also when two apps race for one", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    await owner.post("/apps", { name: "Shop" });
    const [x, y] = await Promise.all([
      owner.post("/apps/blog/domains", { hostname: "www.example.com" }),
      owner.post("/apps/shop/domains", { hostname: "www.example.com" }),
    ]);
    expect([x.status, y.status].sort()).toEqual([201, 409]);
    const loser = x.status === 409 ? x : y;
    expect(loser.body.error.message).toContain("www.example.com");
  });

  it("rejects malformed hostnames with a message naming the field", async () => {
    const owner = await h.user("owner");
    for (const hostname of [
      "http://x.com",
      "x.com:80",
      "x.com/path",
      "*.com",
      "a..b",
      "-x.com",
      "x_y.com",
      "",
      "a.*.com",
    ]) {
      const res = await owner.post("/apps/default/domains", { hostname });
      expect(res.status, hostname).toBe(400);
      expect(res.body.error.message, hostname).toContain("hostname");
    }
    expect((await owner.get("/apps/default/domains")).body.domains).toEqual([]);
  });

  it("cannot remove another app's domain through its own app", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    await owner.post("/apps", { name: "Shop" });
    const d = await owner.post("/apps/shop/domains", { hostname: "shop.example.com" });
    expect((await owner.delete(`/apps/blog/domains/${d.body.domain.id}`)).status).toBe(404);
    expect((await owner.delete("/apps/blog/domains/shop.example.com")).status).toBe(404);
    expect((await owner.get("/apps/shop/domains")).body.domains).toHaveLength(1);
  });
});
