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
import { deadLetters } from "../../events/schema.js";
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
    const metrics = await (await h.http.request("/metrics")).text();
    for (const outcome of ["queued", "retried", "sent"])
      expect(metrics).toMatch(
        new RegExp(`picloud_email_messages_total\\{outcome="${outcome}",transport="smtp"\\} [1-9]`),
      );
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
      kind: "email_out",
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
  it("sweeps sent and failed records after the retention, never queued ones", async () => {
    const owner = await setup();
    sink.answers.push({ code: 550, message: "5.1.1 No" });
    const failed = await send(owner, `{ to: "a@example.org", subject: "f", text: "t" }`);
    await expect
      .poll(async () => (await statusOf(owner, failed.id)).status, { timeout: 10_000 })
      .toBe("failed");
    const sent = await send(owner, `{ to: "a@example.org", subject: "s", text: "t" }`);
    await expect.poll(async () => (await statusOf(owner, sent.id)).status, { timeout: 10_000 }).toBe("sent");
    // Keep the next one queued. (Stopping is for good: this stays the describe's last test.)
    await h.services.dispatcher.stop();
    const queued = await send(owner, `{ to: "a@example.org", subject: "q", text: "t" }`);
    expect(await h.services.email.sweep(new Date(Date.now() - 60_000))).toBe(0);
    expect(await h.services.email.sweep(new Date(Date.now() + 60_000))).toBe(2);
    expect((await messages(owner)).map((m) => [m.id, m.status])).toEqual([[queued.id, "queued"]]);
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
