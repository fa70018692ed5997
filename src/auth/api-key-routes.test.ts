import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { useHarness } from "../testing/harness.js";
import { apiKeys } from "./schema.js";

describe.each(testDbKinds())("API keys [%s]", (kind) => {
  const h = useHarness(kind);

  it("mints a pic_ token shown once, stored only as an Argon2id hash with an indexed prefix", async () => {
    const owner = await h.user("owner");
    const res = await owner.post("/api-keys", { name: "ci", scopes: ["app:read", "script:write"] });
    expect(res.status).toBe(201);
    const { token, apiKey } = res.body;
    expect(token).toMatch(/^pic_[a-z2-7]{40,}$/);
    expect(apiKey).toMatchObject({
      name: "ci",
      scopes: ["app:read", "script:write"],
      appId: null,
      revokedAt: null,
    });
    expect(token.startsWith(apiKey.prefix)).toBe(true);
    const [row] = await h.services.database.db.select().from(apiKeys);
    expect(row!.hash).toMatch(/^\$argon2id\$/);
    expect(JSON.stringify(row)).not.toContain(token);
    const list = await owner.get("/api-keys");
    expect(JSON.stringify(list.body)).not.toContain(token);
    expect(list.body.apiKeys).toHaveLength(1);
  });

  it("a key works as Bearer, does what its scopes allow, and stops working once revoked", async () => {
    const owner = await h.user("owner");
    const minted = await owner.post("/api-keys", { name: "read", scopes: ["app:read"] });
    const key = h.anonymous();
    const headers = { authorization: `Bearer ${minted.body.token}` };
    expect((await key.request("GET", "/apps", undefined, headers)).status).toBe(200);
    const me = await key.request("GET", "/auth/me", undefined, headers);
    expect(me.body).toMatchObject({ via: "api_key", scopes: ["app:read"] });
    const write = await key.request("POST", "/apps/default/domains", { hostname: "a.example.com" }, headers);
    expect(write.status).toBe(403);
    expect(write.body.error.message).toContain("app.update");
    expect((await owner.delete(`/api-keys/${minted.body.apiKey.id}`)).status).toBe(204);
    const after = await key.request("GET", "/apps", undefined, headers);
    expect(after.status).toBe(401);
    expect(after.body.error.message).toContain("revoked");
  });

  it("rejects a wrong secret that shares a real key's prefix", async () => {
    const owner = await h.user("owner");
    const { token } = (await owner.post("/api-keys", { name: "k", scopes: ["app:read"] })).body;
    const forged = `${token.slice(0, 16)}${"a".repeat(token.length - 16)}`;
    const res = await h.anonymous().request("GET", "/apps", undefined, { authorization: `Bearer ${forged}` });
    expect(res.status).toBe(401);
  });

  it("rejects expired keys", async () => {
    const owner = await h.user("owner");
    const key = await owner.withKey(["app:read"]);
    await h.services.database.db.update(apiKeys).set({ expiresAt: new Date(Date.now() - 1000) });
    expect((await key.get("/apps")).status).toBe(401);
  });

  it("a member's key can do no more than the member, whatever its scopes", async () => {
    const member = await h.user("member");
    const key = await member.withKey(["instance:admin", "app:admin"]);
    expect((await key.get("/users")).status).toBe(403);
    expect((await key.post("/apps", { name: "nope" })).status).toBe(403);
    expect((await key.get("/apps")).body.apps).toEqual([]);
  });

  it("a key's scopes decide what it reads: instance:read lists admin users and reads no app", async () => {
    const owner = await h.user("owner");
    const cases: [string[], Record<string, number>][] = [
      [["instance:read"], { "/users": 200, "/apps/default": 403, "/apps/default/domains": 403 }],
      [["app:read"], { "/users": 403, "/apps/default": 200, "/apps/default/domains": 200 }],
      [["script:read"], { "/users": 403, "/apps/default": 403, "/apps/default/scripts": 200 }],
    ];
    for (const [scopes, expected] of cases) {
      const key = await owner.withKey(scopes);
      const got: Record<string, number> = {};
      for (const path of Object.keys(expected)) got[path] = (await key.get(path)).status;
      expect(got, scopes.join(",")).toEqual(expected);
    }
  });

  it("a key bound to one app sees only that app; other apps are 404, instance actions 403", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    await owner.post("/apps", { name: "Shop" });
    const key = await owner.withKey(["app:admin", "instance:admin"], "blog");
    expect((await key.get("/apps")).body.apps.map((a: { slug: string }) => a.slug)).toEqual(["blog"]);
    expect((await key.get("/apps/blog")).status).toBe(200);
    expect((await key.get("/apps/shop")).status).toBe(404);
    expect((await key.get("/apps/shop/domains")).status).toBe(404);
    expect((await key.post("/apps/shop/domains", { hostname: "x.example.com" })).status).toBe(404);
    expect((await key.get("/users")).status).toBe(403);
    expect((await key.post("/apps", { name: "Third" })).status).toBe(403);
  });

  it("binding a key to an app the user cannot see is 404", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Secret" });
    const member = await h.user("member");
    const res = await member.post("/api-keys", { name: "k", scopes: ["app:read"], app: "secret" });
    expect(res.status).toBe(404);
    expect((await member.get("/api-keys")).body.apiKeys).toEqual([]);
  });

  it("a key cannot mint a broader key", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    const narrow = await owner.withKey(["app:read"]);
    const wider = await narrow.post("/api-keys", { name: "wider", scopes: ["app:write"] });
    expect(wider.status).toBe(403);
    expect(wider.body.error.message).toContain("app:write");
    expect((await narrow.post("/api-keys", { name: "same", scopes: ["app:read"] })).status).toBe(201);
    const bound = await owner.withKey(["app:admin"], "blog");
    expect((await bound.post("/api-keys", { name: "unbound", scopes: ["app:read"] })).status).toBe(403);
    expect((await bound.post("/api-keys", { name: "bound", scopes: ["app:read"], app: "blog" })).status).toBe(
      201,
    );
  });

  it("users see and revoke only their own keys", async () => {
    const a = await h.user("owner");
    const b = await h.user("admin");
    const minted = await a.post("/api-keys", { name: "a", scopes: ["app:read"] });
    expect((await b.get("/api-keys")).body.apiKeys).toEqual([]);
    expect((await b.delete(`/api-keys/${minted.body.apiKey.id}`)).status).toBe(404);
    expect((await a.get("/api-keys")).body.apiKeys[0].revokedAt).toBeNull();
  });

  it("validates mint requests", async () => {
    const owner = await h.user("owner");
    const cases: [unknown, string][] = [
      [{ name: "k", scopes: [] }, "at least one scope"],
      [{ name: "k", scopes: ["root"] }, "must be one of"],
      [{ name: "", scopes: ["app:read"] }, "name must not be empty"],
      [{ name: "k", scopes: ["app:read"], color: "red" }, 'unknown field "color"'],
      [{ scopes: ["app:read"] }, "name is required"],
    ];
    for (const [body, message] of cases) {
      const res = await owner.post("/api-keys", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message).toContain(message);
    }
    expect((await owner.get("/api-keys")).body.apiKeys).toEqual([]);
  });
});
