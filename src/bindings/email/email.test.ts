/**
 * env.email end to end against a real SMTP server (smtp-server as the
 * operator's relay): what a script sends arrives with its headers, bodies and
 * attachments byte-exact; a 4xx is retried, a 5xx is a dead letter with the
 * server's answer; the admin API shows status and answers, per app only.
 */
import { Writable } from "node:stream";
import { eq } from "drizzle-orm";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deadLetters, outbox } from "../../events/schema.js";
import { createLogger } from "../../lib/logger.js";
import { NO_EMAIL } from "../../server/services.js";
import { testDbKinds } from "../../testing/database.js";
import { type TestClient, useHarness } from "../../testing/harness.js";
import { emailMessages } from "./schema.js";
import { type SmtpSink, startSmtpSink } from "./test-smtp-sink.js";

const SECRET_BODY = "your reset code is 918273-not-for-logs";
const ALL_BYTES = Array.from({ length: 256 }, (_, i) => i);

describe.each(testDbKinds())("env.email over SMTP (STARTTLS) [%s]", (kind) => {
  let sink: SmtpSink;
  const lines: string[] = [];
  beforeAll(async () => {
    sink = await startSmtpSink({ auth: { user: "relay-user", pass: "p@ss word" } });
  });
  afterAll(() => sink.close());
  const h = useHarness(kind, {
    // The sink's certificate is smtp-server's self-signed one.
    email: () => ({
      ...NO_EMAIL,
      transport: { kind: "smtp", url: `${sink.url}?tls.rejectUnauthorized=false` },
    }),
    log: createLogger(
      "trace",
      new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    ),
  });

  const setup = async () => {
    sink.messages.length = 0;
    sink.answers.length = 0;
    sink.attempts = 0;
    const owner = await h.user("owner");
    const res = await owner.request("PUT", "/apps/default/email/senders", {
      senders: ["noreply@blog.example.com", "Example.COM"],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.senders).toEqual(["noreply@blog.example.com", "example.com"]);
    await h.services.dispatcher.start();
    return owner;
  };
  const send = (owner: TestClient, message: string, opts: { app?: string } = {}) =>
    h.runScript(
      owner,
      `try { return Response.json(await env.email.send(${message})); }
       catch (e) { return Response.json({ error: e.name + ": " + e.message, code: e.code ?? null, status: e.status ?? null }); }`,
      opts,
    );
  const messages = async (owner: TestClient, app = "default") =>
    (await owner.get(`/apps/${app}/email/messages`)).body.items as any[];
  const statusOf = async (owner: TestClient, id: string) =>
    (await owner.get(`/apps/default/email/messages/${id}`)).body.message;

  it("delivers headers, bodies and attachments byte-exact, and records the server's id", async () => {
    const owner = await setup();
    const out = await send(
      owner,
      `{
        from: "Blog <noreply@blog.example.com>",
        to: ["Ann <ann@example.org>", "bob@example.net"],
        cc: "carol@example.org",
        bcc: ["dave@example.org"],
        replyTo: "support@example.com",
        subject: "Grüße — your code",
        text: ${JSON.stringify(SECRET_BODY)},
        html: "<p>" + ${JSON.stringify(SECRET_BODY)} + "</p>",
        headers: { "X-Campaign": "signup", "List-Unsubscribe": "<mailto:unsub@example.com>" },
        attachments: [
          { filename: "bytes.bin", content: new Uint8Array(${JSON.stringify(ALL_BYTES)}), contentType: "application/octet-stream" },
          { filename: "buffer.bin", content: new Uint8Array([1, 2, 3, 250]).buffer },
          { filename: "note.txt", content: "plain ünïcode text\\n" },
          { filename: "hello.pdf", content: "JVBERi0xLjQK", encoding: "base64", contentType: "application/pdf" },
        ],
      }`,
    );
    expect(out.id).toMatch(/^[0-9a-f-]{36}$/);
    await expect.poll(async () => (await statusOf(owner, out.id)).status, { timeout: 10_000 }).toBe("sent");

    expect(sink.messages).toHaveLength(1);
    const sunk = sink.messages[0]!;
    expect(sunk.secure).toBe(true); // upgraded with STARTTLS
    expect(sunk.user).toBe("relay-user");
    expect(sunk.from).toBe("noreply@blog.example.com");
    expect(sunk.to.sort()).toEqual(
      ["ann@example.org", "bob@example.net", "carol@example.org", "dave@example.org"].sort(),
    );
    const mail = await simpleParser(sunk.raw);
    expect(mail.subject).toBe("Grüße — your code");
    expect(mail.from?.text).toBe('"Blog" <noreply@blog.example.com>');
    expect(mail.to && !Array.isArray(mail.to) && mail.to.value.map((a) => a.address)).toEqual([
      "ann@example.org",
      "bob@example.net",
    ]);
    expect(mail.cc && !Array.isArray(mail.cc) && mail.cc.text).toBe("carol@example.org");
    expect(mail.headers.has("bcc")).toBe(false);
    expect(mail.replyTo?.text).toBe("support@example.com");
    expect(mail.headers.get("x-campaign")).toBe("signup");
    expect(mail.headerLines.find((l) => l.key === "list-unsubscribe")?.line).toBe(
      "List-Unsubscribe: <mailto:unsub@example.com>",
    );
    expect(mail.messageId).toBe(`<${out.id}@blog.example.com>`);
    expect(mail.text?.trim()).toBe(SECRET_BODY);
    expect(mail.html).toBe(`<p>${SECRET_BODY}</p>`);
    const files = Object.fromEntries(mail.attachments.map((a) => [a.filename, a]));
    expect([...files["bytes.bin"]!.content]).toEqual(ALL_BYTES);
    expect(files["bytes.bin"]!.contentType).toBe("application/octet-stream");
    expect([...files["buffer.bin"]!.content]).toEqual([1, 2, 3, 250]);
    expect(files["note.txt"]!.content.toString("utf8")).toBe("plain ünïcode text\n");
    expect(files["note.txt"]!.contentType).toBe("text/plain");
    expect(files["hello.pdf"]!.content.toString("latin1")).toBe("%PDF-1.4\n");
    expect(files["hello.pdf"]!.contentType).toBe("application/pdf");

    const msg = await statusOf(owner, out.id);
    expect(msg).toMatchObject({
      status: "sent",
      from: "Blog <noreply@blog.example.com>",
      to: ["Ann <ann@example.org>", "bob@example.net"],
      cc: ["carol@example.org"],
      bcc: ["dave@example.org"],
      subject: "Grüße — your code",
      attempts: 1,
      serverMessageId: expect.stringMatching(/^SINK\d+$/),
      attachments: null, // the content is not kept once sent
    });
    expect(msg.serverAnswer).toMatch(new RegExp(`^250 .*queued as ${msg.serverMessageId}$`));
    // Nothing of the body is kept, listed or logged.
    const [row] = await h.services.database.db
      .select()
      .from(emailMessages)
      .where(eq(emailMessages.id, out.id));
    expect(row!.content).toBeNull();
    const seen = JSON.stringify([await messages(owner), msg, lines]);
    expect(seen).not.toContain("918273");
    expect(lines.some((l) => l.includes('"e-mail sent"'))).toBe(true);
  });

  it("retries a 4xx answer and delivers on the next attempt", async () => {
    const owner = await setup();
    sink.answers.push({ code: 451, message: "4.7.1 Greylisted, try again later" });
    const out = await send(owner, `{ to: "ann@example.org", subject: "hi", text: "once" }`);
    await expect.poll(async () => (await statusOf(owner, out.id)).status, { timeout: 10_000 }).toBe("sent");
    expect(sink.attempts).toBe(2);
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0]!.from).toBe("noreply@blog.example.com"); // the first allowed address is the default
    const msg = await statusOf(owner, out.id);
    expect(msg.attempts).toBe(2);
    expect(msg.serverMessageId).toMatch(/^SINK\d+$/);
    expect(msg.serverAnswer).toContain(`queued as ${msg.serverMessageId}`);
    const dead = await h.services.database.db.select().from(deadLetters);
    expect(dead).toEqual([]);
  });

  it("dead-letters a 5xx at once with the server's answer", async () => {
    const owner = await setup();
    sink.answers.push({ code: 550, message: "5.1.1 Mailbox unavailable" });
    const out = await send(owner, `{ to: "gone@example.org", subject: "hi", text: "x" }`);
    await expect.poll(async () => (await statusOf(owner, out.id)).status, { timeout: 10_000 }).toBe("failed");
    expect(sink.attempts).toBe(1); // not retried
    const msg = await statusOf(owner, out.id);
    expect(msg.serverAnswer).toBe("550 5.1.1 Mailbox unavailable");
    expect(msg.finishedAt).not.toBeNull();
    const dl = await owner.get("/apps/default/dead-letters");
    expect(dl.body.items).toHaveLength(1);
    expect(dl.body.items[0]).toMatchObject({
      kind: "email",
      source: "email_out",
      attempts: 1,
      lastError: "550 5.1.1 Mailbox unavailable",
      payload: { source: "email_out", messageId: out.id },
    });
    // Replayed after the cause is fixed, the message goes out.
    const replay = await owner.post(`/apps/default/dead-letters/${dl.body.items[0].id}/replay`);
    expect(replay.status).toBe(200);
    await expect.poll(async () => (await statusOf(owner, out.id)).status, { timeout: 10_000 }).toBe("sent");
    expect(sink.messages).toHaveLength(1);
  });

  it("refuses a from outside the app's senders, and a domain-only list needs a from", async () => {
    const owner = await setup();
    const refused = await send(
      owner,
      `{ from: "ceo@bank.example", to: "ann@example.org", subject: "s", text: "t" }`,
    );
    expect(refused).toEqual({
      error:
        "Error: email.send: from ceo@bank.example is not an allowed sender of this app (allowed: noreply@blog.example.com, example.com); add it to [email] senders in picloud.toml",
      code: "sender_not_allowed",
      status: null,
    });
    // A domain allows any address at it, but not its subdomains.
    expect(
      (await send(owner, `{ from: "x@example.com", to: "a@example.org", subject: "s", text: "t" }`)).id,
    ).toBeDefined();
    expect(
      (await send(owner, `{ from: "x@sub.example.com", to: "a@example.org", subject: "s", text: "t" }`)).code,
    ).toBe("sender_not_allowed");
    await owner.request("PUT", "/apps/default/email/senders", { senders: ["example.com"] });
    expect(await send(owner, `{ to: "a@example.org", subject: "s", text: "t" }`)).toMatchObject({
      code: "sender_not_allowed",
      error:
        "Error: email.send: from is required: this app's senders are domains only (example.com), so there is no default address",
    });
    await owner.request("PUT", "/apps/default/email/senders", { senders: [] });
    expect((await send(owner, `{ to: "a@example.org", subject: "s", text: "t" }`)).error).toContain(
      "this app has no allowed senders",
    );
  });

  it("enforces the per-minute limit with a 429-like error, and only instance admins change limits", async () => {
    const owner = await setup();
    const appAdmin = await h.user("member");
    await owner.post("/apps/default/members", { userId: appAdmin.userId, role: "app_admin" });
    expect(
      (await appAdmin.request("PUT", "/apps/default/email/limits", { perMinute: 1000, perDay: null })).status,
    ).toBe(403);
    const set = await owner.request("PUT", "/apps/default/email/limits", { perMinute: 2, perDay: null });
    expect(set.status).toBe(200);
    expect(set.body.limits).toEqual({ perMinute: 2, perDay: 1000, override: { perMinute: 2, perDay: null } });
    const msg = `{ to: "a@example.org", subject: "s", text: "t" }`;
    expect((await send(owner, msg)).id).toBeDefined();
    expect((await send(owner, msg)).id).toBeDefined();
    expect(await send(owner, msg)).toEqual({
      error:
        "Error: email.send: this app may send 2 messages per minute and has reached it (429): try again in a minute",
      code: "rate_limited",
      status: 429,
    });
    await owner.request("PUT", "/apps/default/email/limits", { perMinute: null, perDay: 2 });
    expect((await send(owner, msg)).error).toContain("2 messages per 24 hours");
    expect(await h.services.database.db.select().from(emailMessages)).toHaveLength(2);
  });

  it.each([
    [
      "no message",
      "",
      "TypeError: email.send(message): the message must be an object {to, subject, text or html, …}",
    ],
    ["no to", `{ subject: "s", text: "t" }`, "TypeError: email.send(message): to: is required"],
    [
      "a bad to",
      `{ to: "not an address", subject: "s", text: "t" }`,
      "TypeError: email.send(message): to: must be an e-mail address like name@example.com or Name <name@example.com>",
    ],
    [
      "a bad cc entry",
      `{ to: "a@example.org", cc: ["b@example.org", "c@"], subject: "s", text: "t" }`,
      "TypeError: email.send(message): cc[1]: must be an e-mail address like name@example.com or Name <name@example.com>",
    ],
    [
      "two addresses in one string",
      `{ to: "a@example.org, b@example.org", subject: "s", text: "t" }`,
      "to: must be an e-mail address",
    ],
    [
      "a CRLF in an address",
      `{ to: "a@example.org\\r\\nBcc: x@evil.example", subject: "s", text: "t" }`,
      "TypeError: email.send(message): to: an address must not contain CR or LF",
    ],
    [
      "a CRLF in the subject",
      `{ to: "a@example.org", subject: "hi\\r\\nBcc: x@evil.example", text: "t" }`,
      "TypeError: email.send(message): subject: must not contain CR or LF",
    ],
    [
      "a CRLF in a header value",
      `{ to: "a@example.org", subject: "s", text: "t", headers: { "X-A": "1\\r\\nBcc: x@evil.example" } }`,
      "TypeError: email.send(message): headers.X-A: header values must not contain CR or LF",
    ],
    [
      "a bad header name",
      `{ to: "a@example.org", subject: "s", text: "t", headers: { "X A:": "1" } }`,
      "headers.X A:: header names must be 1-76 printable ASCII characters",
    ],
    [
      "a reserved header",
      `{ to: "a@example.org", subject: "s", text: "t", headers: { bcc: "x@evil.example" } }`,
      "headers.bcc: is set from the message's fields",
    ],
    [
      "a non-string header value",
      `{ to: "a@example.org", subject: "s", text: "t", headers: { "X-N": 1 } }`,
      "headers.X-N: header values must be a string",
    ],
    [
      "no subject",
      `{ to: "a@example.org", text: "t" }`,
      "TypeError: email.send(message): subject: is required",
    ],
    [
      "neither text nor html",
      `{ to: "a@example.org", subject: "s" }`,
      "TypeError: email.send(message): give text or html (or both)",
    ],
    ["a number as text", `{ to: "a@example.org", subject: "s", text: 5 }`, "text: must be a string"],
    [
      "an unknown field",
      `{ to: "a@example.org", subject: "s", text: "t", body: "b" }`,
      "TypeError: email.send(message): body: is not a known field",
    ],
    [
      "a bad from",
      `{ from: "nope", to: "a@example.org", subject: "s", text: "t" }`,
      "from: must be an e-mail address",
    ],
    [
      "too many recipients",
      `{ to: Array.from({ length: 30 }, (_, i) => "r" + i + "@example.org"), cc: Array.from({ length: 21 }, (_, i) => "c" + i + "@example.org"), subject: "s", text: "t" }`,
      "RangeError: email.send(message): to, cc and bcc together may name at most 50 recipients",
    ],
    [
      "an attachment without content",
      `{ to: "a@example.org", subject: "s", text: "t", attachments: [{ filename: "a.txt" }] }`,
      "attachments[0].content: is required",
    ],
    [
      "an attachment of a number",
      `{ to: "a@example.org", subject: "s", text: "t", attachments: [{ filename: "a.txt", content: 42 }] }`,
      "attachments[0].content: must be a Uint8Array, an ArrayBuffer or a string",
    ],
    [
      "bad base64",
      `{ to: "a@example.org", subject: "s", text: "t", attachments: [{ filename: "a.bin", content: "not base64!", encoding: "base64" }] }`,
      "attachments[0]: content is not valid base64",
    ],
    [
      "base64 of bytes",
      `{ to: "a@example.org", subject: "s", text: "t", attachments: [{ filename: "a.bin", content: new Uint8Array(1), encoding: "base64" }] }`,
      'attachments[0]: encoding "base64" applies to string content only',
    ],
    [
      "a path as filename",
      `{ to: "a@example.org", subject: "s", text: "t", attachments: [{ filename: "../etc/passwd", content: "x" }] }`,
      "attachments[0].filename: must not contain / or \\",
    ],
    [
      "a bad content type",
      `{ to: "a@example.org", subject: "s", text: "t", attachments: [{ filename: "a", content: "x", contentType: "text" }] }`,
      "attachments[0].contentType: must be a MIME type",
    ],
    [
      "an unknown attachment field",
      `{ to: "a@example.org", subject: "s", text: "t", attachments: [{ filename: "a", content: "x", path: "/etc/passwd" }] }`,
      "attachments[0].path: is not a known field",
    ],
    [
      "too large a message",
      `{ to: "a@example.org", subject: "s", text: "t", attachments: [{ filename: "big.bin", content: new Uint8Array(10 * 1024 * 1024) }] }`,
      "RangeError: email.send: the message is 10485769 bytes (bodies, headers and attachments); the limit is 10485760",
    ],
  ])("refuses %s, naming the field, and stores nothing", async (_label, message, error) => {
    const owner = await setup();
    const out = await send(owner, message);
    expect(out.error).toContain(error);
    expect(await h.services.database.db.select().from(emailMessages)).toEqual([]);
    expect(await h.services.database.db.select().from(outbox).where(eq(outbox.kind, "email"))).toEqual([]);
  });

  it("keeps apps apart: another app's messages are neither listed nor readable", async () => {
    const owner = await setup();
    await owner.post("/apps", { name: "Blog", slug: "blog" });
    const blogEditor = await h.user("member");
    await owner.post("/apps/blog/members", { userId: blogEditor.userId, role: "editor" });
    const out = await send(owner, `{ to: "a@example.org", subject: "default's", text: "t" }`);
    expect(out.id).toBeDefined();
    expect(await messages(owner)).toHaveLength(1);
    expect(await messages(owner, "blog")).toEqual([]);
    expect((await owner.get(`/apps/blog/email/messages/${out.id}`)).status).toBe(404);
    const cases: [string, Promise<{ status: number }>, number][] = [
      ["blog editor lists default's", blogEditor.get("/apps/default/email/messages"), 404],
      ["blog editor reads default's message", blogEditor.get(`/apps/default/email/messages/${out.id}`), 404],
      ["blog editor lists blog's", blogEditor.get("/apps/blog/email/messages"), 200],
      [
        "blog editor sets blog's senders",
        blogEditor.request("PUT", "/apps/blog/email/senders", { senders: ["blog.example.com"] }),
        200,
      ],
      [
        "blog editor sets default's senders",
        blogEditor.request("PUT", "/apps/default/email/senders", { senders: ["evil.example"] }),
        404,
      ],
      ["anonymous", h.anonymous().get("/apps/default/email/messages"), 401],
    ];
    for (const [label, res, status] of cases) expect([label, (await res).status]).toEqual([label, status]);
    const key = await owner.withKey(["app:read"], "blog");
    expect((await key.get("/apps/default/email/messages")).status).toBe(404);
    expect((await key.get("/apps/blog/email/messages")).status).toBe(200);
    // A script of blog sends only from blog's senders.
    const blogSend = await send(
      blogEditor,
      `{ from: "noreply@example.com", to: "a@example.org", subject: "s", text: "t" }`,
      { app: "blog" },
    );
    expect(blogSend.code).toBe("sender_not_allowed");
  });

  it("pages the listing and filters by status", async () => {
    const owner = await setup();
    sink.answers.push({ code: 554, message: "5.7.1 Rejected" });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await send(owner, `{ to: "a@example.org", subject: "m${i}", text: "t" }`)).id);
    await expect
      .poll(async () => (await messages(owner)).filter((m) => m.status !== "queued").length, {
        timeout: 10_000,
      })
      .toBe(3);
    const first = await owner.get("/apps/default/email/messages?limit=2");
    expect(first.body.items.map((m: any) => m.id)).toEqual([ids[2], ids[1]]);
    const second = await owner.get(`/apps/default/email/messages?limit=2&cursor=${first.body.cursor}`);
    expect(second.body.items.map((m: any) => m.id)).toEqual([ids[0]]);
    expect(second.body.cursor).toBeNull();
    const failed = await owner.get("/apps/default/email/messages?status=failed");
    expect(failed.body.items.map((m: any) => [m.id, m.serverAnswer])).toEqual([
      [ids[0], "554 5.7.1 Rejected"],
    ]);
    expect((await owner.get("/apps/default/email/messages?status=lost")).status).toBe(400);
  });
});

