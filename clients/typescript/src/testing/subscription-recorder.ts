/**
 * Shared setup of the subscription tests: records what a subscription delivers, with an
 * instant, recorded backoff sleep (no real waiting, no timing assertions), and closes the
 * subscriptions and the test server after each test.
 */
import { afterEach } from "vitest";
import { createClient } from "../client.js";
import type { PicloudError } from "../error.js";
import type { SubscribeOptions, Subscription, SubscriptionStatus, TopicMessage } from "../subscription.js";
import { type TestSseServer, waitFor } from "./sse-server.js";

export interface Recorder<T> {
  sub: Subscription;
  messages: T[];
  metas: TopicMessage<T>[];
  errors: { error: PicloudError; fatal: boolean }[];
  statuses: SubscriptionStatus[];
  sleeps: number[];
}

/** `server()` is the test's current SSE server (each test starts its own). */
export function subscriptionRecorder(server: () => TestSseServer | undefined) {
  const subscriptions: Subscription[] = [];
  afterEach(async () => {
    for (const sub of subscriptions.splice(0)) sub.close();
    await server()?.close();
  });

  function record<T = unknown>(topic: string, options: Partial<SubscribeOptions<T>> = {}): Recorder<T> {
    const client = createClient({ baseUrl: server()!.url });
    const rec = { messages: [], metas: [], errors: [], statuses: [], sleeps: [] } as unknown as Recorder<T>;
    rec.sub = client.subscribe<T>(topic, {
      backoff: {
        random: () => 0,
        sleep: async (ms) => {
          rec.sleeps.push(ms);
        },
        ...options.backoff,
      },
      onMessage: (message, meta) => {
        rec.messages.push(message);
        rec.metas.push(meta);
      },
      onError: (error, info) => rec.errors.push({ error, fatal: info.fatal }),
      onStatusChange: (status) => rec.statuses.push(status),
      ...options,
    });
    subscriptions.push(rec.sub);
    return rec;
  }

  const opened = (rec: Recorder<unknown>) => waitFor(() => rec.sub.status === "open", "the stream to open");
  /** Closes a subscription made by hand after the test. */
  const track = (sub: Subscription) => void subscriptions.push(sub);
  return { record, opened, track };
}
