/**
 * Carries live-tail events between processes that share one database, over
 * LISTEN/NOTIFY, so `picloud tail` connected to one process also sees the
 * executions of the others. Nothing is sent for apps nobody watches: a process
 * with tail listeners announces their apps (at once, then every 10 s), and the
 * others relay an app's events for 30 s after its last announcement.
 */
import { randomBytes } from "node:crypto";
import type { Notifier } from "../db/client.js";
import type { LiveTail, TailEvent, TailOutlet } from "./live-tail.js";

const EVENTS = "picloud_tail";
const WATCH = "picloud_tail_watch";
const ANNOUNCE_MS = 10_000;
const WATCH_TTL_MS = 30_000;
/** NOTIFY payloads must stay under 8000 bytes; the envelope needs a little room. */
const MAX_PAYLOAD_BYTES = 7_800;
// Even at 6 bytes a character (escaped control characters) a cut line fits.
const MAX_LOG_CHARS = 1_000;

export class TailRelay implements TailOutlet {
  readonly #origin = randomBytes(6).toString("hex");
  #unlisten: (() => Promise<void>)[] = [];
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly tail: LiveTail,
    private readonly notifier: Notifier,
    private readonly onError: (err: unknown) => void,
  ) {}

  async start(): Promise<void> {
    this.#unlisten.push(
      await this.notifier.listen(EVENTS, (payload) => {
        const message = parse(payload) as { o?: string; e?: TailEvent } | undefined;
        if (message?.e && message.o !== this.#origin) this.tail.deliver(message.e);
      }),
      await this.notifier.listen(WATCH, (payload) => {
        const message = parse(payload) as { o?: string; a?: string[] } | undefined;
        if (!message?.a || message.o === this.#origin) return;
        const until = Date.now() + WATCH_TTL_MS;
        for (const appId of message.a) this.tail.watchedElsewhere(appId, until);
      }),
    );
    this.tail.connect(this);
    this.#timer = setInterval(() => this.#announce(this.tail.localApps()), ANNOUNCE_MS);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    const unlisten = this.#unlisten;
    this.#unlisten = [];
    await Promise.all(unlisten.map((u) => u().catch(this.onError)));
  }

  watched(appId: string): void {
    this.#announce([appId]);
  }

  send(event: TailEvent): void {
    this.notifier.notify(EVENTS, JSON.stringify({ o: this.#origin, e: fitted(event) })).catch(this.onError);
  }

  #announce(appIds: string[]): void {
    if (appIds.length === 0) return;
    // Many watched apps: announce them in payload-sized chunks (uuids are 36 characters).
    for (let i = 0; i < appIds.length; i += 150)
      this.notifier
        .notify(WATCH, JSON.stringify({ o: this.#origin, a: appIds.slice(i, i + 150) }))
        .catch(this.onError);
  }
}

/** The event made small enough for one NOTIFY: long lines cut, an execution's logs left out if need be. */
export function fitted(event: TailEvent): TailEvent {
  if (event.type === "log") {
    if (event.message.length <= MAX_LOG_CHARS) return event;
    return { ...event, message: `${event.message.slice(0, MAX_LOG_CHARS)}… (cut)` };
  }
  if (Buffer.byteLength(JSON.stringify(event)) <= MAX_PAYLOAD_BYTES) return event;
  // The console lines reached the tail as log events already; the summary keeps their count.
  const { logs, ...rest } = event.execution;
  const lines = Array.isArray(logs) ? logs.length : 0;
  const slim = { ...event, execution: { ...rest, logs: [], logsTruncated: true, logLines: lines } };
  if (Buffer.byteLength(JSON.stringify(slim)) <= MAX_PAYLOAD_BYTES) return slim;
  const { error, lateError, ...bare } = slim.execution as Record<string, unknown>;
  const request = typeof bare.request === "string" ? bare.request.slice(0, 1000) : bare.request;
  return {
    ...event,
    execution: { ...bare, request, error: cutError(error), lateError: cutError(lateError) },
  };
}

function cutError(error: unknown): unknown {
  if (!error || typeof error !== "object") return error ?? null;
  const e = error as { name?: unknown; message?: unknown };
  return { name: String(e.name ?? "Error"), message: String(e.message ?? "").slice(0, 1000) };
}

function parse(payload: string): unknown {
  try {
    return JSON.parse(payload);
  } catch {
    return undefined;
  }
}
