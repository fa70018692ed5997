/** The KV admin API (the dashboard's KV browser): collections, paging, one entry, permissions, refusals. */
import { describe, expect, it } from "vitest";
import { testDbKinds } from "../../testing/database.js";
import { useHarness } from "../../testing/harness.js";

const entry = (collection: string, key: string) =>
  `/apps/blog/kv/${encodeURIComponent(collection)}/${encodeURIComponent(key)}`;

describe.each(testDbKinds())("KV admin API [%s]", (kind) => {
  const h = useHarness(kind);

  it("writes, reads, lists by prefix page by page, and deletes entries", async () => {
    const owner = await h.user("owner");
    expect((await owner.post("/apps", { name: "Blog" })).status).toBe(201);
    expect((await owner.get("/apps/blog/kv")).body).toEqual({ collections: [] });

    // Any key a script may use, slashes and spaces included.
    for (const key of ["team/a", "team/b", "team/c d", "zed"]) {
      const put = await owner.put(entry("users", key), { value: { key, n: 1 } });
      expect(put.status).toBe(201);
    }
    expect((await owner.put(entry("users", "zed"), { value: "replaced" })).status).toBe(200);
    expect((await owner.put(entry("other", "x"), { value: [1, 2] })).status).toBe(201);

    expect((await owner.get("/apps/blog/kv")).body).toEqual({
      collections: [
        { name: "other", keys: 1 },
        { name: "users", keys: 4 },
      ],
    });
    expect((await owner.get(entry("users", "team/c d"))).body).toEqual({
      collection: "users",
      key: "team/c d",
      value: { key: "team/c d", n: 1 },
    });
    expect((await owner.get(entry("users", "zed"))).body.value).toBe("replaced");

    const first = await owner.get("/apps/blog/kv/users?prefix=team%2F&limit=2");
    expect(first.status).toBe(200);
    expect(first.body.items.map((i: { key: string }) => i.key)).toEqual(["team/a", "team/b"]);
    const second = await owner.get(
      `/apps/blog/kv/users?prefix=team%2F&limit=2&cursor=${encodeURIComponent(first.body.cursor)}`,
    );
    expect(second.body).toEqual({
      items: [{ key: "team/c d", value: { key: "team/c d", n: 1 } }],
      cursor: null,
    });

    expect((await owner.delete(entry("users", "team/a"))).status).toBe(204);
    expect((await owner.get(entry("users", "team/a"))).status).toBe(404);
    expect((await owner.delete(entry("users", "team/a"))).status).toBe(404);
  });

  it("refuses bad input with the field named", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    const longCollection = await owner.get(`/apps/blog/kv/${"c".repeat(129)}`);
    expect(longCollection.status).toBe(400);
    expect(longCollection.body.error.message).toContain("collection");
    const longKey = await owner.put(entry("c", "k".repeat(513)), { value: 1 });
    expect(longKey.status).toBe(400);
    expect(longKey.body.error.message).toContain("key");
    expect((await owner.put(entry("c", "k"), { value: 1, colour: "red" })).body.error.message).toContain(
      'unknown field "colour"',
    );
    const nul = await owner.put(entry("c", "k"), { value: { a: "x\u0000y" } });
    expect(nul.status).toBe(400);
    expect(nul.body.error.message).toContain("value.a");
    expect((await owner.put(entry("c", "k"), { value: 1, ttl: -1 })).status).toBe(400);
    expect((await owner.get("/apps/blog/kv/c?limit=5000")).status).toBe(400);
  });

  it("lets viewers read and editors write; another app's entries look missing", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    const viewer = await h.user("member");
    const editor = await h.user("member");
    await owner.post("/apps/blog/members", { userId: viewer.userId, role: "viewer" });
    await owner.post("/apps/blog/members", { userId: editor.userId, role: "editor" });

    expect((await viewer.put(entry("c", "k"), { value: 1 })).status).toBe(403);
    expect((await editor.put(entry("c", "k"), { value: 1 })).status).toBe(201);
    expect((await viewer.get(entry("c", "k"))).body.value).toBe(1);
    expect((await viewer.get("/apps/blog/kv/c")).body.items).toHaveLength(1);
    expect((await viewer.delete(entry("c", "k"))).status).toBe(403);
    expect((await viewer.get("/apps/default/kv")).status).toBe(404);
    expect((await editor.put("/apps/default/kv/c/k", { value: 1 })).status).toBe(404);
  });

  it("says whether the instance still waits for its owner", async () => {
    const anonymous = h.anonymous();
    expect((await anonymous.get("/auth/setup")).body).toEqual({ setupRequired: true });
    await h.user("owner");
    expect((await anonymous.get("/auth/setup")).body).toEqual({ setupRequired: false });
  });
});
