/**
 * Inbound e-mail in one process, through a real SMTP client (nodemailer)
 * against the real listener: a message with attachments reaches the app's
 * email() handler byte-exact; unknown recipients get 550 and oversized
 * messages 552; mail for one app never reaches another; claims are unique
 * and validated; reply()/forward() go through env.email.
 */

import { simpleParser } from "mailparser";
import nodemailer, { type SendMailOptions } from "nodemailer";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type SmtpSink, startSmtpSink } from "../bindings/email/test-smtp-sink.js";
import { createLogger } from "../lib/logger.js";
import { NO_EMAIL } from "../server/services.js";
import { testDbKinds } from "../testing/database.js";
import { type TestClient, useHarness } from "../testing/harness.js";
import { SmtpListener } from "./listener.js";

const RECORD = `
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  await env.kv.collection("mail").set(message.id, {
    app: env.APP, from: message.from, to: message.to, envelope: message.envelope, subject: message.subject,
    text: message.text ?? null, html: message.html ?? null, messageId: message.messageId ?? null,
    isHeaders: message.headers instanceof Headers, xTest: message.headers.get("x-test"),
    attachments: message.attachments.map((a) => ({ name: a.name, type: a.type, size: a.size, hex: hex(a.bytes), isBytes: a.bytes instanceof Uint8Array })),
    rawIsBytes: message.raw instanceof Uint8Array, rawText: new TextDecoder().decode(message.raw),
  });`;

