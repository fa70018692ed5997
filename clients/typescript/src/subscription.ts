/**
 * Realtime subscriptions: keeps one topic stream alive across failures.
 * Policy: header auth; 401 → one token refresh, then reconnect; 404 and other
 * non-retryable statuses stop; network errors, 5xx, 408/429, stalls and server
 * closes reconnect after exponential backoff with jitter, resuming with Last-Event-ID.
 */

import { type BackoffOptions, backoffDelay, resolveBackoff } from "./backoff.js";
import type { ClientContext, MaybePromise } from "./client-context.js";
import { PicloudError } from "./error.js";
import { isPlainObject, joinUrl } from "./request-url.js";
import type { SseEvent } from "./sse-parser.js";
import { type ConnectionOutcome, connectOnce } from "./topic-connection.js";
import { runValidator, type Validator } from "./validator.js";

export type SubscriptionStatus = "connecting" | "open" | "reconnecting" | "closed";

/** One delivered message with its envelope. */
export interface TopicMessage<T> {
  /** The SSE event id (opaque); pass it back as `lastEventId` to resume later. */
  id: string;
  topic: string;
  message: T;
  /** ISO timestamp set by the server when the message was published. */
  publishedAt: string;
}

export type TokenProvider = () => MaybePromise<string | null | undefined>;

export interface SubscribeOptions<T> {
  /** Subscriber token (from `env.pubsub.subscriberToken`), sent as `Authorization: Bearer`. */
  token?: string;
  /** Supplies the token for the first connection (when `token` is absent) and after a 401. */
  getToken?: TokenProvider;
  /** Called on 401 for a fresh token (preferred over getToken there); return nothing to give up. */
  onTokenExpired?: TokenProvider;
  onMessage: (message: T, meta: TopicMessage<T>) => void;
  /** Every problem; `fatal` means the subscription has stopped for good. */
  onError?: (error: PicloudError, info: { fatal: boolean }) => void;
  onStatusChange?: (status: SubscriptionStatus) => void;
  /** Checks each message; invalid ones go to onError (code "invalid_message"), never to onMessage. */
  validate?: Validator<T>;
  /** Resume after this event id (e.g. one persisted from a previous page load). */
  lastEventId?: string;
  /** Reconnect when nothing, not even a heartbeat, arrives for this long (default 75 000 = 2.5 × 30 s; 0 disables). */
  heartbeatTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** Extra request headers. */
  headers?: HeadersInit;
}

export interface Subscription {
  /** Stops streaming, cancels any pending reconnect and releases the connection. Idempotent. */
  close(): void;
  /** Id of the last event received (what a reconnect sends as Last-Event-ID). */
  readonly lastEventId: string | undefined;
  readonly status: SubscriptionStatus;
}

