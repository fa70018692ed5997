/**
 * One attempt to stream a topic: fetch with a streaming body, feed the SSE
 * parser, and watch liveness (any bytes, heartbeats included, re-arm the timer).
 * It never retries; it reports how the attempt ended and the subscription decides.
 */

import { parseRetryAfter } from "./backoff.js";
import type { FetchLike } from "./client-context.js";
import { readResponseBody } from "./endpoint.js";
import { errorFromResponse, PicloudError } from "./error.js";
import { createSseParser, type SseEvent } from "./sse-parser.js";

export type ConnectionOutcome =
  /** The subscription was closed during the attempt. */
  | { kind: "closed" }
  /** The server ended an open stream. */
  | { kind: "ended" }
  /** Nothing arrived within the liveness timeout. */
  | { kind: "stalled"; opened: boolean }
  /** fetch or the body stream failed. */
  | { kind: "network"; error: unknown; opened: boolean }
  /** A non-2xx response. */
  | { kind: "http"; error: PicloudError; retryAfterMs: number | undefined }
  /** A 2xx response that is not an event stream. */
  | { kind: "not_event_stream"; error: PicloudError };

export interface ConnectionParams {
  fetch: FetchLike;
  url: string;
  headers: Headers;
  /** Aborted when the subscription closes. */
  signal: AbortSignal;
  /** Liveness timeout; 0 or Infinity disables it. */
  heartbeatTimeoutMs: number;
  lastEventId: string;
  onOpen(): void;
  onEvent(event: SseEvent): void;
  onLastEventId(id: string): void;
  onRetry(ms: number): void;
}

export async function connectOnce(params: ConnectionParams): Promise<ConnectionOutcome> {
  if (params.signal.aborted) return { kind: "closed" };
  const controller = new AbortController();
  const abort = () => controller.abort();
  params.signal.addEventListener("abort", abort, { once: true });

  let stalled = false;
  let opened = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const watch = Number.isFinite(params.heartbeatTimeoutMs) && params.heartbeatTimeoutMs > 0;
  const arm = () => {
    if (!watch) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      controller.abort();
    }, params.heartbeatTimeoutMs);
  };
  const failure = (error: unknown): ConnectionOutcome => {
    if (params.signal.aborted) return { kind: "closed" };
    if (stalled) return { kind: "stalled", opened };
    return { kind: "network", error, opened };
  };

  try {
    arm();
    let response: Response;
    try {
      response = await params.fetch(params.url, {
        method: "GET",
        headers: params.headers,
        signal: controller.signal,
      });
    } catch (error) {
      return failure(error);
    }

    if (!response.ok) {
      let body: unknown;
      try {
        body = (await readResponseBody(response)).value;
      } catch (error) {
        return failure(error);
      }
      return {
        kind: "http",
        error: errorFromResponse(response.status, response.statusText, body),
        retryAfterMs: parseRetryAfter(response.headers.get("retry-after")),
      };
    }

    const contentType = response.headers.get("content-type") ?? "";
    if (!/^text\/event-stream\s*(;|$)/i.test(contentType) || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      return {
        kind: "not_event_stream",
        error: new PicloudError({
          status: response.status,
          code: "invalid_response",
          message: `Expected text/event-stream, got "${contentType || "no content type"}"`,
        }),
      };
    }

    opened = true;
    arm();
    params.onOpen();
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const parser = createSseParser(
      {
        onEvent: (event) => {
          if (!params.signal.aborted) params.onEvent(event);
        },
        onLastEventId: (id) => {
          if (!params.signal.aborted) params.onLastEventId(id);
        },
        onRetry: params.onRetry,
      },
      { lastEventId: params.lastEventId },
    );
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        arm();
        parser.feed(decoder.decode(value, { stream: true }));
        if (params.signal.aborted) return { kind: "closed" };
      }
      parser.feed(decoder.decode());
      parser.end();
      return params.signal.aborted ? { kind: "closed" } : { kind: "ended" };
    } catch (error) {
      return failure(error);
    } finally {
      reader.cancel().catch(() => undefined);
    }
  } finally {
    clearTimeout(timer);
    params.signal.removeEventListener("abort", abort);
    // Releases the socket of a stream we stopped reading; a no-op after a complete response.
    controller.abort();
  }
}
