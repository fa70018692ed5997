import { derived, get } from "svelte/store";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "./client.js";
import { PicloudError } from "./error.js";
import { endpointStore, topicStore } from "./svelte.js";
import { type Echo, startEchoServer, type TestEchoServer } from "./testing/echo-server.js";
import { startSseServer, type TestSseServer, waitFor } from "./testing/sse-server.js";
import type { TopicState } from "./topic-feed.js";

let sse: TestSseServer | undefined;
let echo: TestEchoServer | undefined;
const cleanups: (() => void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await sse?.close();
  await echo?.close();
  sse = undefined;
  echo = undefined;
});

describe("topicStore", () => {
  it("connects on the first subscriber, streams messages, and disconnects after the last", async () => {
    sse = await startSseServer({ tokens: ["tok"] });
    const client = createClient({ baseUrl: sse.url });
    const feed = topicStore<{ n: number }>(client, "demo", { token: "tok", maxMessages: 2 });
    expect(get(feed).status).toBe("idle");
    expect(sse.requests).toHaveLength(0);

    let state!: TopicState<{ n: number }>;
    const unsubscribe = feed.subscribe((value) => {
      state = value;
    });
    cleanups.push(unsubscribe);
    await waitFor(() => state.status === "open", "the store to open");
    for (const n of [1, 2, 3]) sse.publish("demo", { n });
    await waitFor(() => state.last?.n === 3, "the last message");
    expect(state.messages.map((m) => m.message)).toEqual([{ n: 2 }, { n: 3 }]);
    expect(get(feed).last).toEqual({ n: 3 });
    expect(sse.requests).toHaveLength(1);

    unsubscribe();
    await waitFor(() => sse!.streamCount() === 0 && sse!.socketCount() === 0, "the connection to close");
  });

  it("resumes with Last-Event-ID when subscribed again and works with derived stores", async () => {
    sse = await startSseServer();
    const client = createClient({ baseUrl: sse.url });
    const feed = topicStore<string>(client, "demo");
    const lastText = derived(feed, ($feed) => $feed.last ?? "(none)");
    const seen: string[] = [];
    const first = lastText.subscribe((value) => seen.push(value));
    await waitFor(() => get(feed).status === "open", "the store to open");
    sse.publish("demo", "one");
    await waitFor(() => seen.includes("one"), "the first message");
    first();
    await waitFor(() => sse!.streamCount() === 0, "the stream to close");

    sse.publish("demo", "two");
    const second = lastText.subscribe((value) => seen.push(value));
    cleanups.push(second);
    await waitFor(() => seen.includes("two"), "the missed message");
    expect(sse.requests.map((r) => r.lastEventId)).toEqual([undefined, "1"]);
    expect(seen[0]).toBe("(none)");
  });

  it("exposes a fatal error", async () => {
    sse = await startSseServer();
    const feed = topicStore(createClient({ baseUrl: sse.url }), "missing");
    let state!: TopicState<unknown>;
    cleanups.push(feed.subscribe((value) => (state = value)));
    await waitFor(() => state.status === "closed", "the store to stop");
    expect(state.error).toBeInstanceOf(PicloudError);
    expect(state.error?.status).toBe(404);
  });
});

describe("endpointStore", () => {
  it("tracks loading, data and errors, and can be read with get()", async () => {
    echo = await startEchoServer();
    const client = createClient({ baseUrl: echo.url });
    const publish = endpointStore(client.endpoint<{ text: string }, Echo>("POST", "/api/publish"));
    const states: boolean[] = [];
    cleanups.push(publish.subscribe((state) => states.push(state.loading)));

    const result = await publish.call({ text: "hello" });
    expect(result?.body).toEqual({ text: "hello" });
    expect(get(publish)).toMatchObject({ loading: false, error: undefined });
    expect(get(publish).data?.body).toEqual({ text: "hello" });
    expect(states).toEqual([false, true, false]);

    const failing = endpointStore(client.endpoint("GET", "/api/fail/object"));
    expect(await failing.call()).toBeUndefined();
    expect((get(failing).error as PicloudError).code).toBe("slug_taken");
    failing.reset();
    expect(get(failing).error).toBeUndefined();
  });
});