const DEFAULT_HEARTBEAT_TIMEOUT_MS = 75_000;

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function subscribeTopic<T>(
  context: ClientContext,
  topic: string,
  options: SubscribeOptions<T>,
): Subscription {
  if (typeof topic !== "string" || topic === "")
    throw new TypeError("subscribe: topic must be a non-empty string");
  if (typeof options?.onMessage !== "function") throw new TypeError("subscribe: onMessage is required");

  const backoff = resolveBackoff(options.backoff);
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
  const closing = new AbortController();
  const url = joinUrl(context.baseUrl, `/realtime/topics/${encodeURIComponent(topic)}`);
  const refreshToken = options.onTokenExpired ?? options.getToken;

  let status: SubscriptionStatus = "connecting";
  let lastEventId = options.lastEventId ?? "";
  let retryBaseMs: number | undefined;

  // A function, so TypeScript does not keep a stale narrowing of `status` across awaits.
  const isClosed = () => status === "closed";

  function setStatus(next: SubscriptionStatus): void {
    if (status === next || status === "closed") return;
    status = next;
    options.onStatusChange?.(next);
  }

  function report(error: PicloudError, fatal: boolean): void {
    try {
      options.onError?.(error, { fatal });
    } catch {
      // An error handler that throws must not break the subscription.
    }
  }

  function stop(error?: PicloudError): void {
    if (status === "closed") return;
    closing.abort();
    setStatus("closed");
    if (error) report(error, true);
  }

  function deliver(event: SseEvent): void {
    if (status === "closed" || event.type !== "message") return;
    let envelope: unknown;
    try {
      envelope = JSON.parse(event.data);
    } catch (cause) {
      report(invalidMessage("Message data is not JSON", event.data, cause), false);
      return;
    }
    if (!isPlainObject(envelope) || !("message" in envelope)) {
      report(invalidMessage("Message envelope has no message field", envelope), false);
      return;
    }
    let message: T;
    try {
      message = options.validate ? runValidator(options.validate, envelope.message) : (envelope.message as T);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      report(invalidMessage(`Message failed validation: ${reason}`, envelope, cause), false);
      return;
    }
    const meta: TopicMessage<T> = {
      id: event.lastEventId,
      topic: typeof envelope.topic === "string" ? envelope.topic : topic,
      message,
      publishedAt: typeof envelope.publishedAt === "string" ? envelope.publishedAt : "",
    };
    try {
      options.onMessage(message, meta);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      report(
        new PicloudError({ status: 0, code: "handler_error", message: `onMessage threw: ${reason}`, cause }),
        false,
      );
    }
  }

  async function run(): Promise<void> {
    let attempt = 0;
    let token = options.token || undefined;
    let needToken = token === undefined && options.getToken !== undefined;
    let tokenRejected = false;
    let rejectedInARow = 0;

    while (!isClosed()) {
      if (needToken) {
        const provider = tokenRejected ? refreshToken : options.getToken;
        let fresh: string | null | undefined;
        try {
          fresh = await provider?.();
        } catch (cause) {
          const reason = cause instanceof Error ? cause.message : String(cause);
          report(
            new PicloudError({
              status: 0,
              code: "token_error",
              message: `Getting a token failed: ${reason}`,
              cause,
            }),
            false,
          );
          await pause(backoffDelay(attempt++, backoff, retryBaseMs));
          continue;
        }
        if (isClosed()) return;
        if (!fresh && tokenRejected) {
          stop(
            new PicloudError({
              status: 401,
              code: "unauthorized",
              message: "Token rejected and no fresh token was provided",
            }),
          );
          return;
        }
        token = fresh || undefined;
        needToken = false;
      }

      const headers = await context.headers([options.headers]);
      if (isClosed()) return;
      headers.set("accept", "text/event-stream");
      if (token) headers.set("authorization", `Bearer ${token}`);
      if (lastEventId !== "") headers.set("last-event-id", lastEventId);

      const outcome: ConnectionOutcome = await connectOnce({
        fetch: context.fetch,
        url,
        headers,
        signal: closing.signal,
        heartbeatTimeoutMs,
        lastEventId,
        onOpen: () => {
          attempt = 0;
          rejectedInARow = 0;
          tokenRejected = false;
          setStatus("open");
        },
        onEvent: deliver,
        onLastEventId: (id) => {
          lastEventId = id;
        },
        onRetry: (ms) => {
          retryBaseMs = ms;
        },
      });

      let delay: number;
      switch (outcome.kind) {
        case "closed":
          return;
        case "ended":
          delay = backoffDelay(attempt++, backoff, retryBaseMs);
          break;
        case "stalled":
          report(
            new PicloudError({
              status: 0,
              code: "heartbeat_timeout",
              message: `No data from ${topic} within ${heartbeatTimeoutMs} ms`,
            }),
            false,
          );
          delay = backoffDelay(attempt++, backoff, retryBaseMs);
          break;
        case "network": {
          const reason = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
          report(
            new PicloudError({
              status: 0,
              code: "network_error",
              message: `Connection to ${topic} failed: ${reason}`,
              cause: outcome.error,
            }),
            false,
          );
          delay = backoffDelay(attempt++, backoff, retryBaseMs);
          break;
        }
        case "not_event_stream":
          stop(outcome.error);
          return;
        case "http": {
          const { error } = outcome;
          if (error.status === 401) {
            rejectedInARow++;
            if (!refreshToken || rejectedInARow > 1) {
              stop(error);
              return;
            }
            needToken = true;
            tokenRejected = true;
            setStatus("reconnecting");
            continue;
          }
          if (!isRetryableStatus(error.status)) {
            stop(error);
            return;
          }
          report(error, false);
          delay = Math.min(
            backoff.maxMs,
            Math.max(backoffDelay(attempt++, backoff, retryBaseMs), outcome.retryAfterMs ?? 0),
          );
          break;
        }
      }
      setStatus("reconnecting");
      await pause(delay);
    }
  }

  async function pause(ms: number): Promise<void> {
    setStatus("reconnecting");
    if (isClosed()) return;
    await backoff.sleep(ms, closing.signal);
  }

  void run().catch((cause) => {
    const reason = cause instanceof Error ? cause.message : String(cause);
    stop(new PicloudError({ status: 0, code: "internal", message: `Subscription failed: ${reason}`, cause }));
  });

  return {
    close: () => stop(),
    get lastEventId() {
      return lastEventId === "" ? undefined : lastEventId;
    },
    get status() {
      return status;
    },
  };
}

function invalidMessage(message: string, body: unknown, cause?: unknown): PicloudError {
  return new PicloudError({ status: 0, code: "invalid_message", message, body, cause });
}
