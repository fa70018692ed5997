/**
 * @picloud/client/svelte: stores that follow the Svelte store contract
 * (`subscribe(run) → unsubscribe`), so they work with `$store` in Svelte 4 and 5
 * without importing svelte at runtime. A topic streams only while subscribed.
 */

import type { AuthUser } from "./auth.js";
import type { PicloudClient } from "./client.js";
import { createEndpointRunner, type EndpointState } from "./endpoint-runner.js";
import {
  createTopicFeed,
  idleTopicState,
  type TopicFeed,
  type TopicFeedOptions,
  type TopicState,
} from "./topic-feed.js";

export type { EndpointState } from "./endpoint-runner.js";
export type { TopicState, TopicStatus } from "./topic-feed.js";

export interface Readable<T> {
  subscribe(run: (value: T) => void, invalidate?: () => void): () => void;
}

/** A readable store that runs `start` on its first subscriber and its cleanup after the last leaves. */
function readable<T>(initial: T, start: (set: (value: T) => void) => () => void): Readable<T> & { get(): T } {
  let value = initial;
  let stop: (() => void) | undefined;
  const subscribers = new Set<(value: T) => void>();
  const set = (next: T) => {
    if (Object.is(next, value)) return;
    value = next;
    for (const run of [...subscribers]) run(value);
  };
  return {
    get: () => value,
    subscribe(run) {
      subscribers.add(run);
      if (subscribers.size === 1) stop = start(set);
      run(value);
      return () => {
        if (!subscribers.delete(run)) return;
        if (subscribers.size === 0) {
          stop?.();
          stop = undefined;
        }
      };
    },
  };
}

/**
 * `$feed.last`, `$feed.messages`, `$feed.status`, `$feed.error`. Subscribes to the topic
 * while the store has subscribers; a later resubscription resumes from the last event id
 * and keeps the history. `get(store)` alone does not connect.
 */
export function topicStore<T = unknown>(
  client: Pick<PicloudClient, "subscribe">,
  topic: string,
  options: TopicFeedOptions<T> = {},
): Readable<TopicState<T>> {
  let previous: TopicState<T> | undefined;
  return readable(idleTopicState<T>(), (set) => {
    // Start a tick later so a passing subscriber (svelte's get(), a component that
    // re-subscribes at once) does not open and drop a connection.
    let feed: TopicFeed<T> | undefined;
    let unsubscribe: (() => void) | undefined;
    let stopped = false;
    queueMicrotask(() => {
      if (stopped) return;
      feed = createTopicFeed<T>(client, topic, options, previous);
      set(feed.state);
      unsubscribe = feed.subscribe(set);
    });
    return () => {
      stopped = true;
      if (!feed) return;
      previous = feed.state;
      unsubscribe?.();
      feed.close();
      set({ ...feed.state, status: "idle" });
    };
  });
}

/**
 * `$user`: the signed-in end user (`client.auth`), or null. The first subscriber asks the
 * server once (`auth.me()`) when a token is stored but no user is known yet.
 */
export function userStore(client: Pick<PicloudClient, "auth">): Readable<AuthUser | null> {
  const { auth } = client;
  return readable<AuthUser | null>(auth.user, (set) => {
    set(auth.user);
    if (auth.user === null && auth.token()) auth.me().catch(() => {});
    return auth.onChange(set);
  });
}

export interface EndpointStore<Args extends unknown[], Res> extends Readable<EndpointState<Res>> {
  /** Resolves with the result, or undefined when the call failed (then `error` is set); never rejects. */
  call(...args: Args): Promise<Res | undefined>;
  reset(): void;
}

/** `$save.data`, `$save.error`, `$save.loading`, and `save.call(request)`. */
export function endpointStore<Args extends unknown[], Res>(
  endpoint: (...args: Args) => Promise<Res>,
): EndpointStore<Args, Res> {
  const runner = createEndpointRunner(endpoint);
  const store = readable(runner.state, (set) => {
    set(runner.state);
    return runner.subscribe(set);
  });
  return {
    subscribe: store.subscribe,
    call: runner.call,
    reset: runner.reset,
  };
}
