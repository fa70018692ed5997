import { describe, expect, it } from "vitest";
import { createSseParser, type SseEvent } from "./sse-parser.js";

interface Recorded {
  events: SseEvent[];
  ids: string[];
  retries: number[];
  comments: string[];
}

function parse(chunks: string[], end = true): Recorded {
  const out: Recorded = { events: [], ids: [], retries: [], comments: [] };
  const parser = createSseParser({
    onEvent: (e) => out.events.push(e),
    onLastEventId: (id) => out.ids.push(id),
    onRetry: (ms) => out.retries.push(ms),
    onComment: (c) => out.comments.push(c),
  });
  for (const chunk of chunks) parser.feed(chunk);
  if (end) parser.end();
  return out;
}

const ev = (data: string, lastEventId = "", type = "message"): SseEvent => ({ type, data, lastEventId });

describe("SSE parser: fields", () => {
  it("parses a PiCloud message event", () => {
    const out = parse(['id: 42\nevent: message\ndata: {"topic":"demo","message":1}\n\n']);
    expect(out.events).toEqual([ev('{"topic":"demo","message":1}', "42")]);
  });

  it("joins multi-line data with LF and drops only the final LF", () => {
    const out = parse(["data: first\ndata: second\ndata:\ndata: third\n\n"]);
    expect(out.events).toEqual([ev("first\nsecond\n\nthird")]);
  });

  it("removes exactly one leading space from a value", () => {
    const out = parse(["data:no-space\n\ndata:  two spaces\n\ndata: a: b\n\n"]);
    expect(out.events.map((e) => e.data)).toEqual(["no-space", " two spaces", "a: b"]);
  });

  it("treats a line without a colon as a field with an empty value", () => {
    // HTML spec example: the first block fires an event with empty data; the last is discarded.
    const out = parse(["data\n\ndata\ndata\n\ndata:"]);
    expect(out.events.map((e) => e.data)).toEqual(["", "\n"]);
  });

  it("uses the event field as type and defaults to message", () => {
    const out = parse(["event: add\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\n"]);
    expect(out.events.map((e) => e.type)).toEqual(["add", "message", "message"]);
  });

  it("does not carry the event type over to the next event", () => {
    const out = parse(["event: custom\ndata: 1\n\ndata: 2\n\n"]);
    expect(out.events.map((e) => e.type)).toEqual(["custom", "message"]);
  });

  it("keeps the last event ID across events until changed, and an empty id resets it", () => {
    const out = parse(["id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 2\ndata: d\n\n"]);
    expect(out.events.map((e) => e.lastEventId)).toEqual(["1", "1", "", "2"]);
  });

  it("ignores an id containing NUL", () => {
    const out = parse(["id: 7\ndata: a\n\nid: x\0y\ndata: b\n\n"]);
    expect(out.events.map((e) => e.lastEventId)).toEqual(["7", "7"]);
  });

  it("reports the last event ID on data-less dispatches without firing an event", () => {
    const out = parse(["id: 9\n\n"]);
    expect(out.events).toEqual([]);
    expect(out.ids).toEqual(["9"]);
  });

  it("does not dispatch an event type without data", () => {
    const out = parse(["event: lonely\n\ndata: x\n\n"]);
    expect(out.events).toEqual([ev("x")]);
  });

  it("accepts retry only when it is all ASCII digits", () => {
    const out = parse(["retry: 1500\nretry: 15a\nretry: -1\nretry:\nretry: 2.5\nretry: 0\n\n"]);
    expect(out.retries).toEqual([1500, 0]);
  });

  it("reports comments (heartbeats) and never turns them into events", () => {
    const out = parse([": ping\n\n:\n\ndata: x\n: inside\n\n"]);
    expect(out.comments).toEqual([" ping", "", " inside"]);
    expect(out.events).toEqual([ev("x")]);
  });

  it("ignores unknown fields and treats field names case-sensitively", () => {
    const out = parse(["Data: upper\nfoo: bar\ndata: ok\n\n"]);
    expect(out.events).toEqual([ev("ok")]);
  });

  it("discards an unterminated event at the end of the stream", () => {
    const out = parse(["data: complete\n\ndata: partial\n"]);
    expect(out.events).toEqual([ev("complete")]);
  });

  it("does not apply the id of an unterminated event", () => {
    const out = parse(["id: 1\ndata: a\n\nid: 2\ndata: b\n"]);
    expect(out.ids).toEqual(["1"]);
  });
});

