/**
 * The SMTP transport's security defaults and failure classes against a real
 * smtp-server, and the sender rules, without a daemon around them.
 */
import os from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { senderAllowed } from "./message.js";
import { smtpTransport, startTlsRequired } from "./smtp-transport.js";
import { type SmtpSink, startSmtpSink } from "./test-smtp-sink.js";
import { type DeliverableEmail, TransportError } from "./transport.js";

const message: DeliverableEmail = {
  id: "0193b2c4-0000-7000-8000-000000000001",
  from: "noreply@example.com",
  to: ["ann@example.org"],
  cc: [],
  bcc: [],
  replyTo: [],
  subject: "s",
  text: "t",
  html: null,
  headers: {},
  attachments: [],
};

const lanAddress = Object.values(os.networkInterfaces())
  .flat()
  .find((i) => i?.family === "IPv4" && !i.internal)?.address;

async function failure(p: Promise<unknown>): Promise<TransportError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TransportError);
    return err as TransportError;
  }
  throw new Error("expected the send to fail");
}

describe("when the SMTP transport requires STARTTLS", () => {
  it("requires it for every relay but loopback, and never for smtps://", () => {
    const cases: [string, boolean][] = [
      ["smtp://127.0.0.1:25", false],
      ["smtp://127.3.2.1:2525", false],
      ["smtp://LOCALHOST:25", false],
      ["smtp://[::1]:25", false],
      ["smtp://192.0.2.7:25", true],
      ["smtp://relay.example.com:587", true],
      ["smtp://localhost.example.com:25", true],
      ["smtp://[2001:db8::1]:25", true],
      ["smtps://relay.example.com:465", false],
    ];
    expect(cases.map(([url]) => [url, startTlsRequired(url)])).toEqual(cases);
  });
});

describe("the SMTP transport", () => {
  let sink: SmtpSink | undefined;
  afterEach(async () => {
    await sink?.close();
    sink = undefined;
  });

  // Needs an address that is not loopback to reach the sink by; startTlsRequired is checked above either way.
  it.skipIf(!lanAddress)(
    "requires STARTTLS for a relay that is not on loopback, unless told otherwise",
    async () => {
      sink = await startSmtpSink({ startTls: false, host: "0.0.0.0" });
      const strict = smtpTransport(`smtp://${lanAddress}:${sink.port}`, { maxConnections: 1 });
      const refused = await failure(strict.send(message));
      expect(refused.permanent).toBe(false);
      expect(refused.answer).toMatch(/STARTTLS/i);
      expect(sink.messages).toHaveLength(0);
      strict.close();
      const relaxed = smtpTransport(`smtp://${lanAddress}:${sink.port}?requireTLS=false`, {
        maxConnections: 1,
      });
      await expect(relaxed.send(message)).resolves.toMatchObject({ answer: expect.stringMatching(/^250 /) });
      expect(sink.messages).toHaveLength(1);
      relaxed.close();
    },
  );

  it("treats a refused login as transient (the relay's credentials, not the message) and never shows the password", async () => {
    sink = await startSmtpSink({ startTls: false, auth: { user: "u", pass: "right" } });
    const t = smtpTransport(`smtp://u:wrong-secret@127.0.0.1:${sink.port}`, { maxConnections: 1 });
    const refused = await failure(t.send(message));
    expect(refused.permanent).toBe(false);
    expect(refused.answer).toContain("535");
    expect(refused.answer).not.toContain("wrong-secret");
    t.close();
  });

  it("classifies SMTP answers: 4xx transient, 5xx permanent, with the server's words", async () => {
    sink = await startSmtpSink({ startTls: false });
    const t = smtpTransport(`smtp://127.0.0.1:${sink.port}`, { maxConnections: 1 });
    sink.answers.push({ code: 452, message: "4.3.1 Insufficient system storage" });
    sink.answers.push({ code: 552, message: "5.3.4 Message too big for system" });
    expect(await failure(t.send(message))).toMatchObject({
      permanent: false,
      answer: "452 4.3.1 Insufficient system storage",
    });
    expect(await failure(t.send(message))).toMatchObject({
      permanent: true,
      answer: "552 5.3.4 Message too big for system",
    });
    t.close();
  });
});

describe("the SMTP transport and refused recipients", () => {
  it("sends to the accepted ones and names the refused; all refused is permanent", async () => {
    const sink = await startSmtpSink({ startTls: false });
    try {
      sink.unknownRecipients.add("gone@example.org");
      const t = smtpTransport(`smtp://127.0.0.1:${sink.port}`, { maxConnections: 1 });
      const some = await t.send({ ...message, to: ["ann@example.org", "gone@example.org"] });
      expect(some.answer).toMatch(/^250 .* \(refused recipients: gone@example\.org\)$/);
      expect(sink.messages[0]!.to).toEqual(["ann@example.org"]);
      expect(await failure(t.send({ ...message, to: ["gone@example.org"] }))).toMatchObject({
        permanent: true,
        answer: "550 5.1.1 No such user here",
      });
      t.close();
    } finally {
      await sink.close();
    }
  });
});

describe("allowed senders", () => {
  it.each([
    ["noreply@blog.example.com", ["noreply@blog.example.com"], true],
    ["Blog <NoReply@Blog.Example.com>", ["noreply@blog.example.com"], true],
    ['"Doe, Jane" <jane@example.com>', ["example.com"], true],
    ["jane@example.com", ["blog.example.com"], false],
    ["jane@blog.example.com", ["example.com"], false],
    ["other@blog.example.com", ["noreply@blog.example.com"], false],
    ["jane@example.com.evil.org", ["example.com"], false],
    ["a@example.com, b@example.com", ["example.com"], false],
  ])("%s with %j → %s", (from, senders, allowed) => {
    expect(senderAllowed(from, senders)).toBe(allowed);
  });
});
