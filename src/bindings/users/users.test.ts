/**
 * End users through the service and `env.users`: accounts with normalized
 * e-mails, sessions, the e-mail flows (tokens read from the stored outgoing
 * mail, single use), roles, throttling, and app isolation. The e-mail transport
 * points nowhere and the dispatcher does not run: mails are only queued.
 */
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { outbox } from "../../events/schema.js";
import { NO_EMAIL } from "../../server/services.js";
import { testDbKinds } from "../../testing/database.js";
import { useHarness } from "../../testing/harness.js";
import { emailMessages } from "../email/schema.js";
import { appUserTokens } from "./schema.js";
import type { UsersService } from "./service.js";

const PW = "a long enough password";

describe.each(testDbKinds())("end users [%s]", (kind) => {
  const h = useHarness(kind, {
    email: { ...NO_EMAIL, transport: { kind: "smtp", url: "smtp://127.0.0.1:1" } },
  });
  const users = (): UsersService => h.services.appUsers;

  /** The default app and a second one, both allowed to send from noreply@example.com. */
  const setup = async () => {
    const owner = await h.user("owner");
    const b = await owner.post("/apps", { name: "other" });
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    for (const app of ["default", "other"])
      await owner.request("PUT", `/apps/${app}/email/senders`, { senders: ["noreply@example.com"] });
    const a = (await h.services.apps.findByRef("default"))!.id;
    return { owner, a, b: (await h.services.apps.findByRef("other"))!.id };
  };

  /** The link of the last mail sent to `to` by app `appId`. */
  const lastLink = async (appId: string, to: string) => {
    const rows = await h.services.database.db
      .select()
      .from(emailMessages)
      .where(eq(emailMessages.appId, appId));
    const mine = rows.filter((r) => r.recipients.to.includes(to));
    const text = mine.at(-1)?.content?.text ?? "";
    const m = /(http\S+)\?token=([a-z2-7]+)/.exec(text);
    return m ? { url: m[1]!, token: m[2]! } : null;
  };

  it("normalizes e-mails once, refuses a duplicate that differs only by case or Unicode form, and pages", async () => {
    const { a } = await setup();
    const u = await users().create(a, { email: "Ann@Example.com", password: PW, data: { name: "Ann" } });
    expect(u).toMatchObject({ email: "ann@example.com", data: { name: "Ann" }, verified: false, roles: [] });
    // U+FF21 (fullwidth A) is A under NFKC.
    await expect(users().create(a, { email: "\uFF21NN@example.com", password: PW })).rejects.toMatchObject({
      status: 409,
    });
    expect((await users().findByEmail(a, " ANN@example.COM "))?.id).toBe(u.id);
    for (let i = 0; i < 4; i++) await users().create(a, { email: `u${i}@example.com` });
    const p1 = await users().list(a, { limit: 3 });
    const p2 = await users().list(a, { limit: 3, cursor: p1.cursor });
    expect(p1.users).toHaveLength(3);
    expect([...p1.users, ...p2.users].map((x) => x.id)).toHaveLength(5);
    expect(p2.cursor).toBeNull();
  });

  it("logs in with the same answer for an unknown e-mail, a wrong password and a disabled user; sessions end", async () => {
    const { a } = await setup();
    const u = await users().create(a, { email: "bob@example.com", password: PW });
    const wrong = await users()
      .login(a, "bob@example.com", "wrong password")
      .catch((e) => e);
    const unknown = await users()
      .login(a, "nobody@example.com", PW)
      .catch((e) => e);
    expect([wrong.status, wrong.message]).toEqual([401, "invalid e-mail or password"]);
    expect([unknown.status, unknown.message]).toEqual([401, "invalid e-mail or password"]);
    const s = await users().login(a, "BOB@example.com", PW);
    expect(s.token).toMatch(/^[a-z2-7]{32}$/);
    expect((await users().verify(a, s.token))?.id).toBe(u.id);
    const s2 = await users().login(a, "bob@example.com", PW);
    expect(await users().logout(a, s.token)).toBe(true);
    expect(await users().verify(a, s.token)).toBeNull();
    expect((await users().verify(a, s2.token))?.id).toBe(u.id);
    await users().update(a, u.id, { disabled: true });
    expect(await users().verify(a, s2.token)).toBeNull();
    const disabled = await users()
      .login(a, "bob@example.com", PW)
      .catch((e) => e);
    expect(disabled.message).toBe("invalid e-mail or password");
  });

  it("locks an account after repeated failures (429), whoever tries", async () => {
    const { a } = await setup();
    await users().create(a, { email: "eve@example.com", password: PW });
    for (let i = 0; i < 5; i++)
      await users()
        .login(a, "eve@example.com", "nope nope nope")
        .catch(() => {});
    const locked = await users()
      .login(a, "eve@example.com", PW)
      .catch((e) => e);
    expect(locked.status).toBe(429);
  });

  it("verifies an e-mail with a single-use token stored only as a hash", async () => {
    const { a } = await setup();
    const u = await users().create(a, { email: "cat@example.com", password: PW });
    expect(await users().sendVerification(a, u.id)).toBe(true);
    const link = (await lastLink(a, "cat@example.com"))!;
    expect(link.url).toBe("http://default.localhost:8787/auth/verify");
    const stored = await h.services.database.db.select().from(appUserTokens);
    expect(stored.map((t) => t.id)).not.toContain(link.token);
    expect((await users().confirmEmail(a, link.token))?.verified).toBe(true);
    expect(await users().confirmEmail(a, link.token)).toBeNull();
  });

  it("mails a reset only for a known e-mail, answers the same either way, and a reset ends every session", async () => {
    const { a } = await setup();
    const u = await users().create(a, { email: "dan@example.com", password: PW });
    const s = await users().login(a, "dan@example.com", PW);
    expect(await users().requestPasswordReset(a, "ghost@example.com")).toBeUndefined();
    expect(await lastLink(a, "ghost@example.com")).toBeNull();
    expect(await users().requestPasswordReset(a, "DAN@example.com")).toBeUndefined();
    const link = (await lastLink(a, "dan@example.com"))!;
    expect(link.url).toBe("http://default.localhost:8787/auth/reset");
    // A verification token is not a reset token.
    await users().sendVerification(a, u.id);
    const verifyToken = (await lastLink(a, "dan@example.com"))!.token;
    expect(await users().resetPassword(a, verifyToken, "new password 123")).toBeNull();
    expect((await users().resetPassword(a, link.token, "new password 123"))?.id).toBe(u.id);
    expect(await users().verify(a, s.token)).toBeNull();
    expect(await users().resetPassword(a, link.token, "another password")).toBeNull();
    await expect(users().login(a, "dan@example.com", PW)).rejects.toMatchObject({ status: 401 });
    expect((await users().login(a, "dan@example.com", "new password 123")).user.id).toBe(u.id);
  });

  it("invites with roles; accepting sets the password, verifies and logs in; roles change", async () => {
    const { a } = await setup();
    const invited = await users().invite(a, { email: "eva@example.com", roles: ["editor"] });
    expect(invited).toMatchObject({ hasPassword: false, roles: ["editor"] });
    await expect(users().login(a, "eva@example.com", PW)).rejects.toMatchObject({ status: 401 });
    const link = (await lastLink(a, "eva@example.com"))!;
    expect(link.url).toBe("http://default.localhost:8787/auth/invite/accept");
    const s = (await users().acceptInvite(a, link.token, PW))!;
    expect(s.user).toMatchObject({ verified: true, hasPassword: true });
    expect(await users().acceptInvite(a, link.token, PW)).toBeNull();
    expect(await users().hasRole(a, invited.id, "editor")).toBe(true);
    await users().addRole(a, invited.id, "admin");
    expect((await users().removeRole(a, invited.id, "editor"))?.roles).toEqual(["admin"]);
    expect(await users().hasRole(a, invited.id, "editor")).toBe(false);
  });

  it("keeps app A's users, sessions and tokens invisible to app B", async () => {
    const { a, b } = await setup();
    const u = await users().create(a, { email: "iso@example.com", password: PW });
    const s = await users().login(a, "iso@example.com", PW);
    await users().sendVerification(a, u.id);
    const link = (await lastLink(a, "iso@example.com"))!;
    expect(await users().get(b, u.id)).toBeNull();
    expect(await users().findByEmail(b, "iso@example.com")).toBeNull();
    expect((await users().list(b)).users).toEqual([]);
    expect(await users().verify(b, s.token)).toBeNull();
    expect(await users().logout(b, s.token)).toBe(false);
    expect(await users().confirmEmail(b, link.token)).toBeNull();
    expect(await users().update(b, u.id, { disabled: true })).toBeNull();
    expect(await users().delete(b, u.id)).toBe(false);
    expect(await users().hasRole(b, u.id, "x")).toBe(false);
    await expect(users().login(b, "iso@example.com", PW)).rejects.toMatchObject({ status: 401 });
    // B may have its own user with the same e-mail.
    expect((await users().create(b, { email: "iso@example.com", password: PW })).id).not.toBe(u.id);
    expect((await users().verify(a, s.token))?.id).toBe(u.id);
    const tokens = await h.services.database.db
      .select()
      .from(appUserTokens)
      .where(and(eq(appUserTokens.appId, b)));
    expect(tokens).toEqual([]);
  });

  it("serves env.users to scripts, with TypeErrors naming the field and refusals carrying code and status", async () => {
    const { owner } = await setup();
    const out = await h.runScript(
      owner,
      `const u = await env.users.create({ email: "Zoe@Example.com", password: ${JSON.stringify(PW)}, roles: ["a"] });
       const s = await env.users.login("zoe@example.com", ${JSON.stringify(PW)});
       const me = await env.users.verify(s.token);
       const dup = await env.users.create({ email: "zoe@example.com" }).catch((e) => [e.name, e.code, e.status, e.message]);
       const bad = await env.users.create({ email: "nope", password: "x" }).catch((e) => [e.name, e.message]);
       const short = await env.users.create({ email: "y@example.com", password: "x" }).catch((e) => [e.name, e.message]);
       const extra = await env.users.create({ email: "y@example.com", colour: 1 }).catch((e) => [e.name, e.message]);
       const badId = await env.users.get("42").catch((e) => [e.name, e.message]);
       return Response.json({ email: u.email, me: me.id === u.id, role: await env.users.hasRole(u.id, "a"),
         dup, bad, short, extra, badId, out: await env.users.logout(s.token), gone: await env.users.verify(s.token),
         list: (await env.users.list({ limit: 10 })).users.length, deleted: await env.users.delete(u.id) });`,
    );
    expect(out).toEqual({
      email: "zoe@example.com",
      me: true,
      role: true,
      dup: ["Error", "conflict", 409, "users.create: a user with this e-mail exists already"],
      bad: ["TypeError", "users.create(user): email must be an e-mail address"],
      short: ["TypeError", "users.create(user): password must be at least 8 characters"],
      extra: ["TypeError", 'users.create(user): unknown field "colour"'],
      badId: ["TypeError", "users.get(id): id must be a user id"],
      out: true,
      gone: null,
      list: 1,
      deleted: true,
    });
  });
  it("serves the admin API: list, show, create, invite, disable, export, delete, with capability checks", async () => {
    const { owner } = await setup();
    const viewer = await h.user("member");
    await owner.post("/apps/default/members", { userId: viewer.userId, role: "viewer" });
    const created = await owner.post("/apps/default/users", {
      email: "Fay@Example.com",
      password: PW,
      roles: ["b", "a"],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.user).toMatchObject({
      email: "fay@example.com",
      roles: ["a", "b"],
      hasPassword: true,
    });
    expect(JSON.stringify(created.body)).not.toContain("argon2");
    const id = created.body.user.id;
    const dup = await owner.post("/apps/default/users", { email: "fay@example.com" });
    expect([dup.status, dup.body.error.code]).toEqual([409, "conflict"]);
    const bad = await owner.post("/apps/default/users", { email: "fay", password: "x" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("email must be an e-mail address");
    expect(bad.body.error.message).toContain("password must be at least 8 characters");
    expect((await viewer.post("/apps/default/users", { email: "v@example.com" })).status).toBe(403);
    const invited = await owner.post("/apps/default/users/invite", {
      email: "gil@example.com",
      roles: ["x"],
    });
    expect(invited.body.user).toMatchObject({ hasPassword: false, roles: ["x"] });
    expect(
      await lastLink((await h.services.apps.findByRef("default"))!.id, "gil@example.com"),
    ).not.toBeNull();
    const list = await viewer.get("/apps/default/users?limit=1");
    expect([list.status, list.body.users.length, typeof list.body.cursor]).toEqual([200, 1, "string"]);
    expect((await viewer.get(`/apps/default/users/${id}`)).body.user.email).toBe("fay@example.com");
    expect((await viewer.get("/apps/other/users")).status).toBe(404);
    expect((await owner.get(`/apps/other/users/${id}`)).status).toBe(404);
    expect((await owner.delete(`/apps/other/users/${id}`)).status).toBe(404);
    const session = await users().login(
      (await h.services.apps.findByRef("default"))!.id,
      "fay@example.com",
      PW,
    );
    const disabled = await owner.request("PATCH", `/apps/default/users/${id}`, { disabled: true });
    expect(disabled.body.user.disabled).toBe(true);
    expect(await users().verify((await h.services.apps.findByRef("default"))!.id, session.token)).toBeNull();
    const exported = await viewer.get("/apps/default/users/export");
    expect(exported.status).toBe(200);
    const lines = String(exported.body)
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((u) => u.email).sort()).toEqual(["fay@example.com", "gil@example.com"]);
    expect((await viewer.delete(`/apps/default/users/${id}`)).status).toBe(403);
    expect((await owner.delete(`/apps/default/users/${id}`)).status).toBe(204);
    expect((await owner.get(`/apps/default/users/${id}`)).status).toBe(404);
    expect((await owner.get("/apps/default/users/not-an-id")).status).toBe(400);
  });
  it("enqueues users triggers (created, verified, deleted) in the same transaction as the change", async () => {
    const { owner, a } = await setup();
    await owner.post("/apps/default/scripts", { name: "t", source: "export default { trigger() {} }" });
    const all = await owner.post("/apps/default/triggers", { script: "t", kind: "users", config: {} });
    expect(all.status, JSON.stringify(all.body)).toBe(201);
    expect(all.body.trigger.config).toEqual({ ops: ["created", "verified", "deleted"] });
    const bad = await owner.post("/apps/default/triggers", {
      script: "t",
      kind: "users",
      config: { ops: ["login"] },
    });
    expect(bad.status).toBe(400);
    const u = await users().create(a, { email: "hal@example.com", password: PW });
    await users().sendVerification(a, u.id);
    await users().confirmEmail(a, (await lastLink(a, "hal@example.com"))!.token);
    await users().delete(a, u.id);
    const rows = await h.services.database.db.select().from(outbox).where(eq(outbox.kind, "trigger"));
    expect(
      rows.map((r) => (r.payload as { event: { op: string } }).event?.op ?? (r.payload as { op: string }).op),
    ).toEqual(["created", "verified", "deleted"]);
    expect(JSON.stringify(rows[0]!.payload)).toContain("hal@example.com");
    expect(JSON.stringify(rows)).not.toContain("argon2");
  });
  it("lets an end user's session subscribe to a session topic, and a role-gated one only with the role", async () => {
    const { owner, a, b } = await setup();
    await owner.request("PUT", "/apps/default/topics/members", { external: true, auth: "session" });
    await owner.request("PUT", "/apps/default/topics/editors", {
      external: true,
      auth: "session",
      role: "editor",
    });
    const u = await users().create(a, { email: "ivy@example.com", password: PW });
    const s = await users().login(a, "ivy@example.com", PW);
    const subscribe = async (
      host: string,
      topic: string,
      headers: Record<string, string> = {},
      query = "",
    ) => {
      const res = await h.http.request(`http://${host}.localhost/realtime/topics/${topic}${query}`, {
        headers,
      });
      await res.body?.cancel();
      return res.status;
    };
    expect(await subscribe("default", "members")).toBe(401);
    expect(await subscribe("default", "members", { authorization: "Bearer nope" })).toBe(401);
    expect(await subscribe("default", "members", { authorization: `Bearer ${s.token}` })).toBe(200);
    expect(await subscribe("default", "members", { cookie: `picloud_user=${s.token}` })).toBe(200);
    expect(await subscribe("default", "members", {}, `?token=${s.token}`)).toBe(200);
    expect(await subscribe("default", "editors", { authorization: `Bearer ${s.token}` })).toBe(403);
    await users().addRole(a, u.id, "editor");
    expect(await subscribe("default", "editors", { authorization: `Bearer ${s.token}` })).toBe(200);
    // A session of app B means nothing on app A's host.
    await users().create(b, { email: "ivy@example.com", password: PW });
    const sb = await users().login(b, "ivy@example.com", PW);
    expect(await subscribe("default", "members", { authorization: `Bearer ${sb.token}` })).toBe(401);
    await users().logout(a, s.token);
    expect(await subscribe("default", "members", { authorization: `Bearer ${s.token}` })).toBe(401);
  });
  it("sweeps expired sessions and used or expired tokens, and keeps the rest", async () => {
    const { a } = await setup();
    const u = await users().create(a, { email: "jo@example.com", password: PW });
    const s = await users().login(a, "jo@example.com", PW);
    await users().sendVerification(a, u.id);
    await users().confirmEmail(a, (await lastLink(a, "jo@example.com"))!.token);
    await users().sendVerification(a, u.id);
    expect(await users().sweep()).toBe(1); // the used token only
    expect((await users().verify(a, s.token))?.id).toBe(u.id);
    expect(await users().sweep(new Date(Date.now() + 30 * 24 * 3600_000))).toBe(2); // the session, the unused token
    expect(await h.services.database.db.select().from(appUserTokens)).toEqual([]);
  });
});
