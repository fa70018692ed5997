/**
 * @picloud/client/react: `useTopic` streams a topic into component state,
 * `useEndpoint` tracks one endpoint's calls. Option callbacks are read through
 * refs, so passing new functions each render does not re-subscribe.
 */

import { useEffect, useRef, useState, useSyncExternalStore } from "react";
import type { AuthUser } from "./auth.js";
import type { PicloudClient } from "./client.js";
import { createEndpointRunner, type EndpointRunner, type EndpointState } from "./endpoint-runner.js";
import { createTopicFeed, idleTopicState, type TopicFeedOptions, type TopicState } from "./topic-feed.js";
import { runValidator } from "./validator.js";

export type { EndpointState } from "./endpoint-runner.js";
export type { TopicState, TopicStatus } from "./topic-feed.js";

export interface UseTopicOptions<T> extends TopicFeedOptions<T> {
  /** false keeps the hook idle (status "idle"), e.g. until a token is known. */
  enabled?: boolean;
}

/**
 * Subscribes while mounted (and enabled). Changing client, topic, token, enabled or
 * heartbeatTimeoutMs re-subscribes; on the same topic it resumes from the last event
 * id and keeps the history.
 */
export function useTopic<T = unknown>(
  client: Pick<PicloudClient, "subscribe"> | null | undefined,
  topic: string | null | undefined,
  options: UseTopicOptions<T> = {},
): TopicState<T> {
  const [state, setState] = useState<TopicState<T>>(idleTopicState);
  const optionsRef = useRef(options);
  const previous = useRef<{ topic: string; state: TopicState<T> } | undefined>(undefined);
  useEffect(() => {
    optionsRef.current = options;
  });

  const enabled = options.enabled !== false && !!client && !!topic;
  const { token, heartbeatTimeoutMs, maxMessages } = options;
  const hasGetToken = options.getToken !== undefined;
  const hasTokenExpired = options.onTokenExpired !== undefined;
  const hasValidate = options.validate !== undefined;

  useEffect(() => {
    if (!enabled || !client || !topic) {
      setState(idleTopicState<T>());
      return;
    }
    const current = () => optionsRef.current;
    const feedOptions: TopicFeedOptions<T> = {
      ...current(),
      token,
      heartbeatTimeoutMs,
      maxMessages,
      getToken: hasGetToken ? () => current().getToken?.() : undefined,
      onTokenExpired: hasTokenExpired ? () => current().onTokenExpired?.() : undefined,
      validate: hasValidate ? (value: unknown) => runValidator(current().validate!, value) : undefined,
      onMessage: (message, meta) => current().onMessage?.(message, meta),
      onError: (error, info) => current().onError?.(error, info),
    };
    const carry = previous.current?.topic === topic ? previous.current.state : undefined;
    const feed = createTopicFeed<T>(client, topic, feedOptions, carry);
    setState(feed.state);
    const unsubscribe = feed.subscribe(setState);
    return () => {
      previous.current = { topic, state: feed.state };
      unsubscribe();
      feed.close();
    };
  }, [
    enabled,
    client,
    topic,
    token,
    heartbeatTimeoutMs,
    maxMessages,
    hasGetToken,
    hasTokenExpired,
    hasValidate,
  ]);

  return state;
}

/**
 * The signed-in end user (`client.auth`), re-rendering when they log in or out; on mount, asks
 * the server once (`auth.me()`) when a token is stored but no user is known yet.
 */
export function useUser(client: Pick<PicloudClient, "auth">): AuthUser | null {
  const { auth } = client;
  useEffect(() => {
    if (auth.user === null && auth.token()) auth.me().catch(() => {});
  }, [auth]);
  return useSyncExternalStore(
    (onChange) => auth.onChange(onChange),
    () => auth.user,
    () => auth.user,
  );
}

export interface UseEndpointResult<Args extends unknown[], Res> extends EndpointState<Res> {
  /** Resolves with the result, or undefined when the call failed (then `error` is set); never rejects. */
  call: (...args: Args) => Promise<Res | undefined>;
  reset: () => void;
}

/** Tracks calls of an endpoint (or any async function); only the latest call updates the state. */
export function useEndpoint<Args extends unknown[], Res>(
  endpoint: (...args: Args) => Promise<Res>,
): UseEndpointResult<Args, Res> {
  const endpointRef = useRef(endpoint);
  useEffect(() => {
    endpointRef.current = endpoint;
  });
  const [runner] = useState<EndpointRunner<Args, Res>>(() =>
    createEndpointRunner((...args: Args) => endpointRef.current(...args)),
  );
  const state = useSyncExternalStore(
    runner.subscribe,
    () => runner.state,
    () => runner.state,
  );
  return { ...state, call: runner.call, reset: runner.reset };
}