describe.each(testDbKinds())("env.email over smtps:// [%s]", (kind) => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink({ secure: true });
  });
  afterAll(() => sink.close());
  const h = useHarness(kind, {
    email: () => ({
      ...NO_EMAIL,
      transport: { kind: "smtp", url: `${sink.url}?tls.rejectUnauthorized=false` },
    }),
  });

  it("speaks TLS from the first byte", async () => {
    const owner = await h.user("owner");
    await owner.request("PUT", "/apps/default/email/senders", { senders: ["a@example.com"] });
    await h.services.dispatcher.start();
    const out = await h.runScript(
      owner,
      `return Response.json(await env.email.send({ to: "b@example.org", subject: "tls", text: "t" }));`,
    );
    await expect.poll(() => sink.messages.length, { timeout: 10_000 }).toBe(1);
    expect(sink.messages[0]!.secure).toBe(true);
    await expect
      .poll(async () => (await owner.get(`/apps/default/email/messages/${out.id}`)).body.message.status)
      .toBe("sent");
  });
});

describe.each(testDbKinds())("env.email without a transport [%s]", (kind) => {
  const h = useHarness(kind);

  it("refuses at send() saying which variables to set, and stores nothing", async () => {
    const owner = await h.user("owner");
    await owner.request("PUT", "/apps/default/email/senders", { senders: ["example.com"] });
    const out = await h.runScript(
      owner,
      `try { await env.email.send({ from: "a@example.com", to: "b@example.org", subject: "s", text: "t" }); return "sent"; }
       catch (e) { return Response.json({ error: e.message, code: e.code }); }`,
    );
    expect(out).toEqual({
      code: "not_configured",
      error:
        "email.send: no outbound e-mail transport is configured on this instance: the operator sets PICLOUD_SMTP_URL (an SMTP relay) or PICLOUD_EMAIL_API_URL and PICLOUD_EMAIL_API_KEY (a Resend-compatible API); see docs/email.md",
    });
    expect(await h.services.database.db.select().from(emailMessages)).toEqual([]);
    expect((await owner.get("/apps/default/email/settings")).body).toEqual({
      senders: ["example.com"],
      limits: { perMinute: 60, perDay: 1000, override: { perMinute: null, perDay: null } },
      transport: null,
    });
  });

  it("takes [email] senders from a deploy, and refuses a bad one naming it", async () => {
    const owner = await h.user("owner");
    const source = "export default { fetch() { return new Response('ok'); } }";
    const deploy = (email: unknown) =>
      owner.post("/apps/default/deploy", { scripts: [{ name: "a", source }], email });
    const first = await deploy({ senders: ["noreply@blog.example.com", "example.org"] });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.changes).toContainEqual({
      action: "update",
      kind: "email",
      name: "senders",
      detail: "noreply@blog.example.com, example.org",
    });
    expect((await owner.get("/apps/default/email/settings")).body.senders).toEqual([
      "noreply@blog.example.com",
      "example.org",
    ]);
    // The same list again changes nothing; a manifest without [email] leaves them alone.
    expect((await deploy({ senders: ["noreply@blog.example.com", "example.org"] })).body.changes).toEqual([]);
    expect((await deploy(undefined)).body.changes).toEqual([]);
    const bad = await deploy({ senders: ["not a domain"] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("email.senders");
    expect(bad.body.error.message).toContain("each sender must be an address");
    const viewer = await h.user("member");
    await owner.post("/apps/default/members", { userId: viewer.userId, role: "viewer" });
    expect((await viewer.get("/apps/default/email/settings")).status).toBe(200);
    expect((await viewer.request("PUT", "/apps/default/email/senders", { senders: [] })).status).toBe(403);
  });
});
