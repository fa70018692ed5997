import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { useHarness } from "../testing/harness.js";

describe.each(testDbKinds())("app members [%s]", (kind) => {
  const h = useHarness(kind);

  it("adds by user id or e-mail, lists, changes role and removes", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    const ann = await h.user("member", "ann@example.com");
    const bob = await h.user("member", "bob@example.com");
    expect((await owner.post("/apps/blog/members", { userId: ann.userId, role: "viewer" })).status).toBe(201);
    expect(
      (await owner.post("/apps/blog/members", { email: "BOB@example.com", role: "editor" })).status,
    ).toBe(201);
    const list = await owner.get("/apps/blog/members");
    expect(list.body.members.map((m: { email: string; role: string }) => [m.email, m.role])).toEqual([
      ["ann@example.com", "viewer"],
      ["bob@example.com", "editor"],
    ]);
    const changed = await owner.patch(`/apps/blog/members/${ann.userId}`, { role: "app_admin" });
    expect(changed.body.member.role).toBe("app_admin");
    expect((await owner.delete(`/apps/blog/members/${bob.userId}`)).status).toBe(204);
    expect((await bob.get("/apps/blog")).status).toBe(404);
  });

  it("answers 409 on a duplicate grant, also when two grants race (the database decides)", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    const ann = await h.user("member");
    const [a, b] = await Promise.all([
      owner.post("/apps/blog/members", { userId: ann.userId, role: "viewer" }),
      owner.post("/apps/blog/members", { userId: ann.userId, role: "editor" }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    expect((await owner.get("/apps/blog/members")).body.members).toHaveLength(1);
  });

  it("answers 404 for patching or removing a membership that does not exist, and for unknown users", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    const ann = await h.user("member");
    expect((await owner.patch(`/apps/blog/members/${ann.userId}`, { role: "editor" })).status).toBe(404);
    expect((await owner.delete(`/apps/blog/members/${ann.userId}`)).status).toBe(404);
    expect((await owner.patch("/apps/blog/members/not-a-uuid", { role: "editor" })).status).toBe(404);
    const ghost = await owner.post("/apps/blog/members", { email: "ghost@example.com", role: "viewer" });
    expect(ghost.status).toBe(404);
    expect(ghost.body.error.message).toBe("user not found");
  });

  it("only app admins manage members; app_admin members may", async () => {
    const owner = await h.user("owner");
    await owner.post("/apps", { name: "Blog" });
    const lead = await h.user("member");
    const dev = await h.user("member");
    await owner.post("/apps/blog/members", { userId: lead.userId, role: "app_admin" });
    await owner.post("/apps/blog/members", { userId: dev.userId, role: "editor" });
    const newcomer = await h.user("member");
    expect((await dev.post("/apps/blog/members", { userId: newcomer.userId, role: "viewer" })).status).toBe(
      403,
    );
    expect((await lead.post("/apps/blog/members", { userId: newcomer.userId, role: "viewer" })).status).toBe(
      201,
    );
    expect((await dev.get("/apps/blog/members")).status).toBe(200);
  });

  it("validates the role and who is added", async () => {
    const owner = await h.user("owner");
    const ann = await h.user("member");
    const cases: [unknown, string][] = [
      [{ userId: ann.userId, role: "god" }, "role must be one of viewer, editor, app_admin"],
      [{ role: "viewer" }, "exactly one of userId or email"],
      [{ userId: ann.userId, email: "a@example.com", role: "viewer" }, "exactly one of userId or email"],
      [{ userId: "123", role: "viewer" }, "userId must be a UUID"],
    ];
    for (const [body, message] of cases) {
      const res = await owner.post("/apps/default/members", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message).toContain(message);
    }
    expect((await owner.get("/apps/default/members")).body.members).toEqual([]);
  });
});
