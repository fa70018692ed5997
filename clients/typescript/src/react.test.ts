// @vitest-environment happy-dom
import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import * as v from "valibot";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "./client.js";
import { PicloudError } from "./error.js";
import { useEndpoint, useTopic } from "./react.js";
import { type Echo, startEchoServer, type TestEchoServer } from "./testing/echo-server.js";
import { startSseServer, type TestSseServer } from "./testing/sse-server.js";

let sse: TestSseServer | undefined;
let echo: TestEchoServer | undefined;

afterEach(async () => {
  cleanup();
  await sse?.close();
  await echo?.close();
  sse = undefined;
  echo = undefined;
});

describe("useTopic", () => {
  it("streams messages into last/messages, bounded, with status", async () => {
    sse = await startSseServer({ tokens: ["tok"] });
    const client = createClient({ baseUrl: sse.url });
    const { result } = renderHook(() =>
      useTopic<{ n: number }>(client, "demo", { token: "tok", maxMessages: 2 }),
    );
    expect(result.current.status).toBe("connecting");
    await waitFor(() => expect(result.current.status).toBe("open"));

    act(() => {
      for (const n of [1, 2, 3]) sse!.publish("demo", { n });
    });
    await waitFor(() => expect(result.current.last).toEqual({ n: 3 }));
    expect(result.current.messages.map((m) => m.message)).toEqual([{ n: 2 }, { n: 3 }]);
    expect(result.current.messages.map((m) => m.id)).toEqual(["2", "3"]);
    expect(result.current.lastEventId).toBe("3");
    expect(result.current.error).toBeUndefined();
  });

  it("closes the stream on unmount", async () => {
    sse = await startSseServer();
    const client = createClient({ baseUrl: sse.url });
    const { result, unmount } = renderHook(() => useTopic(client, "demo"));
    await waitFor(() => expect(result.current.status).toBe("open"));
    expect(sse.streamCount()).toBe(1);
    unmount();
    await waitFor(() => expect(sse!.streamCount()).toBe(0));
    await waitFor(() => expect(sse!.socketCount()).toBe(0));
  });

  it("stays idle when disabled or without a topic, and resubscribes when the topic changes", async () => {
    sse = await startSseServer({ topics: ["a", "b"] });
    const client = createClient({ baseUrl: sse.url });
    const { result, rerender } = renderHook(
      ({ topic, enabled }: { topic: string | null; enabled: boolean }) =>
        useTopic(client, topic, { enabled }),
      { initialProps: { topic: null as string | null, enabled: true } },
    );
    expect(result.current.status).toBe("idle");
    rerender({ topic: "a", enabled: false });
    expect(result.current.status).toBe("idle");
    expect(sse.requests).toHaveLength(0);

    rerender({ topic: "a", enabled: true });
    await waitFor(() => expect(result.current.status).toBe("open"));
    act(() => void sse!.publish("a", "from a"));
    await waitFor(() => expect(result.current.last).toBe("from a"));

    rerender({ topic: "b", enabled: true });
    await waitFor(() => expect(result.current.status).toBe("open"));
    expect(result.current.messages).toEqual([]);
    act(() => void sse!.publish("b", "from b"));
    await waitFor(() => expect(result.current.last).toBe("from b"));
    expect(sse.requests.map((r) => r.path)).toEqual(["/realtime/topics/a", "/realtime/topics/b"]);
    await waitFor(() => expect(sse!.streamCount()).toBe(1));
  });

  it("resumes from the last event id and keeps history when the token changes", async () => {
    sse = await startSseServer({ tokens: ["t1", "t2"] });
    const client = createClient({ baseUrl: sse.url });
    const { result, rerender } = renderHook(({ token }) => useTopic(client, "demo", { token }), {
      initialProps: { token: "t1" },
    });
    await waitFor(() => expect(result.current.status).toBe("open"));
    act(() => void sse!.publish("demo", 1));
    await waitFor(() => expect(result.current.last).toBe(1));
    rerender({ token: "t2" });
    await waitFor(() => expect(sse!.requests).toHaveLength(2));
    await waitFor(() => expect(result.current.status).toBe("open"));
    expect(sse.requests[1]).toMatchObject({ authorization: "Bearer t2", lastEventId: "1" });
    expect(result.current.messages.map((m) => m.message)).toEqual([1]);
  });

  it("exposes fatal and validation errors", async () => {
    sse = await startSseServer();
    const client = createClient({ baseUrl: sse.url });
    const { result } = renderHook(() =>
      useTopic(client, "demo", { validate: { parse: (x) => v.parse(v.number(), x) } }),
    );
    await waitFor(() => expect(result.current.status).toBe("open"));
    act(() => {
      sse!.publish("demo", "not a number");
      sse!.publish("demo", 5);
    });
    await waitFor(() => expect(result.current.last).toBe(5));
    expect(result.current.error?.code).toBe("invalid_message");

    const missing = renderHook(() => useTopic(client, "nope"));
    await waitFor(() => expect(missing.result.current.status).toBe("closed"));
    expect(missing.result.current.error).toBeInstanceOf(PicloudError);
    expect(missing.result.current.error?.code).toBe("not_found");
  });
});

describe("useEndpoint", () => {
  it("tracks loading, data and error of calls", async () => {
    echo = await startEchoServer();
    const client = createClient({ baseUrl: echo.url });
    const publish = client.endpoint<{ text: string }, Echo>("POST", "/api/publish");
    const fail = client.endpoint<void, Echo>("POST", "/api/fail/object");
    const { result } = renderHook(() => ({ ok: useEndpoint(publish), bad: useEndpoint(fail) }));
    expect(result.current.ok).toMatchObject({ data: undefined, error: undefined, loading: false });

    let pending!: Promise<Echo | undefined>;
    act(() => {
      pending = result.current.ok.call({ text: "hi" });
    });
    expect(result.current.ok.loading).toBe(true);
    const returned = await act(() => pending);
    expect(returned?.body).toEqual({ text: "hi" });
    expect(result.current.ok.loading).toBe(false);
    expect(result.current.ok.data?.body).toEqual({ text: "hi" });

    const failed = await act(() => result.current.bad.call());
    expect(failed).toBeUndefined();
    expect(result.current.bad.error).toBeInstanceOf(PicloudError);
    expect((result.current.bad.error as PicloudError).code).toBe("slug_taken");

    act(() => result.current.bad.reset());
    expect(result.current.bad.error).toBeUndefined();
  });

  it("keeps only the latest call's result", async () => {
    const resolvers: ((value: string) => void)[] = [];
    const slow = (_label: string) => new Promise<string>((resolve) => resolvers.push(resolve));
    const { result } = renderHook(() => useEndpoint(slow));
    let first!: Promise<string | undefined>;
    let second!: Promise<string | undefined>;
    act(() => {
      first = result.current.call("first");
      second = result.current.call("second");
    });
    await act(async () => {
      resolvers[1]!("second result");
      await second;
      resolvers[0]!("first result");
      await first;
    });
    expect(result.current.data).toBe("second result");
  });
});
