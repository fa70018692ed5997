import { describe, expect, it } from "vitest";
import { createClient } from "./client.js";
import type { PicloudError } from "./error.js";
import { startSseServer, type TestSseServer, waitFor } from "./testing/sse-server.js";
import { subscriptionRecorder } from "./testing/subscription-recorder.js";

let server: TestSseServer;
const { record, opened, track } = subscriptionRecorder(() => server);

describe("subscribe: reconnection", () => {
  it("reconnects after the server closes, sending Last-Event-ID, and receives the missed messages", async () => {
    server = await startSseServer();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const rec = record("demo", { backoff: { random: () => 0, sleep: () => gate } });
    await opened(rec);
    server.publish("demo", "one");
    server.publish("demo", "two");
    await waitFor(() => rec.messages.length === 2, "the first two messages");

    server.endStreams();
    await waitFor(() => rec.sub.status === "reconnecting", "the client to notice the close");
    server.publish("demo", "three");
    server.publish("demo", "four");
    release();
    await waitFor(() => rec.messages.length === 4, "the replayed messages");

    expect(rec.messages).toEqual(["one", "two", "three", "four"]);
    expect(server.requests.map((r) => r.lastEventId)).toEqual([undefined, "2"]);
    expect(rec.statuses).toEqual(["open", "reconnecting", "open"]);
    expect(rec.errors).toEqual([]);
  });

  it("keeps the last event id across a reconnect even when the new stream starts with a heartbeat", async () => {
    server = await startSseServer();
    const rec = record("demo");
    await opened(rec);
    server.publish("demo", "one");
    await waitFor(() => rec.messages.length === 1, "a message");
    server.endStreams();
    await waitFor(() => server.requests.length === 2 && server.streamCount() === 1, "the reconnection");
    server.heartbeat();
    server.endStreams();
    await waitFor(() => server.requests.length === 3, "a second reconnection");
    expect(server.requests.map((r) => r.lastEventId)).toEqual([undefined, "1", "1"]);
  });

  it("follows the backoff schedule 1 s → 30 s and resets it after a successful connection", async () => {
    server = await startSseServer();
    server.intercept = (_req, res, index) => {
      if (index >= 7) return false;
      res.writeHead(503, { "content-type": "application/json", connection: "close" });
      res.end(JSON.stringify({ error: { code: "unavailable", message: "busy" } }));
      return true;
    };
    const rec = record("demo");
    await opened(rec);
    expect(rec.sleeps).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(rec.errors.every((e) => e.error.code === "unavailable" && !e.fatal)).toBe(true);
    expect(rec.errors).toHaveLength(7);

    server.endStreams();
    await waitFor(() => server.requests.length === 9 && rec.sub.status === "open", "a reconnection");
    expect(rec.sleeps.slice(7)).toEqual([1000]);
  });

  it("applies jitter within the lower half of each delay and honours Retry-After", async () => {
    server = await startSseServer();
    server.intercept = (_req, res, index) => {
      if (index >= 3) return false;
      const headers: Record<string, string> = { connection: "close" };
      if (index === 2) headers["retry-after"] = "5";
      res.writeHead(index === 2 ? 429 : 502, headers);
      res.end();
      return true;
    };
    const rec = record("demo", {
      backoff: { random: () => 0.5, sleep: async (ms) => void rec.sleeps.push(ms) },
    });
    await opened(rec);
    expect(rec.sleeps).toEqual([750, 1500, 5000]);
    expect(rec.errors.map((e) => e.error.code)).toEqual(["bad_gateway", "bad_gateway", "rate_limited"]);
  });

  it("uses the server's retry field as the base delay", async () => {
    server = await startSseServer();
    const rec = record("demo");
    await opened(rec);
    server.writeRaw("retry: 250\n\n");
    server.endStreams();
    await waitFor(() => server.requests.length === 2, "a reconnection");
    expect(rec.sleeps).toEqual([250]);
  });

  it("retries network errors with backoff until closed", async () => {
    server = await startSseServer();
    const url = server.url;
    await server.close();
    const client = createClient({ baseUrl: url });
    const errors: PicloudError[] = [];
    const sleeps: number[] = [];
    const sub = client.subscribe("demo", {
      onMessage: () => {},
      onError: (error) => errors.push(error),
      backoff: { random: () => 0, sleep: async (ms) => void sleeps.push(ms) },
    });
    track(sub);
    await waitFor(() => errors.length >= 3, "three failed attempts");
    sub.close();
    expect(errors.slice(0, 3).map((e) => [e.code, e.status])).toEqual([
      ["network_error", 0],
      ["network_error", 0],
      ["network_error", 0],
    ]);
    expect(sleeps.slice(0, 3)).toEqual([1000, 2000, 4000]);
    expect(sub.status).toBe("closed");
  });
});

