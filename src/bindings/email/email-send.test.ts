/**
 * What env.email.send() accepts and refuses before anything is delivered: every
 * invalid field named (nothing stored), senders outside the app's list, the
 * per-app limits, no transport configured, and [email] senders from a deploy.
 * The transport points nowhere and the dispatcher never starts: nothing here is sent.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { apps } from "../../apps/schema.js";
import { outbox } from "../../events/schema.js";
import { uuidv7 } from "../../lib/ids.js";
import { NO_EMAIL } from "../../server/services.js";
import { testDbKinds } from "../../testing/database.js";
import { type TestClient, useHarness } from "../../testing/harness.js";
import { parseSendInput } from "./message.js";
import { emailMessages } from "./schema.js";
import type { SendRefused } from "./service.js";

describe.each(testDbKinds())("env.email.send() checks [%s]", (kind) => {
  const h = useHarness(kind, {
    email: { ...NO_EMAIL, transport: { kind: "smtp", url: "smtp://127.0.0.1:1" } },
  });

  const setup = async () => {
    const owner = await h.user("owner");
    const res = await owner.request("PUT", "/apps/default/email/senders", {
      senders: ["noreply@blog.example.com", "Example.COM"],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.senders).toEqual(["noreply@blog.example.com", "example.com"]);
    return owner;
  };
  const send = (owner: TestClient, message: string, opts: { app?: string } = {}) =>
    h.runScript(
      owner,
      `try { return Response.json(await env.email.send(${message})); }
       catch (e) { return Response.json({ error: e.name + ": " + e.message, code: e.code ?? null, status: e.status ?? null }); }`,
      opts,
    );

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

  it("lets no burst of concurrent sends past the limit (one sender at a time per app)", async () => {
    const owner = await setup();
    await owner.request("PUT", "/apps/default/email/limits", { perMinute: 3, perDay: null });
    const [app] = await h.services.database.db
      .select({ id: apps.id })
      .from(apps)
      .where(eq(apps.slug, "default"));
    const ctx = {
      appId: app!.id,
      executionId: uuidv7(),
      rootExecutionId: uuidv7(),
      depth: 0,
      scriptId: uuidv7(),
      principalUserId: null,
    };
    const m = parseSendInput({ to: "a@example.org", subject: "s", text: "t" });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => h.services.email.send(ctx, m)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
    const refused = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    expect(refused.map((r) => (r.reason as SendRefused).code)).toEqual(Array(7).fill("rate_limited"));
    expect(await h.services.database.db.select().from(emailMessages)).toHaveLength(3);
    expect(
      await h.services.database.db.select().from(outbox).where(eq(outbox.kind, "email_out")),
    ).toHaveLength(3);
  });

  it.each([
    [
      "no message",
      "",
      "TypeError: email.send(message): the message must be an object {to, subject, text or html, …}",
    ],
    ["no to", `{ subject: "s", text: "t" }`, "TypeError: email.send(message): to: is required"],
    [
      "an empty to",
      `{ to: [], cc: "b@example.org", subject: "s", text: "t" }`,
      "TypeError: email.send(message): to: must name at least one address",
    ],
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
    expect(await h.services.database.db.select().from(outbox).where(eq(outbox.kind, "email_out"))).toEqual(
      [],
    );
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
