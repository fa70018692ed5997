/**
 * Reads a Server-Sent Events stream (the WHATWG event-stream format) into
 * events: `event:`/`data:`/`id:` fields, a blank line ends an event, lines
 * starting with ":" are comments (heartbeats). Enough for `picloud tail`.
 */

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/** Yields each event of the stream; `onChunk` is called for every chunk received (heartbeats included). */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  onChunk: () => void = () => {},
): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let id: string | undefined;
  /** Takes one complete line; returns the event a blank line ends, if any. */
  const line = (text: string): SseEvent | null => {
    if (text === "") {
      const done = data.length > 0 || event ? { event: event || "message", data: data.join("\n"), id } : null;
      event = "";
      data = [];
      return done;
    }
    if (text.startsWith(":")) return null;
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id") id = value;
    return null;
  };
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    onChunk();
    let text = buffer + decoder.decode(chunk, { stream: true });
    // A trailing "\r" may be half of a "\r\n": keep it for the next chunk.
    const held = text.endsWith("\r") ? "\r" : "";
    if (held) text = text.slice(0, -1);
    const lines = text.split(/\r\n|\r|\n/);
    buffer = (lines.pop() ?? "") + held;
    for (const l of lines) {
      const done = line(l);
      if (done) yield done;
    }
  }
  // A held "\r" at the very end did end its line after all.
  if (buffer.endsWith("\r")) {
    const done = line(buffer.slice(0, -1));
    if (done) yield done;
  }
}
