import { describe, expect, it } from "vitest";
import { readSse, type SseEvent } from "./sse-reader.js";

/** A stream delivering the text in the given pieces, as a network would. */
function streamOf(pieces: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const p of pieces) controller.enqueue(encoder.encode(p));
      controller.close();
    },
  });
}

async function events(pieces: string[]): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const e of readSse(streamOf(pieces))) out.push(e);
  return out;
}

const TEXT =
  'event: ready\ndata: {"app":"blog"}\n\n: ping\n\nevent: log\ndata: {"a":1}\n\nid: 7\ndata: line one\ndata: line two\n\n';
const EXPECTED: SseEvent[] = [
  { event: "ready", data: '{"app":"blog"}', id: undefined },
  { event: "log", data: '{"a":1}', id: undefined },
  { event: "message", data: "line one\nline two", id: "7" },
];

describe("reading Server-Sent Events", () => {
  it("parses events, skips heartbeat comments, joins multi-line data", async () => {
    expect(await events([TEXT])).toEqual(EXPECTED);
  });

  it("gives the same events however the bytes are split", async () => {
    for (const size of [1, 2, 3, 7, 16]) {
      const pieces = [];
      for (let i = 0; i < TEXT.length; i += size) pieces.push(TEXT.slice(i, i + size));
      expect(await events(pieces)).toEqual(EXPECTED);
    }
  });

  it("accepts CRLF and CR line endings, even split between chunks", async () => {
    expect(await events(["event: log\r", "\ndata: x\r\n\r", "\nevent: a\rdata: y\r\r"])).toEqual([
      { event: "log", data: "x", id: undefined },
      { event: "a", data: "y", id: undefined },
    ]);
  });

  it("drops an event the stream cut off before its blank line", async () => {
    expect(await events(["event: log\ndata: complete\n\nevent: log\ndata: cut"])).toEqual([
      { event: "log", data: "complete", id: undefined },
    ]);
  });
});
