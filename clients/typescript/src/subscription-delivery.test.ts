import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { createClient } from "./client.js";
import type { Subscription } from "./subscription.js";
import { frameFor, startSseServer, type TestSseServer, waitFor } from "./testing/sse-server.js";
import { subscriptionRecorder } from "./testing/subscription-recorder.js";

let server: TestSseServer;
const { record, opened, track } = subscriptionRecorder(() => server);

describe("subscribe: delivery", () => {
  it("delivers published messages in order with their envelope, using header auth", async () => {
    server = await startSseServer({ tokens: ["secret"] });
    const rec = record("demo", { token: "secret" });
    await opened(rec);
    server.publish("demo", { text: "hello" });
    server.publish("demo", [1, 2, 3]);
    server.publish("demo", "plain");
    await waitFor(() => rec.messages.length === 3, "three messages");

    expect(rec.messages).toEqual([{ text: "hello" }, [1, 2, 3], "plain"]);
    expect(rec.metas.map((m) => m.id)).toEqual(["1", "2", "3"]);
    expect(rec.metas[0]!.topic).toBe("demo");
    expect(Number.isNaN(Date.parse(rec.metas[0]!.publishedAt))).toBe(false);
    expect(rec.sub.lastEventId).toBe("3");
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      path: "/realtime/topics/demo",
      authorization: "Bearer secret",
      accept: "text/event-stream",
    });
    expect(rec.statuses).toEqual(["open"]);
    expect(rec.errors).toEqual([]);
  });

  it("reassembles frames split at arbitrary byte boundaries, including inside UTF-8 characters", async () => {
    server = await startSseServer();
    const frames =
      `\uFEFF: hello\r\n\r\n${frameFor(1, "demo", { text: "héllo wörld ✓ 😀" }, "2026-01-01T00:00:00.000Z")}` +
      frameFor(2, "demo", { text: "second" }, "2026-01-01T00:00:01.000Z").replaceAll("\n", "\r\n");
    const bytes = new TextEncoder().encode(frames);
    server.intercept = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      let offset = 0;
      const pump = () => {
        if (offset >= bytes.length) return;
        const size = 1 + (offset % 5);
        res.write(bytes.subarray(offset, offset + size));
        offset += size;
        setImmediate(pump);
      };
      pump();
      return true;
    };
    const rec = record<{ text: string }>("demo");
    await waitFor(() => rec.messages.length === 2, "two messages");
    expect(rec.messages).toEqual([{ text: "héllo wörld ✓ 😀" }, { text: "second" }]);
    expect(rec.metas.map((m) => m.publishedAt)).toEqual([
      "2026-01-01T00:00:00.000Z",
      "2026-01-01T00:00:01.000Z",
    ]);
    expect(rec.errors).toEqual([]);
  });

  it("ignores events of other types but keeps their id", async () => {
    server = await startSseServer();
    const rec = record("demo");
    await opened(rec);
    server.writeRaw('id: 7\nevent: something-else\ndata: {"message":1}\n\n');
    server.publish("demo", "after");
    await waitFor(() => rec.messages.length === 1, "a message");
    expect(rec.messages).toEqual(["after"]);
  });

  it("starts from the given lastEventId and receives the messages after it", async () => {
    server = await startSseServer();
    for (const n of [1, 2, 3, 4]) server.publish("demo", n);
    const rec = record("demo", { lastEventId: "2" });
    await waitFor(() => rec.messages.length === 2, "the replayed messages");
    expect(rec.messages).toEqual([3, 4]);
    expect(server.requests[0]!.lastEventId).toBe("2");
  });

  it("keeps streaming when onMessage throws and reports it as handler_error", async () => {
    server = await startSseServer();
    const seen: unknown[] = [];
    const rec = record("demo", {
      onMessage: (message) => {
        seen.push(message);
        if (message === "bad") throw new Error("boom");
      },
    });
    await opened(rec);
    server.publish("demo", "bad");
    server.publish("demo", "good");
    await waitFor(() => seen.length === 2, "both messages");
    expect(rec.errors.map((e) => [e.error.code, e.fatal])).toEqual([["handler_error", false]]);
    expect(rec.sub.status).toBe("open");
  });
});

