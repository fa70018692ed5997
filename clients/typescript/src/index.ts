/**
 * @picloud/client: typed calls to a PiCloud app's HTTP routes and realtime topic
 * subscriptions over streaming fetch. React and Svelte bindings live in
 * "@picloud/client/react" and "@picloud/client/svelte".
 */

export {
  type AuthUser,
  type ClientAuth,
  localTokenStorage,
  memoryTokenStorage,
  type TokenStorage,
} from "./auth.js";
export type { BackoffOptions } from "./backoff.js";
export { type ClientOptions, createClient, type PicloudClient } from "./client.js";
export type { FetchLike, HeadersSource, TokenSource } from "./client-context.js";
export type { CallOptions, Endpoint, EndpointArgs, EndpointOptions, HttpMethod } from "./endpoint.js";
export { createEndpointRunner, type EndpointRunner, type EndpointState } from "./endpoint-runner.js";
export { isPicloudError, PicloudError, type PicloudErrorCode, type PicloudErrorInit } from "./error.js";
export type { ParamValue, PathParams } from "./request-url.js";
export { createSseParser, type SseEvent, type SseParser, type SseParserHandlers } from "./sse-parser.js";
export type {
  SubscribeOptions,
  Subscription,
  SubscriptionStatus,
  TokenProvider,
  TopicMessage,
} from "./subscription.js";
export {
  createTopicFeed,
  idleTopicState,
  type TopicFeed,
  type TopicFeedOptions,
  type TopicState,
  type TopicStatus,
} from "./topic-feed.js";
export {
  type ParseValidator,
  type StandardSchemaLike,
  ValidationError,
  type Validator,
} from "./validator.js";
