/**
 * Incremental Server-Sent Events parser following the HTML "interpreting an event
 * stream" algorithm. It takes decoded text in chunks of any size (a chunk may end
 * inside a field, a line ending, or between the CR and LF of a CRLF).
 */

export interface SseEvent {
  /** The `event` field, or "message" when absent. */
  type: string;
  /** The `data` lines joined with "\n". */
  data: string;
  /** The last event ID in effect when the event was dispatched ("" when none). */
  lastEventId: string;
}

export interface SseParserHandlers {
  onEvent(event: SseEvent): void;
  /** Called on every dispatch (also data-less ones): the stream's last event ID may have changed. */
  onLastEventId?(id: string): void;
  /** A valid `retry` field: the reconnection time in milliseconds. */
  onRetry?(ms: number): void;
  /** A comment line (heartbeats such as ": ping"), without the leading colon. */
  onComment?(text: string): void;
}

export interface SseParser {
  /** Feeds the next piece of decoded text. */
  feed(chunk: string): void;
  /** Marks the end of the stream: a pending, unterminated event is discarded (per spec). */
  end(): void;
}

const BOM = "\uFEFF";
const DIGITS = /^[0-9]+$/;

export interface SseParserOptions {
  /**
   * Last event ID carried over from a previous connection. The spec starts each stream
   * with an empty buffer, but browsers seed a reconnection's parser with the event
   * source's last ID so a data-less dispatch (e.g. after a heartbeat) cannot erase it.
   */
  lastEventId?: string;
}

export function createSseParser(handlers: SseParserHandlers, options: SseParserOptions = {}): SseParser {
  let line = "";
  let data = "";
  let eventType = "";
  let lastEventId = options.lastEventId ?? "";
  let atStart = true;
  let skipLeadingLf = false;

  function dispatch(): void {
    handlers.onLastEventId?.(lastEventId);
    if (data === "") {
      eventType = "";
      return;
    }
    const event: SseEvent = {
      type: eventType === "" ? "message" : eventType,
      data: data.endsWith("\n") ? data.slice(0, -1) : data,
      lastEventId,
    };
    data = "";
    eventType = "";
    handlers.onEvent(event);
  }

  function processLine(text: string): void {
    if (text === "") {
      dispatch();
      return;
    }
    if (text.startsWith(":")) {
      handlers.onComment?.(text.slice(1));
      return;
    }
    const colon = text.indexOf(":");
    let field = text;
    let value = "";
    if (colon !== -1) {
      field = text.slice(0, colon);
      value = text.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
    }
    switch (field) {
      case "event":
        eventType = value;
        break;
      case "data":
        data += `${value}\n`;
        break;
      case "id":
        if (!value.includes("\0")) lastEventId = value;
        break;
      case "retry":
        if (DIGITS.test(value)) handlers.onRetry?.(Number.parseInt(value, 10));
        break;
      default:
        // Unknown fields are ignored, as the spec requires.
        break;
    }
  }

  function feed(chunk: string): void {
    if (chunk === "") return;
    if (atStart) {
      // Only the very first character of the stream may be a BOM; wait until one arrives.
      atStart = false;
      if (chunk.startsWith(BOM)) chunk = chunk.slice(1);
      if (chunk === "") return;
    }
    let start = 0;
    if (skipLeadingLf) {
      skipLeadingLf = false;
      if (chunk.charCodeAt(0) === 10) start = 1;
    }
    const length = chunk.length;
    let i = start;
    while (i < length) {
      const code = chunk.charCodeAt(i);
      if (code !== 10 && code !== 13) {
        i++;
        continue;
      }
      const text = line + chunk.slice(start, i);
      line = "";
      if (code === 13) {
        if (i + 1 < length) {
          if (chunk.charCodeAt(i + 1) === 10) i++;
        } else {
          skipLeadingLf = true;
        }
      }
      i++;
      start = i;
      processLine(text);
    }
    if (start < length) line += chunk.slice(start);
  }

  function end(): void {
    line = "";
    data = "";
    eventType = "";
    skipLeadingLf = false;
  }

  return { feed, end };
}
