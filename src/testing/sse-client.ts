/**
 * A Server-Sent Events reader for tests: collects the events of a streaming
 * response (parsed by the CLI's reader) and the raw text (to see heartbeat
 * comments), and waits until a condition holds.
 */
import { readSse, type SseEvent } from "../cli/sse-reader.js";

export interface SseCollector {
  events: SseEvent[];
  readonly raw: string;
  waitFor(pred: (events: SseEvent[], raw: string) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function collectSse(res: Response): SseCollector {
  if (!res.body) throw new Error(`no body (status ${res.status})`);
  // One reader owns the response; the parser reads a stream we feed and can end.
  let feed!: ReadableStreamDefaultController<Uint8Array>;
  const forEvents = new ReadableStream<Uint8Array>({
    start(c) {
      feed = c;
    },
  });
  const events: SseEvent[] = [];
  let raw = "";
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of waiters) w();
  };
  const rawReader = res.body.getReader();
  const decoder = new TextDecoder();
  const endFeed = () => {
    try {
      feed.close();
    } catch {
      /* already closed */
    }
  };
  void (async () => {
    for (;;) {
      const { value, done } = await rawReader.read().catch(() => ({ value: undefined, done: true }));
      if (done || !value) break;
      raw += decoder.decode(value, { stream: true });
      feed.enqueue(value);
      notify();
    }
    endFeed();
  })();
  const iterator = readSse(forEvents);
  void (async () => {
    try {
      for await (const e of iterator) {
        events.push(e);
        notify();
      }
    } catch {
      /* closed */
    }
  })();
  return {
    events,
    get raw() {
      return raw;
    },
    waitFor(pred, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pred(events, raw)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `condition not met in ${timeoutMs} ms; events: ${JSON.stringify(events)} raw: ${raw.slice(-500)}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      await rawReader.cancel().catch(() => {});
      endFeed();
    },
  };
}