describe("subscribe: validation", () => {
  const Message = v.object({ text: v.string() });

  it("routes messages failing a valibot parse adapter to onError", async () => {
    server = await startSseServer();
    const rec = record<v.InferOutput<typeof Message>>("demo", {
      validate: { parse: (value) => v.parse(Message, value) },
    });
    await opened(rec);
    server.publish("demo", { text: "ok" });
    server.publish("demo", { text: 42 });
    server.publish("demo", { text: "also ok" });
    await waitFor(() => rec.messages.length === 2 && rec.errors.length === 1, "two messages and an error");
    expect(rec.messages).toEqual([{ text: "ok" }, { text: "also ok" }]);
    expect(rec.errors[0]!.error.code).toBe("invalid_message");
    expect(rec.errors[0]!.fatal).toBe(false);
    expect(rec.sub.lastEventId).toBe("3");
  });

  it("accepts a Standard Schema (a valibot schema as it is) and a plain function", async () => {
    server = await startSseServer();
    const viaSchema = record("demo", { validate: Message });
    const viaFunction = record<number>("demo", {
      validate: (value) => {
        if (typeof value !== "number") throw new TypeError("not a number");
        return value * 2;
      },
    });
    await opened(viaSchema);
    await opened(viaFunction);
    server.publish("demo", { text: "x" });
    server.publish("demo", 21);
    await waitFor(
      () => viaSchema.errors.length === 1 && viaFunction.messages.length === 1,
      "validation results",
    );
    expect(viaSchema.messages).toEqual([{ text: "x" }]);
    expect(viaFunction.messages).toEqual([42]);
    expect(viaFunction.errors.map((e) => e.error.code)).toEqual(["invalid_message"]);
  });

  it("reports data that is not a JSON envelope as invalid_message", async () => {
    server = await startSseServer();
    const rec = record("demo");
    await opened(rec);
    server.writeRaw("id: 1\nevent: message\ndata: not json\n\n");
    server.writeRaw('id: 2\nevent: message\ndata: {"topic":"demo"}\n\n');
    server.publish("demo", "fine");
    await waitFor(() => rec.messages.length === 1, "the valid message");
    expect(rec.errors.map((e) => e.error.code)).toEqual(["invalid_message", "invalid_message"]);
  });
});

describe("subscribe: close", () => {
  it("closes the stream, releases the socket and delivers nothing more", async () => {
    server = await startSseServer();
    const rec = record("demo");
    await opened(rec);
    expect(server.socketCount()).toBe(1);
    rec.sub.close();
    rec.sub.close();
    expect(rec.sub.status).toBe("closed");
    await waitFor(() => server.socketCount() === 0 && server.streamCount() === 0, "the socket to close");
    server.publish("demo", "late");
    expect(rec.messages).toEqual([]);
    expect(rec.statuses).toEqual(["open", "closed"]);
    expect(server.requests).toHaveLength(1);
  });

  it("cancels a pending reconnect delay", async () => {
    server = await startSseServer();
    let sleepSignal: AbortSignal | undefined;
    const rec = record("demo", {
      backoff: {
        sleep: (_ms, signal) => {
          sleepSignal = signal;
          return new Promise((resolve) => signal.addEventListener("abort", () => resolve()));
        },
      },
    });
    await opened(rec);
    server.endStreams();
    await waitFor(() => sleepSignal !== undefined, "the reconnect delay");
    rec.sub.close();
    expect(sleepSignal!.aborted).toBe(true);
    expect(rec.sub.status).toBe("closed");
    // Give a (wrong) reconnect every chance to happen before checking that none did.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.requests).toHaveLength(1);
  });

  it("can be closed from inside onMessage; later messages in the same chunk are not delivered", async () => {
    server = await startSseServer();
    const seen: unknown[] = [];
    const client = createClient({ baseUrl: server.url });
    const sub: Subscription = client.subscribe("demo", {
      onMessage: (message) => {
        seen.push(message);
        sub.close();
      },
    });
    track(sub);
    await waitFor(() => server.streamCount() === 1, "the stream");
    server.writeRaw(frameFor(1, "demo", "a", "x") + frameFor(2, "demo", "b", "x"));
    await waitFor(() => server.socketCount() === 0, "the socket to close");
    expect(seen).toEqual(["a"]);
  });
});