describe.each(testDbKinds())("inbound e-mail [%s]", (kind) => {
  let relay: SmtpSink;
  beforeAll(async () => {
    relay = await startSmtpSink();
  });
  // Outbound mail (reply, forward) goes to a real SMTP server standing in for the operator's relay.
  const h = useHarness(kind, {
    email: () => ({
      ...NO_EMAIL,
      transport: { kind: "smtp", url: `${relay.url}?tls.rejectUnauthorized=false` },
    }),
  });
  const listeners: SmtpListener[] = [];

  async function listen(maxBytes = 1024 * 1024): Promise<number> {
    const l = new SmtpListener(
      h.services.inbox,
      {
        host: "127.0.0.1",
        port: 0,
        maxBytes,
        maxRecipients: 10,
        tls: null,
        hostname: "mx.test",
        closeTimeoutMs: 2000,
      },
      createLogger("silent"),
    );
    await l.start();
    listeners.push(l);
    return l.port;
  }
  afterEach(async () => {
    await Promise.all(listeners.splice(0).map((l) => l.stop()));
  });
  afterAll(async () => {
    await Promise.all(listeners.map((l) => l.stop()));
    await relay.close();
  });

  const send = (port: number, mail: SendMailOptions) =>
    nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true }).sendMail(mail);

  /** An app with an email handler script that records what it received, and claims. */
  async function app(owner: TestClient, slug: string, claims: { addresses?: string[]; domains?: string[] }) {
    if (slug !== "default") expect((await owner.post("/apps", { name: slug, slug })).status).toBe(201);
    const deployed = await owner.post(`/apps/${slug}/deploy`, {
      vars: { APP: slug },
      scripts: [{ name: "inbox", source: `export default { async email(message, env, ctx) { ${RECORD} } }` }],
    });
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(200);
    const trig = await owner.post(`/apps/${slug}/triggers`, { script: "inbox", kind: "email", config: {} });
    expect(trig.status, JSON.stringify(trig.body)).toBe(201);
    const set = await owner.put(`/apps/${slug}/email/inbound`, claims);
    expect(set.status, JSON.stringify(set.body)).toBe(200);
  }

  async function received(owner: TestClient, slug = "default"): Promise<any[]> {
    return h.runScript(
      owner,
      `return Response.json((await env.kv.collection("mail").list({ limit: 100 })).items.map((i) => i.value));`,
      { app: slug, name: "reader" },
    );
  }

  it("hands a message with attachments to the app's email() handler, byte-exact", async () => {
    await h.services.dispatcher.start();
    const owner = await h.user("owner");
    await app(owner, "default", { addresses: ["support@blog.example.com"] });
    const port = await listen();
    const binary = new Uint8Array(256).map((_, i) => i);
    const pdf = Buffer.from("%PDF-1.4 fake\n\u0000\u00ff", "latin1");
    const info = await send(port, {
      from: "Alice <alice@sender.example>",
      to: "Support@Blog.Example.com",
      subject: "Hello — ünïcode",
      text: "plain body",
      html: "<p>html body</p>",
      headers: { "X-Test": "yes" },
      attachments: [
        { filename: "all-bytes.bin", content: Buffer.from(binary), contentType: "application/octet-stream" },
        { filename: "doc.pdf", content: pdf, contentType: "application/pdf" },
      ],
    });
    expect(info.accepted).toHaveLength(1);
    await expect.poll(async () => (await received(owner)).length, { timeout: 10_000 }).toBe(1);
    const [m] = await received(owner);
    expect(m).toMatchObject({
      from: "alice@sender.example",
      to: ["support@blog.example.com"],
      envelope: { from: "alice@sender.example", to: ["support@blog.example.com"] },
      subject: "Hello — ünïcode",
      text: "plain body",
      html: "<p>html body</p>",
      isHeaders: true,
      xTest: "yes",
      rawIsBytes: true,
    });
    expect(m.messageId).toBe(info.messageId);
    expect(m.attachments).toEqual([
      {
        name: "all-bytes.bin",
        type: "application/octet-stream",
        size: 256,
        hex: Buffer.from(binary).toString("hex"),
        isBytes: true,
      },
      { name: "doc.pdf", type: "application/pdf", size: pdf.length, hex: pdf.toString("hex"), isBytes: true },
    ]);
    expect(m.rawText).toContain("X-Test: yes");
  });

  it("refuses an unknown recipient at RCPT TO with 550, and one of an app without an email trigger", async () => {
    const owner = await h.user("owner");
    await app(owner, "default", { domains: ["blog.example.com"] });
    expect((await owner.post("/apps", { name: "quiet", slug: "quiet" })).status).toBe(201);
    expect((await owner.put("/apps/quiet/email/inbound", { addresses: ["a@quiet.example"] })).status).toBe(
      200,
    );
    const port = await listen();
    for (const to of ["nobody@elsewhere.example", "a@quiet.example", "nobody@sub.blog.example.com"]) {
      const err = await send(port, { from: "x@sender.example", to, text: "hi" }).catch((e) => e);
      expect(err, to).toBeInstanceOf(Error);
      expect(err.responseCode, to).toBe(550);
    }
    // Any address of a claimed domain is taken.
    const ok = await send(port, { from: "x@sender.example", to: "anyone@blog.example.com", text: "hi" });
    expect(ok.accepted).toEqual(["anyone@blog.example.com"]);
  });

  it("refuses a message over the size limit with 552 and stores nothing", async () => {
    const owner = await h.user("owner");
    await app(owner, "default", { addresses: ["support@blog.example.com"] });
    const port = await listen(4096);
    const err = await send(port, {
      from: "x@sender.example",
      to: "support@blog.example.com",
      text: "x".repeat(10_000),
    }).catch((e) => e);
    expect(err.responseCode).toBe(552);
    const small = await send(port, {
      from: "x@sender.example",
      to: "support@blog.example.com",
      text: "small",
    });
    expect(small.accepted).toHaveLength(1);
    const stored = await h.testDb.database.db.execute("select count(*)::int as n from inbound_emails" as any);
    expect(((stored as any).rows ?? stored)[0].n).toBe(1);
  });

  it("never hands app A's mail to app B; a message to both is split by app", async () => {
    await h.services.dispatcher.start();
    const owner = await h.user("owner");
    await app(owner, "default", { addresses: ["a@one.example"] });
    await app(owner, "other", { domains: ["two.example"] });
    const port = await listen();
    await send(port, { from: "x@sender.example", to: "a@one.example", subject: "for A", text: "." });
    await send(port, {
      from: "x@sender.example",
      to: ["a@one.example", "b@two.example"],
      cc: "c@two.example",
      subject: "both",
      text: ".",
    });
    await expect.poll(async () => (await received(owner, "default")).length, { timeout: 10_000 }).toBe(2);
    await expect.poll(async () => (await received(owner, "other")).length, { timeout: 10_000 }).toBe(1);
    const a = await received(owner, "default");
    const b = await received(owner, "other");
    expect(a.map((m) => m.subject).sort()).toEqual(["both", "for A"]);
    expect(a.every((m) => m.app === "default" && m.to.join() === "a@one.example")).toBe(true);
    expect(b).toHaveLength(1);
    expect(b[0]).toMatchObject({ app: "other", subject: "both", to: ["b@two.example", "c@two.example"] });
  });

  it("refuses a claim another app holds, an address in another app's domain, and invalid values, naming the field", async () => {
    const owner = await h.user("owner");
    await app(owner, "default", { addresses: ["a@one.example"], domains: ["two.example"] });
    expect((await owner.post("/apps", { name: "b", slug: "b" })).status).toBe(201);
    const cases: [unknown, number, RegExp][] = [
      [
        { addresses: ["A@one.example"] },
        409,
        /email\.addresses: a@one\.example is already claimed by another app/,
      ],
      [{ domains: ["two.example"] }, 409, /email\.domains: two\.example is already claimed/],
      [{ addresses: ["x@two.example"] }, 409, /email\.addresses: x@two\.example is in two\.example/],
      [{ domains: ["one.example"] }, 409, /email\.domains: one\.example holds a@one\.example/],
      [{ addresses: ["not-an-address"] }, 400, /email\.addresses: "not-an-address" is not an e-mail address/],
      [{ domains: ["bad_domain"] }, 400, /email\.domains: "bad_domain" is not a domain/],
    ];
    for (const [body, status, message] of cases) {
      const res = await owner.put("/apps/b/email/inbound", body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.message, JSON.stringify(body)).toMatch(message);
    }
    // The same claims through a deploy manifest fail the deploy the same way.
    const dep = await owner.post("/apps/b/deploy", { scripts: [], email: { addresses: ["a@one.example"] } });
    expect(dep.status).toBe(409);
    expect(dep.body.error.message).toMatch(/email\.addresses: a@one\.example is already claimed/);
    expect((await owner.get("/apps/default/email/inbound")).body).toEqual({
      addresses: ["a@one.example"],
      domains: ["two.example"],
    });
  });

  it("reply() and forward() send through env.email (a real SMTP relay) with threading headers", async () => {
    await h.services.dispatcher.start();
    const owner = await h.user("owner");
    expect(
      (await owner.request("PUT", "/apps/default/email/senders", { senders: ["support@blog.example.com"] }))
        .status,
    ).toBe(200);
    const deployed = await owner.post("/apps/default/deploy", {
      scripts: [
        {
          name: "inbox",
          source: `export default { async email(message, env) {
            const sent = [await message.reply({ from: "support@blog.example.com", text: "thanks" }),
              await message.forward("boss@corp.example", { from: "support@blog.example.com" })];
            await env.kv.collection("mail").set(message.id, { sent });
          } }`,
        },
      ],
    });
    expect(deployed.status).toBe(200);
    expect((await owner.post("/apps/default/triggers", { script: "inbox", kind: "email" })).status).toBe(201);
    expect(
      (await owner.put("/apps/default/email/inbound", { addresses: ["support@blog.example.com"] })).status,
    ).toBe(200);
    const port = await listen();
    await send(port, {
      from: "alice@sender.example",
      replyTo: "alice+replies@sender.example",
      to: "support@blog.example.com",
      subject: "Question 2",
      text: "?",
      messageId: "<q2@sender.example>",
      references: "<q0@sender.example>",
    });
    await expect.poll(() => relay.messages.length, { timeout: 15_000 }).toBe(2);
    const parsed = await Promise.all(relay.messages.map((m) => simpleParser(m.raw)));
    const reply = parsed.find((m) => m.subject === "Re: Question 2")!;
    const forward = parsed.find((m) => m.subject === "Fwd: Question 2")!;
    expect(reply.to && "text" in reply.to ? reply.to.text : "").toBe("alice+replies@sender.example");
    expect(reply.inReplyTo).toBe("<q2@sender.example>");
    expect(reply.references).toEqual(["<q0@sender.example>", "<q2@sender.example>"]);
    expect(reply.text?.trim()).toBe("thanks");
    expect(forward.to && "text" in forward.to ? forward.to.text : "").toBe("boss@corp.example");
    // The original travels whole as a message/rfc822 part (mailparser unfolds it, so read the wire).
    const forwardRaw = relay.messages[parsed.indexOf(forward)]!.raw.toString();
    expect(forwardRaw).toContain("Content-Type: message/rfc822");
    expect(forwardRaw).toContain("Message-ID: <q2@sender.example>");
  });
});
