/**
 * Async routes (`dispatch = "async"`, SPEC §4): the request is written to the
 * outbox and answered 202 at once; the dispatcher runs the script later, with
 * retries and dead letters like any event.
 */
import type { HostRequest } from "../../runtime/index.js";
import type { EventsConfig } from "../config/env.js";
import type { Db } from "../db/client.js";
import { uuidv7 } from "../lib/ids.js";
import { payloadFromRequest } from "./http-payload.js";
import { enqueue, type OutboxSignal } from "./outbox.js";

export class AsyncHttp {
  constructor(
    private readonly db: Db,
    private readonly signal: OutboxSignal,
    private readonly config: EventsConfig,
  ) {}

  /** Durably accepts a request for later execution; the id is the first execution's id. */
  async accept(
    appId: string,
    scriptId: string,
    request: HostRequest,
    requestLine: string,
    params: Record<string, string>,
  ): Promise<{ executionId: string; acceptedAt: string }> {
    const id = uuidv7();
    await enqueue(
      this.db,
      [
        {
          id,
          appId,
          kind: "http",
          triggerId: null,
          scriptId,
          payload: payloadFromRequest(request, requestLine, params),
          depth: 0,
          rootId: id,
          runAs: null,
          retry: {},
        },
      ],
      this.config.retry,
    );
    this.signal.committed();
    return { executionId: id, acceptedAt: new Date().toISOString() };
  }
}