describe("subscribe: liveness", () => {
  it("reconnects when nothing arrives within the heartbeat timeout", async () => {
    server = await startSseServer();
    const rec = record("demo", { heartbeatTimeoutMs: 400 });
    await opened(rec);
    server.publish("demo", "before");
    await waitFor(() => server.requests.length === 2, "a reconnection after silence");
    expect(rec.errors[0]!.error.code).toBe("heartbeat_timeout");
    expect(rec.errors[0]!.fatal).toBe(false);
    expect(server.requests[1]!.lastEventId).toBe("1");
  });

  it("also times out a server that never sends response headers", async () => {
    server = await startSseServer();
    server.intercept = (_req, _res, index) => index === 0; // the first request is left hanging
    const rec = record("demo", { heartbeatTimeoutMs: 400 });
    await opened(rec);
    expect(rec.errors.map((e) => e.error.code)).toEqual(["heartbeat_timeout"]);
    expect(server.requests).toHaveLength(2);
  });

  it("treats heartbeats as liveness, so a quiet but healthy stream stays connected", async () => {
    server = await startSseServer();
    const rec = record("demo", { heartbeatTimeoutMs: 600 });
    await opened(rec);
    // Heartbeats every 100 ms for 2.5 timeout periods: without them the client would reconnect.
    for (let i = 0; i < 15; i++) {
      server.heartbeat();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(server.requests).toHaveLength(1);
    expect(rec.errors).toEqual([]);
    expect(rec.sub.status).toBe("open");
  });
});

describe("subscribe: auth and fatal responses", () => {
  it("on 401 asks onTokenExpired for a fresh token and reconnects with it", async () => {
    server = await startSseServer({ tokens: ["fresh"] });
    let asked = 0;
    const rec = record("demo", {
      token: "expired",
      onTokenExpired: () => {
        asked++;
        return "fresh";
      },
    });
    await opened(rec);
    server.publish("demo", "hi");
    await waitFor(() => rec.messages.length === 1, "a message");
    expect(asked).toBe(1);
    expect(server.requests.map((r) => r.authorization)).toEqual(["Bearer expired", "Bearer fresh"]);
    expect(rec.errors).toEqual([]);
    expect(rec.sleeps).toEqual([]);
  });

  it("uses getToken for the first token and again after a 401", async () => {
    server = await startSseServer({ tokens: ["t1"] });
    const issued = ["t1", "t2"];
    let calls = 0;
    const rec = record("demo", { getToken: async () => issued[calls++] });
    await opened(rec);
    server.tokens.clear();
    server.tokens.add("t2");
    server.endStreams();
    await waitFor(() => server.requests.length === 3 && rec.sub.status === "open", "reconnect with t2");
    expect(server.requests.map((r) => r.authorization)).toEqual(["Bearer t1", "Bearer t1", "Bearer t2"]);
    expect(calls).toBe(2);
  });

  it("stops with an error on 401 when no fresh token can be had", async () => {
    server = await startSseServer({ tokens: ["good"] });
    const rec = record("demo", { token: "bad" });
    await waitFor(() => rec.sub.status === "closed", "the subscription to stop");
    expect(rec.errors.map((e) => [e.error.code, e.error.status, e.fatal])).toEqual([
      ["unauthorized", 401, true],
    ]);
    expect(rec.errors[0]!.error.message).toBe("Invalid or expired token");
    expect(server.requests).toHaveLength(1);

    const refused = record("demo", { token: "bad", onTokenExpired: () => null });
    await waitFor(() => refused.sub.status === "closed", "the second subscription to stop");
    expect(refused.errors.map((e) => [e.error.code, e.fatal])).toEqual([["unauthorized", true]]);
    expect(server.requests).toHaveLength(2);
  });

  it("stops when the refreshed token is rejected too", async () => {
    server = await startSseServer({ tokens: ["good"] });
    const rec = record("demo", { token: "bad", onTokenExpired: () => "still-bad" });
    await waitFor(() => rec.sub.status === "closed", "the subscription to stop");
    expect(server.requests.map((r) => r.authorization)).toEqual(["Bearer bad", "Bearer still-bad"]);
    expect(rec.errors.map((e) => [e.error.code, e.fatal])).toEqual([["unauthorized", true]]);
  });

  it("stops on 404 without retrying", async () => {
    server = await startSseServer({ topics: ["demo"] });
    const rec = record("missing");
    await waitFor(() => rec.sub.status === "closed", "the subscription to stop");
    expect(rec.errors.map((e) => [e.error.code, e.error.status, e.fatal])).toEqual([
      ["not_found", 404, true],
    ]);
    expect(rec.errors[0]!.error.body).toEqual({ error: { code: "not_found", message: "Topic not found" } });
    expect(rec.sleeps).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it("stops on other 4xx responses such as 403", async () => {
    server = await startSseServer();
    server.intercept = (_req, res) => {
      res.writeHead(403, { "content-type": "application/json", connection: "close" });
      res.end(JSON.stringify({ error: { code: "forbidden", message: "Topic is not external" } }));
      return true;
    };
    const rec = record("demo");
    await waitFor(() => rec.sub.status === "closed", "the subscription to stop");
    expect(rec.errors.map((e) => [e.error.code, e.error.status, e.fatal])).toEqual([
      ["forbidden", 403, true],
    ]);
    expect(server.requests).toHaveLength(1);
  });

  it("retries with backoff when getToken throws", async () => {
    server = await startSseServer({ tokens: ["ok"] });
    let calls = 0;
    const rec = record("demo", {
      getToken: () => {
        calls++;
        if (calls === 1) throw new Error("auth server down");
        return "ok";
      },
    });
    await opened(rec);
    expect(rec.errors.map((e) => [e.error.code, e.fatal])).toEqual([["token_error", false]]);
    expect(rec.sleeps).toEqual([1000]);
    expect(server.requests.map((r) => r.authorization)).toEqual(["Bearer ok"]);
  });

  it("falls back to the client's end-user token (session topics)", async () => {
    server = await startSseServer({ tokens: ["session-1"] });
    const client = createClient({ baseUrl: server.url, token: () => "session-1" });
    const sub = client.subscribe("demo", { onMessage: () => {} });
    track(sub);
    await waitFor(() => sub.status === "open", "the stream to open");
    expect(server.requests[0]!.authorization).toBe("Bearer session-1");
  });

  it("stops when a 200 response is not an event stream", async () => {
    server = await startSseServer();
    server.intercept = (_req, res) => {
      res.writeHead(200, { "content-type": "text/html", connection: "close" });
      res.end("<html></html>");
      return true;
    };
    const rec = record("demo");
    await waitFor(() => rec.sub.status === "closed", "the subscription to stop");
    expect(rec.errors.map((e) => [e.error.code, e.fatal])).toEqual([["invalid_response", true]]);
  });
});
