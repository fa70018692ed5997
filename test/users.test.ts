/**
 * End users against a running daemon with a real SMTP sink: `[users]
 * endpoints = true` deployed from picloud.toml; sign up, the verification mail
 * arrives, its link confirms the address; log in (cookie and bearer), /auth/me;
 * a reset mail, the reset ends the old sessions; an invitation sent by a script
 * with a role, accepted through the endpoint; the role checked by a script;
 * a role-gated session topic streamed to Chromium after a login by fetch.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { simpleParser } from "mailparser";
import type { Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { type SmtpSink, startSmtpSink } from "../src/bindings/email/test-smtp-sink.js";
import { browserSkipReason, launchChromium } from "../src/testing/browser.js";
import {
  ADMIN,
  type DaemonProcess,
  loginAsAdmin,
  loopbackFetch,
  runCli,
  startDaemonProcess,
} from "../src/testing/daemon.js";

// The links point at the app's host on the daemon's port (known once it runs).
const toml = (app: string) => `name = "shop"
[email]
senders = ["noreply@shop.example.com"]
[users]
endpoints = true
link_base_url = "${app}/auth"
[users.templates.invite]
subject = "Join the shop"
text = "Accept here: {{link}}"
[[topics]]
name = "editors"
external = true
auth = "session"
role = "editor"
[[scripts]]
name = "team"
main = "team.js"
routes = ["POST /team/invite", "POST /team/announce", "GET /team/editor"]
`;

// A script of the app: invites with a role, and tells whether the caller's session has it.
const SCRIPT = `export default { async fetch(req, env) {
  if (new URL(req.url).pathname === "/team/announce") {
    await env.pubsub.publish("editors", await req.json());
    return new Response("sent");
  }
  if (req.method === "POST") {
    const { email } = await req.json();
    return Response.json(await env.users.invite(email, { roles: ["editor"] }));
  }
  const token = (req.headers.get("authorization") ?? "").replace(/^Bearer /, "");
  const user = await env.users.verify(token);
  if (!user) return new Response("who are you?", { status: 401 });
  return Response.json({ email: user.email, editor: await env.users.hasRole(user.id, "editor") });
} }`;

const skipBrowser = browserSkipReason();

describe("end users against a running daemon", () => {
  const work = mkdtempSync(path.join(os.tmpdir(), "picloud-users-"));
  let daemon: DaemonProcess | undefined;
  let sink: SmtpSink | undefined;
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
    await sink?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("signs up, verifies by mail, logs in, resets (old sessions end), invites and accepts", {
    timeout: 120_000,
  }, async () => {
    sink = await startSmtpSink({ startTls: false });
    daemon = await startDaemonProcess({
      ...ADMIN,
      PICLOUD_DEPLOY_ON_START: "off",
      PICLOUD_SMTP_URL: sink.url,
      PICLOUD_RETRY_DELAY_MS: "200",
    });
    const cli = { PICLOUD_CONFIG_DIR: path.join(work, "config"), PICLOUD_URL: daemon.url };
    await loginAsAdmin(cli);
    const project = path.join(work, "project");
    mkdirSync(project);
    writeFileSync(path.join(project, "picloud.toml"), toml(daemon.appUrl("shop")));
    writeFileSync(path.join(project, "team.js"), SCRIPT);
    const deployed = await runCli(["deploy"], cli, undefined, { cwd: project });
    expect(deployed.code, deployed.stderr).toBe(0);

    const app = daemon.appUrl("shop");
    const call = async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await loopbackFetch(`${app}${p}`, {
        method,
        headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let json: any = null;
      try {
        json = JSON.parse(text);
      } catch {}
      return { status: res.status, json, text, headers: res.headers };
    };
    let seen = 0;
    /** The next mail the sink receives: its recipient, subject and link. */
    const nextMail = async () => {
      const deadline = Date.now() + 30_000;
      while (sink!.messages.length <= seen) {
        if (Date.now() > deadline) throw new Error("no mail arrived");
        await new Promise((r) => setTimeout(r, 50));
      }
      const parsed = await simpleParser(sink!.messages[seen++]!.raw);
      const link = /(https?:\/\/\S+\?token=[a-z2-7]+)/.exec(parsed.text ?? "")?.[1] ?? null;
      return { to: sink!.messages[seen - 1]!.to, subject: parsed.subject, link };
    };

    // Sign-up answers the same for a new and a taken address; only the new one gets a mail.
    const signup = await call("POST", "/auth/signup", {
      email: "Ann@Example.com",
      password: "first password",
    });
    expect(signup.status).toBe(202);
    const verifyMail = await nextMail();
    expect(verifyMail).toMatchObject({ to: ["ann@example.com"], subject: "Confirm your e-mail address" });
    expect(verifyMail.link).toMatch(new RegExp(`^${app}/auth/verify\\?token=`));
    const again = await call("POST", "/auth/signup", {
      email: "ann@example.com",
      password: "other password",
    });
    expect([again.status, again.json]).toEqual([signup.status, signup.json]);
    const bad = await call("POST", "/auth/signup", { email: "ann@example.com", password: "short" });
    expect([bad.status, bad.json.error.message]).toEqual([400, expect.stringContaining("password")]);

    // Following the link confirms the address, once.
    const opened = await loopbackFetch(verifyMail.link!);
    expect(opened.status).toBe(200);
    expect((await loopbackFetch(verifyMail.link!)).status).toBe(400);

    // Log in: a cookie for browsers, the token for bearer use.
    const wrong = await call("POST", "/auth/login", { email: "ann@example.com", password: "not it at all" });
    const unknown = await call("POST", "/auth/login", {
      email: "bob@example.com",
      password: "first password",
    });
    expect([wrong.status, wrong.json]).toEqual([unknown.status, unknown.json]);
    const login = await call("POST", "/auth/login", { email: "ANN@example.com", password: "first password" });
    expect(login.status).toBe(200);
    const setCookie = login.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/^picloud_user=[a-z2-7]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
    const cookie = setCookie.split(";")[0]!;
    const me = await call("GET", "/auth/me", undefined, { cookie });
    expect(me.json.user).toMatchObject({ email: "ann@example.com", verified: true });
    const bearer = { authorization: `Bearer ${login.json.token}` };
    expect((await call("GET", "/auth/me", undefined, bearer)).json.user.id).toBe(me.json.user.id);

    // Reset: the same answer for an unknown address; the mail's token sets a new password and ends sessions.
    const resetUnknown = await call("POST", "/auth/reset", { email: "nobody@example.com" });
    const reset = await call("POST", "/auth/reset", { email: "ann@example.com" });
    expect([reset.status, reset.json]).toEqual([resetUnknown.status, resetUnknown.json]);
    const resetMail = await nextMail();
    expect(resetMail).toMatchObject({ to: ["ann@example.com"], subject: "Reset your password" });
    const token = new URL(resetMail.link!).searchParams.get("token");
    // The link opens a page with a password form (the app has no page of its own).
    const form = await call("GET", new URL(resetMail.link!).pathname + new URL(resetMail.link!).search);
    expect([form.status, form.text.includes('type="password"'), form.text.includes(token!)]).toEqual([
      200,
      true,
      false,
    ]);
    const done = await call("POST", "/auth/reset", { token, password: "second password" });
    expect(done.status).toBe(200);
    expect((await call("GET", "/auth/me", undefined, { cookie })).status).toBe(401);
    expect((await call("GET", "/auth/me", undefined, bearer)).status).toBe(401);
    expect((await call("POST", "/auth/reset", { token, password: "third password" })).status).toBe(400);
    expect(
      (await call("POST", "/auth/login", { email: "ann@example.com", password: "first password" })).status,
    ).toBe(401);
    const relogin = await call("POST", "/auth/login", {
      email: "ann@example.com",
      password: "second password",
    });
    expect(relogin.status).toBe(200);
    const annBearer = { authorization: `Bearer ${relogin.json.token}` };
    expect((await call("GET", "/team/editor", undefined, annBearer)).json).toEqual({
      email: "ann@example.com",
      editor: false,
    });

    // A script invites with a role; the invitation is accepted through the endpoint.
    const invited = await call("POST", "/team/invite", { email: "eva@example.com" });
    expect(invited.json).toMatchObject({ email: "eva@example.com", roles: ["editor"], hasPassword: false });
    const inviteMail = await nextMail();
    expect(inviteMail).toMatchObject({ to: ["eva@example.com"], subject: "Join the shop" });
    expect(inviteMail.link).toMatch(new RegExp(`^${app}/auth/invite/accept\\?token=`));
    const accepted = await call("POST", "/auth/invite/accept", {
      token: new URL(inviteMail.link!).searchParams.get("token"),
      password: "eva's password",
    });
    expect(accepted.status).toBe(200);
    expect(accepted.json.user).toMatchObject({ email: "eva@example.com", verified: true });
    const eva = { authorization: `Bearer ${accepted.json.token}` };
    expect((await call("GET", "/team/editor", undefined, eva)).json).toEqual({
      email: "eva@example.com",
      editor: true,
    });

    // A session topic that needs the editor role: Eva's session streams, Ann's is refused, none is 401.
    const subscribe = async (headers: Record<string, string>) => {
      const res = await loopbackFetch(`${app}/realtime/topics/editors`, { headers });
      await res.body?.cancel();
      return res.status;
    };
    expect(await subscribe(eva)).toBe(200);
    expect(await subscribe(annBearer)).toBe(403);
    expect(await subscribe({})).toBe(401);

    // The same from a real browser on the app's own host: Eva logs in with fetch (the browser keeps
    // the HttpOnly cookie), and an EventSource on the topic receives what a script publishes.
    if (skipBrowser === null) {
      browser = await launchChromium();
      const page = await browser.newPage();
      await page.goto(`${app}/auth/me`);
      const opened = await page.evaluate(async () => {
        const login = await fetch("/auth/login", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email: "eva@example.com", password: "eva's password" }),
        });
        const w = globalThis as unknown as { got: string[] };
        w.got = [];
        const source = new EventSource("/realtime/topics/editors");
        source.onmessage = (e) => w.got.push(e.data);
        const open = await new Promise<boolean>((resolve) => {
          source.onopen = () => resolve(true);
          source.onerror = () => resolve(false);
        });
        return {
          login: login.status,
          open,
          cookieVisible: (globalThis as unknown as { document: { cookie: string } }).document.cookie.includes(
            "picloud_user",
          ),
        };
      });
      expect(opened).toEqual({ login: 200, open: true, cookieVisible: false });
      expect((await call("POST", "/team/announce", { text: "hello editors" })).text).toBe("sent");
      await expect
        .poll(() => page.evaluate(() => (globalThis as unknown as { got: string[] }).got), {
          timeout: 10_000,
        })
        .toEqual([expect.stringContaining("hello editors")]);
      await browser.close();
      browser = undefined;
    } else console.warn(`users: the browser part is skipped: ${skipBrowser}`);

    // @picloud/client: client.auth logs in, its token rides on endpoint calls, onChange and the Svelte store follow.
    // The built package (npm run build), as an app would import it; loaded by path so the daemon's
    // tsconfig (no DOM types) does not type-check the browser client.
    const dist = "../clients/typescript/dist/";
    const { createClient } = await import(`${dist}index.js`);
    const { userStore } = await import(`${dist}svelte.js`);
    const client = createClient({
      baseUrl: app,
      fetch: (input: string, init: unknown) =>
        loopbackFetch(input, init as never) as unknown as Promise<Response>,
    });
    const seenUsers: (string | null)[] = [];
    client.auth.onChange((u: { email: string } | null) => seenUsers.push(u?.email ?? null));
    const store = userStore(client);
    let stored: string | null | undefined;
    const stop = store.subscribe((u: { email: string } | null) => {
      stored = u?.email ?? null;
    });
    expect(await client.auth.me()).toBeNull();
    await expect(
      client.auth.logIn({ email: "ann@example.com", password: "wrong password" }),
    ).rejects.toMatchObject({
      status: 401,
    });
    expect((await client.auth.logIn({ email: "ann@example.com", password: "second password" })).email).toBe(
      "ann@example.com",
    );
    expect(stored).toBe("ann@example.com");
    expect(await client.endpoint("GET", "/team/editor")()).toEqual({
      email: "ann@example.com",
      editor: false,
    });
    expect((await client.auth.me())?.verified).toBe(true);
    await client.auth.logOut();
    expect([client.auth.user, client.auth.token(), stored]).toEqual([null, null, null]);
    expect(seenUsers).toEqual(["ann@example.com", null]);
    stop();

    // The CLI: list, show by e-mail, disable (sessions end), export as JSON lines, remove.
    const ls = await runCli(["users", "ls", "--app", "shop", "-o", "json"], cli);
    expect(ls.code, ls.stderr).toBe(0);
    expect(JSON.parse(ls.stdout).users.map((u: { email: string }) => u.email)).toEqual([
      "ann@example.com",
      "eva@example.com",
    ]);
    const shown = await runCli(["users", "show", "eva@example.com", "--app", "shop"], cli);
    expect(shown.stdout).toMatch(/roles:\s+editor/);
    const disabled = await runCli(["users", "disable", "eva@example.com", "--app", "shop"], cli);
    expect(disabled.stdout).toContain("Disabled eva@example.com");
    expect((await call("GET", "/auth/me", undefined, eva)).status).toBe(401);
    const exported = await runCli(["users", "export", "--app", "shop"], cli);
    expect(
      exported.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).email),
    ).toEqual(["ann@example.com", "eva@example.com"]);
    const created = await runCli(
      [
        "users",
        "create",
        "cli@example.com",
        "--password-stdin",
        "--role",
        "x",
        "--app",
        "shop",
        "-o",
        "json",
      ],
      cli,
      "cli password\n",
    );
    expect(created.code, created.stderr).toBe(0);
    expect(
      (await call("POST", "/auth/login", { email: "cli@example.com", password: "cli password" })).status,
    ).toBe(200);
    expect((await runCli(["users", "rm", "cli@example.com", "--app", "shop"], cli)).stdout).toContain(
      "Removed",
    );

    // Logout ends the session; the sink got exactly the three mails (none for the taken sign-up or the unknown reset).
    expect((await call("POST", "/auth/logout", undefined, annBearer)).status).toBe(204);
    expect((await call("GET", "/auth/me", undefined, annBearer)).status).toBe(401);
    expect(sink.messages).toHaveLength(3);
  });
});
