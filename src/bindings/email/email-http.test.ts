/**
 * The Resend-compatible transport against a local HTTP server that checks the
 * request shape (bearer key, idempotency key, Resend's JSON fields) and answers
 * from a script: 429 then 200 is retried and sent, 422 is a dead letter with
 * the API's answer, an unreachable API is retried.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NO_EMAIL } from "../../server/services.js";
import { testDbKinds } from "../../testing/database.js";
import { type TestClient, useHarness } from "../../testing/harness.js";

const API_KEY = "re_test_4f3e2d1c0b";

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: any;
}

describe.each(testDbKinds())("env.email over a Resend-compatible API [%s]", (kind) => {
  let server: Server;
  let baseUrl = "";
  const received: Received[] = [];
  const answers: { status: number; body: unknown; raw?: string }[] = [];
  let n = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({
          method: req.method!,
          url: req.url!,
          headers: req.headers,
          body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
        });
        const answer = answers.shift() ?? { status: 200, body: { id: `re_${++n}` } };
        res.writeHead(answer.status, { "content-type": "application/json" });
        res.end(answer.raw ?? JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const h = useHarness(kind, {
    email: () => ({ ...NO_EMAIL, transport: { kind: "http", url: baseUrl, apiKey: API_KEY } }),
  });

  const setup = async () => {
    received.length = 0;
    answers.length = 0;
    const owner = await h.user("owner");
    await owner.request("PUT", "/apps/default/email/senders", { senders: ["mail.example.com"] });
    await h.services.dispatcher.start();
    return owner;
  };
  const send = async (owner: TestClient, message: string) =>
    (await h.runScript(owner, `return Response.json(await env.email.send(${message}));`)).id as string;
  const message = async (owner: TestClient, id: string) =>
    (await owner.get(`/apps/default/email/messages/${id}`)).body.message;

  it("posts Resend's JSON shape with the key, retries a 429 and records the API's id", async () => {
    const owner = await setup();
    answers.push({ status: 429, body: { name: "rate_limit_exceeded", message: "Too many requests" } });
    const id = await send(
      owner,
      `{
        from: "Shop <orders@mail.example.com>",
        to: ["ann@example.org"],
        cc: "bob@example.org",
        bcc: "audit@example.org",
        replyTo: ["help@example.com"],
        subject: "Order #42",
        text: "Thanks!",
        html: "<b>Thanks!</b>",
        headers: { "X-Order": "42" },
        attachments: [
          { filename: "invoice.pdf", content: new Uint8Array([37, 80, 68, 70, 0, 255]), contentType: "application/pdf" },
          { filename: "note.txt", content: "hé" },
        ],
      }`,
    );
    await expect.poll(async () => (await message(owner, id)).status, { timeout: 10_000 }).toBe("sent");
    expect(received).toHaveLength(2);
    for (const r of received) {
      expect(r.method).toBe("POST");
      expect(r.url).toBe("/v1/emails");
      expect(r.headers.authorization).toBe(`Bearer ${API_KEY}`);
      expect(r.headers["content-type"]).toBe("application/json");
      expect(r.headers["idempotency-key"]).toBe(id); // the same on the retry: no double send
      expect(r.body).toEqual({
        from: "Shop <orders@mail.example.com>",
        to: ["ann@example.org"],
        cc: ["bob@example.org"],
        bcc: ["audit@example.org"],
        reply_to: ["help@example.com"],
        subject: "Order #42",
        text: "Thanks!",
        html: "<b>Thanks!</b>",
        headers: { "X-Order": "42" },
        attachments: [
          {
            filename: "invoice.pdf",
            content: Buffer.from([37, 80, 68, 70, 0, 255]).toString("base64"),
            content_type: "application/pdf",
          },
          { filename: "note.txt", content: Buffer.from("hé").toString("base64") },
        ],
      });
    }
    const msg = await message(owner, id);
    expect(msg).toMatchObject({
      status: "sent",
      attempts: 2,
      serverMessageId: expect.stringMatching(/^re_\d+$/),
    });
    expect(msg.serverAnswer).toBe(`200 {"id":"${msg.serverMessageId}"}`);
    expect((await owner.get("/apps/default/dead-letters")).body.items).toEqual([]);
  });

  it("dead-letters a 422 at once with the API's answer", async () => {
    const owner = await setup();
    answers.push({
      status: 422,
      body: { name: "validation_error", message: "The mail.example.com domain is not verified." },
    });
    const id = await send(
      owner,
      `{ to: "ann@example.org", from: "x@mail.example.com", subject: "s", text: "t" }`,
    );
    await expect.poll(async () => (await message(owner, id)).status, { timeout: 10_000 }).toBe("failed");
    expect(received).toHaveLength(1);
    const answer = '422 {"name":"validation_error","message":"The mail.example.com domain is not verified."}';
    expect((await message(owner, id)).serverAnswer).toBe(answer);
    const dl = (await owner.get("/apps/default/dead-letters")).body.items;
    expect(dl).toHaveLength(1);
    expect(dl[0]).toMatchObject({ source: "email_out", attempts: 1, lastError: answer });
  });

  it("stores an answer with a NUL and a long tail cut in the middle of a surrogate pair", async () => {
    const owner = await setup();
    answers.push({ status: 400, body: null, raw: `bad\u0000request! ${"😀".repeat(600)}` });
    const id = await send(
      owner,
      `{ to: "ann@example.org", from: "x@mail.example.com", subject: "s", text: "t" }`,
    );
    await expect.poll(async () => (await message(owner, id)).status, { timeout: 10_000 }).toBe("failed");
    const answer = (await message(owner, id)).serverAnswer as string;
    expect(answer.startsWith("400 bad\uFFFDrequest! 😀")).toBe(true);
    expect(answer.length).toBe(1001); // 1000 characters and the ellipsis
    expect(answer.endsWith("\uFFFD…")).toBe(true); // the split pair's lone half replaced
  });

  it("retries a 5xx until the attempts run out, then fails with the last answer", async () => {
    const owner = await setup();
    for (let i = 0; i < 3; i++) answers.push({ status: 503, body: { message: `down ${i}` } });
    const id = await send(
      owner,
      `{ to: "ann@example.org", from: "x@mail.example.com", subject: "s", text: "t" }`,
    );
    await expect.poll(async () => (await message(owner, id)).status, { timeout: 10_000 }).toBe("failed");
    expect(received).toHaveLength(3); // TEST_EVENTS: 3 attempts
    expect(await message(owner, id)).toMatchObject({ attempts: 3, serverAnswer: '503 {"message":"down 2"}' });
  });
});

describe.each(testDbKinds())("env.email when the API cannot be reached [%s]", (kind) => {
  let closedPort = 0;
  beforeAll(async () => {
    // A port that was free a moment ago: nothing listens on it now.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });
  const h = useHarness(kind, {
    email: () => ({
      ...NO_EMAIL,
      transport: { kind: "http", url: `http://127.0.0.1:${closedPort}`, apiKey: "k" },
    }),
  });

  it("counts a refused connection as transient and keeps the error", async () => {
    const owner = await h.user("owner");
    await owner.request("PUT", "/apps/default/email/senders", { senders: ["a@example.com"] });
    await h.services.dispatcher.start();
    const { id } = await h.runScript(
      owner,
      `return Response.json(await env.email.send({ to: "b@example.org", subject: "s", text: "t" }));`,
    );
    const get = async () => (await owner.get(`/apps/default/email/messages/${id}`)).body.message;
    await expect.poll(async () => (await get()).status, { timeout: 10_000 }).toBe("failed");
    const msg = await get();
    expect(msg.attempts).toBe(3);
    expect(msg.serverAnswer).toBe(
      `http://127.0.0.1:${closedPort}/emails: connect ECONNREFUSED 127.0.0.1:${closedPort}`,
    );
  });
});
