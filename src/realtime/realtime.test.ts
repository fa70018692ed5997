import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { type TestClient, useHarness } from "../testing/harness.js";
import { collectSse } from "../testing/sse-client.js";

const PUBLISHER = `export default { async fetch(req, env) {
  const u = new URL(req.url);
  if (u.pathname === "/token") return new Response(await env.pubsub.subscriberToken(JSON.parse(u.searchParams.get("topics")), { ttl: Number(u.searchParams.get("ttl") ?? 60) }));
  const body = await req.json();
  try { return Response.json(await env.pubsub.publish(body.topic, body.message)); }
  catch (e) { return Response.json({ error: e.name + ": " + e.message }, { status: 400 }); }
} }`;

describe.each(testDbKinds())("realtime topics over SSE [%s]", (kind) => {
  const h = useHarness(kind, { realtime: { heartbeatMs: 150, bufferPerSubscriber: 5 } });

  async function setup(owner: TestClient) {
    const res = await owner.post("/apps/default/deploy", {
      scripts: [
        {
          name: "pub",
          source: PUBLISHER,
          routes: [{ path: "/publish", methods: ["POST"] }, { path: "/token" }],
        },
      ],
      topics: [
        { name: "news", external: true, auth: "public" },
        { name: "private/room", external: true, auth: "token" },
        { name: "internal", external: false, auth: "public" },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
  const publish = (topic: string, message: unknown) =>
    h.http.request("http://default.localhost/publish", {
      method: "POST",
      body: JSON.stringify({ topic, message }),
    });
  const subscribe = (topic: string, headers: Record<string, string> = {}, query = "") =>
    h.http.request(`http://default.localhost/realtime/topics/${topic}${query}`, { headers });

  it("streams messages with id, event and data, and heartbeats", async () => {
    const owner = await h.user("owner");
    await setup(owner);
    const res = await subscribe("news");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const sse = collectSse(res);
    await sse.waitFor((_, raw) => raw.includes(": connected"));
    const published = (await (await publish("news", { headline: "hello" })).json()) as { id: string };
    await sse.waitFor((events) => events.length === 1);
    expect(sse.events[0]).toMatchObject({ event: "message", id: published.id });
    const data = JSON.parse(sse.events[0]!.data);
    expect(data).toMatchObject({ topic: "news", message: { headline: "hello" } });
    expect(Date.parse(data.publishedAt)).toBeGreaterThan(0);
    await sse.waitFor((_, raw) => raw.includes(": ping"));
    await sse.close();
  });

  it("answers 404 alike for unknown and internal topics, and 401 for bad tokens", async () => {
    const owner = await h.user("owner");
    await setup(owner);
    const unknown = await subscribe("nope");
    const internal = await subscribe("internal");
    expect(unknown.status).toBe(404);
    expect(internal.status).toBe(404);
    expect(await unknown.text()).toBe(await internal.text());
    expect((await subscribe("private/room")).status).toBe(401);
    expect((await subscribe("private/room", { authorization: "Bearer garbage" })).status).toBe(401);
    const newsToken = await (
      await h.http.request(`http://default.localhost/token?topics=${encodeURIComponent('["news"]')}`)
    ).text();
    const forOtherTopic = await subscribe("private/room", { authorization: `Bearer ${newsToken}` });
    expect(forOtherTopic.status).toBe(401);
    expect(await forOtherTopic.json()).toEqual({ error: "unauthorized" });
    const token = await (
      await h.http.request(`http://default.localhost/token?topics=${encodeURIComponent('["private/room"]')}`)
    ).text();
    const byHeader = await subscribe("private/room", { authorization: `Bearer ${token}` });
    expect(byHeader.status).toBe(200);
    await byHeader.body?.cancel();
    const byQuery = await subscribe("private/room", {}, `?token=${encodeURIComponent(token)}`);
    expect(byQuery.status).toBe(200);
    await byQuery.body?.cancel();
    // A token of another app for the same topic name.
    await owner.post("/apps", { name: "Other" });
    await owner.post("/apps/other/deploy", {
      scripts: [{ name: "pub", source: PUBLISHER, routes: [{ path: "/token" }] }],
      topics: [{ name: "private/room", external: true, auth: "token" }],
    });
    const otherToken = await (
      await h.http.request(`http://other.localhost/token?topics=${encodeURIComponent('["private/room"]')}`)
    ).text();
    expect((await subscribe("private/room", { authorization: `Bearer ${otherToken}` })).status).toBe(401);
  });

  it("expires tokens (ttl clamped to at least 10 s)", async () => {
    const owner = await h.user("owner");
    await setup(owner);
    const token = await (
      await h.http.request(
        `http://default.localhost/token?topics=${encodeURIComponent('["private/room"]')}&ttl=1`,
      )
    ).text();
    const appId = (await h.services.apps.findByRef("default"))!.id;
    const claims = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString());
    expect(claims.e - Math.floor(Date.now() / 1000)).toBeGreaterThanOrEqual(9);
    expect(await h.services.subscriberTokens.verify(appId, "private/room", token)).toBe(true);
    expect(await h.services.subscriberTokens.verify(appId, "private/room", token, Date.now() + 11_000)).toBe(
      false,
    );
  });

  it("resumes from Last-Event-ID without losing or repeating messages", async () => {
    const owner = await h.user("owner");
    await setup(owner);
    const ids: string[] = [];
    for (const n of [1, 2, 3]) ids.push(((await (await publish("news", { n })).json()) as { id: string }).id);
    const res = await subscribe("news", { "last-event-id": ids[0]! });
    const sse = collectSse(res);
    await sse.waitFor((events) => events.length === 2);
    await publish("news", { n: 4 });
    await sse.waitFor((events) => events.length === 3);
    expect(sse.events.map((e) => JSON.parse(e.data).message.n)).toEqual([2, 3, 4]);
    await sse.close();
  });

  it("drops the oldest messages for a slow reader and never blocks the publisher", async () => {
    const owner = await h.user("owner");
    await setup(owner);
    const res = await subscribe("news");
    // Nobody reads the stream while 150 messages are published (stream buffer: 64 frames, then a backlog of 5).
    for (let n = 1; n <= 150; n++) expect((await publish("news", { n })).status).toBe(200);
    const sse = collectSse(res);
    await sse.waitFor((events) =>
      events.some((e) => e.event === "message" && JSON.parse(e.data).message.n === 150),
    );
    const got = sse.events.filter((e) => e.event === "message").map((e) => JSON.parse(e.data).message.n);
    expect(got.length).toBeLessThan(150);
    expect(got.at(-1)).toBe(150);
    expect(sse.events.some((e) => e.event === "dropped")).toBe(true);
    await sse.close();
  });

  it("refuses bad publishes with a clear error, and nothing reaches subscribers", async () => {
    const owner = await h.user("owner");
    await setup(owner);
    const sse = collectSse(await subscribe("news"));
    await sse.waitFor((_, raw) => raw.includes(": connected"));
    const big = await publish("news", "x".repeat(70_000));
    expect(((await big.json()) as { error: string }).error).toMatch(
      /^RangeError: message is \d+ bytes as JSON; the limit is 65536$/,
    );
    const badName = await publish("bad topic!", 1);
    expect(((await badName.json()) as { error: string }).error).toMatch(
      /^TypeError: topic "bad topic!" is not a topic name/,
    );
    await publish("news", "ok");
    await sse.waitFor((events) => events.length >= 1);
    expect(sse.events.map((e) => JSON.parse(e.data).message)).toEqual(["ok"]);
    await sse.close();
  });

  it("fans a publish out to pubsub triggers through the outbox", async () => {
    const owner = await h.user("owner");
    await setup(owner);
    await h.services.dispatcher.start();
    await owner.post("/apps/default/deploy", {
      scripts: [
        {
          name: "pub",
          source: PUBLISHER,
          routes: [{ path: "/publish", methods: ["POST"] }, { path: "/token" }],
        },
        {
          name: "listener",
          source: `export default { async trigger(e, env) { await env.kv.collection("heard").set(e.topic, e.message); } }`,
          triggers: [{ kind: "pubsub", config: { topic: "orders.*" } }],
        },
      ],
      topics: [{ name: "news", external: true, auth: "public" }],
    });
    await publish("orders.created", { id: 7 });
    await publish("news", "not for the listener");
    await expect
      .poll(
        async () =>
          h.runScript(owner, `return Response.json((await env.kv.collection("heard").list()).items)`, {
            name: "r",
          }),
        { timeout: 10_000 },
      )
      .toEqual([{ key: "orders.created", value: { id: 7 } }]);
  });

  it("manages topics through the admin API", async () => {
    const owner = await h.user("owner");
    expect(
      (await owner.request("PUT", "/apps/default/topics/chat/general", { external: true, auth: "public" }))
        .status,
    ).toBe(200);
    expect((await owner.get("/apps/default/topics")).body.topics).toEqual([
      expect.objectContaining({ name: "chat/general", external: true, auth: "public" }),
    ]);
    const session = await owner.request("PUT", "/apps/default/topics/t", { auth: "session", role: "member" });
    expect([session.status, session.body.topic?.role]).toEqual([200, "member"]);
    const roleWithoutSession = await owner.request("PUT", "/apps/default/topics/t", {
      auth: "token",
      role: "x",
    });
    expect(roleWithoutSession.status).toBe(400);
    expect(roleWithoutSession.body.error.message).toContain('role needs auth = "session"');
    expect((await owner.request("PUT", "/apps/default/topics/bad%20name", {})).status).toBe(400);
    expect((await owner.delete("/apps/default/topics/chat/general")).status).toBe(204);
    expect((await owner.delete("/apps/default/topics/chat/general")).status).toBe(404);
  });
});
