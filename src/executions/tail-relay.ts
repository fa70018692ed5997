/**
 * Carries live-tail events between processes that share one database, over
 * LISTEN/NOTIFY, so `picloud tail` connected to one process also sees the
 * executions of the others. Nothing is sent for apps nobody watches: a process
 * with tail listeners announces their apps (at once, then every 10 s), and the
 * others relay an app's events for 30 s after its last announcement.
 *
 * Events leave through one queue with one NOTIFY in flight, packed several to
 * a payload: they arrive in order, and a chatty script costs the pool one
 * connection at a time, never more. Past QUEUE_LIMIT waiting events the
 * newest are dropped (and counted): the tail is best-effort, the app is not.
 */
import { randomBytes } from "node:crypto";
import type { Notifier } from "../db/client.js";
import type { LiveTail, TailEvent, TailOutlet } from "./live-tail.js";

const EVENTS = "picloud_tail";
const WATCH = "picloud_tail_watch";
const ANNOUNCE_MS = 10_000;
const WATCH_TTL_MS = 30_000;
/** NOTIFY payloads must stay under 8000 bytes; the envelope needs a little room. */
export const MAX_EVENT_BYTES = 7_600;
const MAX_PAYLOAD_BYTES = 7_900;
const QUEUE_LIMIT = 1_000;
// Even at 6 bytes a character (escaped control characters) a cut line fits.
const MAX_LOG_CHARS = 1_000;

export class TailRelay implements TailOutlet {
  readonly #origin = randomBytes(6).toString("hex");
  #unlisten: (() => Promise<void>)[] = [];
  #timer: NodeJS.Timeout | null = null;
  /** Serialized events waiting for the NOTIFY in flight. */
  #queue: string[] = [];
  #sending = false;
  dropped = 0;

  constructor(
    private readonly tail: LiveTail,
    private readonly notifier: Notifier,
    private readonly onError: (err: unknown) => void,
  ) {}

  async start(): Promise<void> {
    if (this.#timer) return;
    try {
      this.#unlisten.push(
        await this.notifier.listen(EVENTS, (payload) => {
          const message = parse(payload) as { o?: string; e?: TailEvent[] } | undefined;
          if (!Array.isArray(message?.e) || message.o === this.#origin) return;
          for (const event of message.e) this.tail.deliver(event);
        }),
      );
      this.#unlisten.push(
        await this.notifier.listen(WATCH, (payload) => {
          const message = parse(payload) as { o?: string; a?: string[] } | undefined;
          if (!Array.isArray(message?.a) || message.o === this.#origin) return;
          const until = Date.now() + WATCH_TTL_MS;
          for (const appId of message.a) this.tail.watchedElsewhere(appId, until);
        }),
      );
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.tail.connect(this);
    this.#timer = setInterval(() => {
      this.tail.pruneRemote();
      this.#announce(this.tail.localApps());
    }, ANNOUNCE_MS);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.tail.connect(null);
    this.#queue = [];
    const unlisten = this.#unlisten;
    this.#unlisten = [];
    await Promise.all(unlisten.map((u) => u().catch(this.onError)));
  }

  watched(appId: string): void {
    this.#announce([appId]);
  }

  send(event: TailEvent): void {
    if (this.#queue.length >= QUEUE_LIMIT) {
      this.dropped++;
      return;
    }
    this.#queue.push(JSON.stringify(fitted(event)));
    if (!this.#sending) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#sending = true;
    try {
      while (this.#queue.length > 0) {
        // As many queued events as fit one payload, in order.
        const envelope = `{"o":"${this.#origin}","e":[`;
        let bytes = Buffer.byteLength(envelope) + 2;
        const batch: string[] = [];
        while (this.#queue.length > 0) {
          const size = Buffer.byteLength(this.#queue[0]!) + 1;
          if (batch.length > 0 && bytes + size > MAX_PAYLOAD_BYTES) break;
          batch.push(this.#queue.shift()!);
          bytes += size;
        }
        await this.notifier.notify(EVENTS, `${envelope}${batch.join(",")}]}`).catch(this.onError);
      }
    } finally {
      this.#sending = false;
    }
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

const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/**
 * The event made small enough for one NOTIFY (at most MAX_EVENT_BYTES as JSON): long lines cut,
 * then an execution's console lines left out, then its texts cut, and at worst only its summary.
 */
export function fitted(event: TailEvent): TailEvent {
  if (event.type === "log") {
    if (bytesOf(event) <= MAX_EVENT_BYTES) return event;
    const cut = { ...event, message: `${event.message.slice(0, MAX_LOG_CHARS)}… (cut)` };
    if (bytesOf(cut) <= MAX_EVENT_BYTES) return cut;
    return { ...event, scriptName: event.scriptName.slice(0, 100), message: "(a line too long to relay)" };
  }
  if (bytesOf(event) <= MAX_EVENT_BYTES) return event;
  // The console lines reached the tail as log events already; the summary keeps their count.
  const { logs, ...rest } = event.execution;
  const lines = Array.isArray(logs) ? logs.length : 0;
  const slim: Record<string, unknown> = { ...rest, logs: [], logsTruncated: true, logLines: lines };
  if (bytesOf({ ...event, execution: slim }) <= MAX_EVENT_BYTES) return { ...event, execution: slim };
  const text = (value: unknown, max: number) => (typeof value === "string" ? value.slice(0, max) : value);
  const cut = {
    ...slim,
    request: text(slim.request, 500),
    error: cutError(slim.error),
    lateError: cutError(slim.lateError),
  };
  if (bytesOf({ ...event, execution: cut }) <= MAX_EVENT_BYTES) return { ...event, execution: cut };
  // Texts of many multi-byte or escaped characters: only what the server itself wrote.
  const { id, status, httpStatus, durationMs, trigger, version, startedAt, depth, rootId } = slim;
  return {
    ...event,
    execution: {
      id,
      scriptName: text(slim.scriptName, 100),
      status,
      httpStatus,
      durationMs,
      trigger,
      version,
      startedAt,
      depth,
      rootId,
      logs: [],
      logsTruncated: true,
      logLines: lines,
      cut: true,
    },
  };
}

function cutError(error: unknown): unknown {
  if (!error || typeof error !== "object") return error ?? null;
  const e = error as { name?: unknown; message?: unknown };
  return { name: String(e.name ?? "Error").slice(0, 100), message: String(e.message ?? "").slice(0, 500) };
}

function parse(payload: string): unknown {
  try {
    return JSON.parse(payload);
  } catch {
    return undefined;
  }
}