describe("SSE parser: line endings", () => {
  it.each([
    ["LF", "\n"],
    ["CR", "\r"],
    ["CRLF", "\r\n"],
  ])("splits lines on %s", (_name, eol) => {
    const out = parse([`id: 1${eol}data: a${eol}data: b${eol}${eol}data: c${eol}${eol}`]);
    expect(out.events).toEqual([ev("a\nb", "1"), ev("c", "1")]);
  });

  it("handles mixed line endings in one stream", () => {
    const out = parse(["data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r"]);
    expect(out.events).toEqual([ev("a\nb\nc"), ev("d")]);
  });

  it("treats CRLF split across chunks as one line ending", () => {
    const out = parse(["data: a\r", "\ndata: b\r", "\n\r", "\n"]);
    expect(out.events).toEqual([ev("a\nb")]);
  });

  it("treats CR at a chunk end followed by another line as a single ending", () => {
    const out = parse(["data: a\r", "data: b\r", "\r"]);
    expect(out.events).toEqual([ev("a\nb")]);
  });
});

describe("SSE parser: chunk boundaries", () => {
  const stream =
    '\uFEFFretry: 3000\r\n: ping\r\nid: 1\r\nevent: message\r\ndata: {"n":1}\r\n\r\n' +
    "id: 2\ndata: line one\ndata: line two\n\n" +
    "id: 3\rdata: ünïcødé ✓ 😀\r\r" +
    ": heartbeat\n\n";
  const expected = [ev('{"n":1}', "1"), ev("line one\nline two", "2"), ev("ünïcødé ✓ 😀", "3")];

  it("parses the whole stream in one chunk", () => {
    const out = parse([stream]);
    expect(out.events).toEqual(expected);
    expect(out.retries).toEqual([3000]);
    expect(out.comments).toEqual([" ping", " heartbeat"]);
  });

  it("gives the same result for every split into two chunks", () => {
    for (let i = 0; i <= stream.length; i++) {
      const out = parse([stream.slice(0, i), stream.slice(i)]);
      expect(out.events, `split at ${i}`).toEqual(expected);
      expect(out.comments, `split at ${i}`).toEqual([" ping", " heartbeat"]);
    }
  });

  it("gives the same result for every split into three chunks", () => {
    for (let i = 0; i <= stream.length; i += 3) {
      for (let j = i; j <= stream.length; j += 2) {
        const out = parse([stream.slice(0, i), stream.slice(i, j), stream.slice(j)]);
        expect(out.events, `split at ${i}/${j}`).toEqual(expected);
      }
    }
  });

  it("parses one character at a time", () => {
    const out = parse([...stream]);
    expect(out.events).toEqual(expected);
  });

  it("tolerates empty chunks anywhere", () => {
    const out = parse(["", "data: a", "", "\n", "", "\n", ""]);
    expect(out.events).toEqual([ev("a")]);
  });
});

describe("SSE parser: byte order mark", () => {
  it("strips one BOM at the start of the stream", () => {
    const out = parse(["\uFEFFdata: a\n\n"]);
    expect(out.events).toEqual([ev("a")]);
  });

  it("strips a BOM that arrives as its own chunk", () => {
    const out = parse(["", "\uFEFF", "data: a\n\n"]);
    expect(out.events).toEqual([ev("a")]);
  });

  it("does not strip a second BOM (it becomes part of an unknown field name)", () => {
    const out = parse(["\uFEFF\uFEFFdata: ignored\n\ndata: b\n\n"]);
    expect(out.events).toEqual([ev("b")]);
  });

  it("does not strip a BOM in the middle of the stream", () => {
    const out = parse(["data: a\n\n", "\uFEFFdata: b\n\n"]);
    expect(out.events).toEqual([ev("a")]);
  });
});
