import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { TEST_PASSWORD, useHarness } from "../testing/harness.js";

describe.each(testDbKinds())("admin users [%s]", (kind) => {
  const h = useHarness(kind);

  it("owners create, list, change and delete users", async () => {
    const owner = await h.user("owner", "owner@example.com");
    const created = await owner.post("/users", {
      email: "Ann@Example.com",
      password: TEST_PASSWORD,
      role: "member",
    });
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({ email: "ann@example.com", role: "member", active: true });
    expect(JSON.stringify(created.body)).not.toContain("argon2");
    const list = await owner.get("/users");
    expect(list.body.users.map((u: { email: string }) => u.email)).toEqual([
      "owner@example.com",
      "ann@example.com",
    ]);
    const id = created.body.user.id;
    const patched = await owner.patch(`/users/${id}`, { role: "admin", email: "ann2@example.com" });
    expect(patched.body.user).toMatchObject({ role: "admin", email: "ann2@example.com" });
    expect((await owner.delete(`/users/${id}`)).status).toBe(204);
    expect((await owner.get(`/users/${id}`)).status).toBe(404);
  });

  it("refuses a duplicate e-mail with 409", async () => {
    const owner = await h.user("owner", "dup@example.com");
    const res = await owner.post("/users", {
      email: "DUP@example.com",
      password: TEST_PASSWORD,
      role: "member",
    });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toContain("dup@example.com");
  });

  it("admins manage members and admins but not owners", async () => {
    const owner = await h.user("owner");
    const admin = await h.user("admin");
    expect(
      (await admin.post("/users", { email: "m@example.com", password: TEST_PASSWORD, role: "member" }))
        .status,
    ).toBe(201);
    expect(
      (await admin.post("/users", { email: "o@example.com", password: TEST_PASSWORD, role: "owner" })).status,
    ).toBe(403);
    expect((await admin.patch(`/users/${owner.userId}`, { active: false })).status).toBe(403);
    expect((await admin.delete(`/users/${owner.userId}`)).status).toBe(403);
    const member = await h.user("member");
    expect((await admin.patch(`/users/${member.userId}`, { role: "owner" })).status).toBe(403);
  });

  it("members cannot list or manage users", async () => {
    const member = await h.user("member");
    expect((await member.get("/users")).status).toBe(403);
    expect(
      (await member.post("/users", { email: "x@example.com", password: TEST_PASSWORD, role: "member" }))
        .status,
    ).toBe(403);
  });

  it("never removes, demotes or deactivates the last active owner", async () => {
    const owner = await h.user("owner");
    for (const change of [{ role: "admin" }, { active: false }]) {
      const res = await owner.patch(`/users/${owner.userId}`, change);
      expect(res.status).toBe(409);
      expect(res.body.error.message).toContain("last active owner");
    }
    expect((await owner.delete(`/users/${owner.userId}`)).status).toBe(409);
    expect((await owner.get("/auth/me")).body.user).toMatchObject({ role: "owner", active: true });
  });

  it("lets one of two owners go, but never both, even when both demotions race", async () => {
    const a = await h.user("owner");
    const b = await h.user("owner");
    const [ra, rb] = await Promise.all([
      a.patch(`/users/${b.userId}`, { role: "member" }),
      b.patch(`/users/${a.userId}`, { role: "member" }),
    ]);
    // The loser either passed the role check as an owner and hit the last-owner guard (409), or
    // arrived after the winner's demotion had committed and is no longer allowed to patch (403).
    const [won, lost] = [ra.status, rb.status].sort();
    expect(won).toBe(200);
    expect([403, 409]).toContain(lost);
    const owners = (await h.services.users.list()).filter((u) => u.role === "owner" && u.active);
    expect(owners).toHaveLength(1);
  });

  it("deactivating a user ends their sessions and revokes their API keys", async () => {
    const owner = await h.user("owner");
    const admin = await h.user("admin");
    const key = await admin.withKey(["instance:read"]);
    expect((await key.get("/users")).status).toBe(200);
    expect((await owner.patch(`/users/${admin.userId}`, { active: false })).status).toBe(200);
    expect((await admin.get("/auth/me")).status).toBe(401);
    expect((await key.get("/users")).status).toBe(401);
    // Reactivation does not bring old credentials back.
    expect((await owner.patch(`/users/${admin.userId}`, { active: true })).status).toBe(200);
    expect((await key.get("/users")).status).toBe(401);
    expect((await admin.get("/auth/me")).status).toBe(401);
  });

  it("a password change ends the user's sessions", async () => {
    const owner = await h.user("owner");
    const member = await h.user("member");
    expect((await owner.patch(`/users/${member.userId}`, { password: "another long password" })).status).toBe(
      200,
    );
    expect((await member.get("/auth/me")).status).toBe(401);
  });

  it("answers 404 for unknown and malformed user ids", async () => {
    const owner = await h.user("owner");
    expect((await owner.get("/users/0190e0d6-0000-7000-8000-000000000000")).status).toBe(404);
    expect((await owner.get("/users/not-a-uuid")).status).toBe(404);
    expect((await owner.patch("/users/not-a-uuid", { active: true })).status).toBe(404);
  });
});
