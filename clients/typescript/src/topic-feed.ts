/**
 * Framework-neutral topic state (last message, bounded history, status, error)
 * over one subscription; the React and Svelte bindings are thin shells around it.
 */

import type { PicloudClient } from "./client.js";
import type { PicloudError } from "./error.js";
import type { SubscribeOptions, Subscription, SubscriptionStatus, TopicMessage } from "./subscription.js";

export type TopicStatus = SubscriptionStatus | "idle";

export interface TopicState<T> {
  /** The latest message payload. */
  last: T | undefined;
  /** The most recent messages with their envelopes, oldest first, at most `maxMessages`. */
  messages: ReadonlyArray<TopicMessage<T>>;
  status: TopicStatus;
  /** The latest problem; cleared when the stream (re)opens. */
  error: PicloudError | undefined;
  lastEventId: string | undefined;
}

export interface TopicFeedOptions<T> extends Omit<SubscribeOptions<T>, "onMessage" | "onStatusChange"> {
  /** History length kept in `messages` (default 100). */
  maxMessages?: number;
  onMessage?: SubscribeOptions<T>["onMessage"];
}

export interface TopicFeed<T> {
  readonly state: TopicState<T>;
  subscribe(listener: (state: TopicState<T>) => void): () => void;
  close(): void;
}

export const DEFAULT_MAX_MESSAGES = 100;

export function idleTopicState<T>(): TopicState<T> {
  return { last: undefined, messages: [], status: "idle", error: undefined, lastEventId: undefined };
}

/** Starts subscribing at once; `carry` keeps earlier history when re-subscribing to the same topic. */
export function createTopicFeed<T>(
  client: Pick<PicloudClient, "subscribe">,
  topic: string,
  options: TopicFeedOptions<T> = {},
  carry?: TopicState<T>,
): TopicFeed<T> {
  const max = Math.max(1, options.maxMessages ?? DEFAULT_MAX_MESSAGES);
  const listeners = new Set<(state: TopicState<T>) => void>();
  let state: TopicState<T> = {
    last: carry?.last,
    messages: carry?.messages ?? [],
    status: "connecting",
    error: undefined,
    lastEventId: carry?.lastEventId ?? options.lastEventId,
  };

  const update = (patch: Partial<TopicState<T>>) => {
    state = { ...state, ...patch };
    for (const listener of listeners) listener(state);
  };

  const { maxMessages: _max, onMessage, onError, ...subscribeOptions } = options;
  const subscription: Subscription = client.subscribe<T>(topic, {
    ...subscribeOptions,
    lastEventId: state.lastEventId,
    onMessage(message, meta) {
      const messages = [...state.messages, meta];
      if (messages.length > max) messages.splice(0, messages.length - max);
      update({ last: message, messages, lastEventId: meta.id || state.lastEventId });
      onMessage?.(message, meta);
    },
    onError(error, info) {
      update({ error });
      onError?.(error, info);
    },
    onStatusChange(status) {
      update(status === "open" ? { status, error: undefined } : { status });
    },
  });

  return {
    get state() {
      return state;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      subscription.close();
      listeners.clear();
    },
  };
}
