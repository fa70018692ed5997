import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { TEST_PASSWORD, useHarness } from "../testing/harness.js";

describe.each(testDbKinds())("admin login, sessions and setup [%s]", (kind) => {
  const h = useHarness(kind);
  const anon = () => h.anonymous();

  it("logs in with a session cookie (HttpOnly, SameSite=Lax) that works for /auth/me, then logs out", async () => {
    await h.user("owner", "boss@example.com");
    const res = await anon().post("/auth/login", { email: "Boss@Example.com", password: TEST_PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ email: "boss@example.com", role: "owner" });
    expect(res.body.user.passwordHash).toBeUndefined();
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^picloud_session=[a-z2-7]+;/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/); // plain http in tests
    const token = cookie.split(";")[0]!.split("=")[1]!;
    const headers = { cookie: `picloud_session=${token}` };
    const me = await anon().request("GET", "/auth/me", undefined, headers);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ via: "session", scopes: null, user: { email: "boss@example.com" } });
    expect((await anon().request("POST", "/auth/logout", undefined, headers)).status).toBe(204);
    expect((await anon().request("GET", "/auth/me", undefined, headers)).status).toBe(401);
  });

  it("does not reveal whether an e-mail exists", async () => {
    await h.user("owner", "real@example.com");
    const wrongPassword = await anon().post("/auth/login", {
      email: "real@example.com",
      password: "nope-nope-nope",
    });
    const noSuchUser = await anon().post("/auth/login", {
      email: "ghost@example.com",
      password: "nope-nope-nope",
    });
    expect(wrongPassword.status).toBe(401);
    expect(noSuchUser.status).toBe(401);
    expect(noSuchUser.body).toEqual(wrongPassword.body);
  });

  it("rate-limits repeated failures per e-mail with 429 and Retry-After, even for the right password", async () => {
    await h.user("owner", "target@example.com");
    for (let i = 0; i < 5; i++) {
      expect(
        (await anon().post("/auth/login", { email: "target@example.com", password: `guess-${i}-xxxx` }))
          .status,
      ).toBe(401);
    }
    const locked = await anon().post("/auth/login", { email: "target@example.com", password: TEST_PASSWORD });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(locked.body.error.code).toBe("rate_limited");
  });

  it("refuses deactivated users at login with the same generic answer", async () => {
    const owner = await h.user("owner");
    const member = await h.user("member", "gone@example.com");
    expect((await owner.patch(`/users/${member.userId}`, { active: false })).status).toBe(200);
    const res = await anon().post("/auth/login", { email: "gone@example.com", password: TEST_PASSWORD });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe("invalid e-mail or password");
  });

  it("rejects expired sessions", async () => {
    const owner = await h.user("owner");
    const { db } = h.services.database;
    const { adminSessions } = await import("./schema.js");
    await db.update(adminSessions).set({ expiresAt: new Date(Date.now() - 1000) });
    expect((await owner.get("/auth/me")).status).toBe(401);
  });

  it("redeems a setup token once to create the first owner", async () => {
    const boot = await h.services.setup.bootstrap(null);
    expect(boot.kind).toBe("setup-token");
    const token = (boot as { token: string }).token;
    const bad = await anon().post("/auth/setup", {
      token: "wrong",
      email: "first@example.com",
      password: TEST_PASSWORD,
    });
    expect(bad.status).toBe(400);
    const ok = await anon().post("/auth/setup", {
      token,
      email: "first@example.com",
      password: TEST_PASSWORD,
    });
    expect(ok.status).toBe(201);
    expect(ok.body.user).toMatchObject({ email: "first@example.com", role: "owner" });
    expect(ok.headers.get("set-cookie")).toMatch(/picloud_session=/);
    const again = await anon().post("/auth/setup", {
      token,
      email: "second@example.com",
      password: TEST_PASSWORD,
    });
    expect(again.status).toBe(400);
    expect((await h.services.users.list()).map((u) => u.email)).toEqual(["first@example.com"]);
    expect((await h.services.setup.bootstrap(null)).kind).toBe("existing");
  });

  it("creates the owner from the bootstrap credentials exactly once", async () => {
    const first = await h.services.setup.bootstrap({ email: "env@example.com", password: TEST_PASSWORD });
    expect(first).toEqual({ kind: "created-owner", email: "env@example.com" });
    expect(await h.services.setup.bootstrap({ email: "env@example.com", password: TEST_PASSWORD })).toEqual({
      kind: "existing",
    });
    const login = await anon().post("/auth/login", { email: "env@example.com", password: TEST_PASSWORD });
    expect(login.status).toBe(200);
  });

  it("answers 401 without credentials and for a malformed Authorization header", async () => {
    expect((await anon().get("/apps")).status).toBe(401);
    const res = await anon().request("GET", "/apps", undefined, { authorization: "Basic abc" });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain("Bearer");
  });
});

describe.each(testDbKinds())("cross-origin writes with a session cookie [%s]", (kind) => {
  const h = useHarness(kind);
  it("refuses a foreign Origin and allows the instance's own", async () => {
    const owner = await h.user("owner");
    const forged = await owner.request("POST", "/apps", { name: "x" }, { origin: "https://evil.example" });
    expect(forged.status).toBe(403);
    const crossSite = await owner.request("POST", "/apps", { name: "y" }, { "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
    const same = await owner.request("POST", "/apps", { name: "z" }, { origin: "http://localhost:8787" });
    expect(same.status).toBe(201);
    expect((await owner.get("/apps")).body.apps.map((a: { slug: string }) => a.slug)).toEqual([
      "default",
      "z",
    ]);
  });
});
