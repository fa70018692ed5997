/**
 * Piece "streams": a small ReadableStream (default readers, async iteration,
 * tee, ReadableStream.from) — enough for `response.body`, `new
 * Response(stream)` and libraries that pass bodies along. A body's stream is
 * lazy: handing an untouched `res.body` to a new Response moves the bytes
 * without reading them. Responses are sent once complete (no streaming to
 * the client).
 */
import { Op } from "../../ops.js";
import type { Bytes, Internals } from "../internals.js";
import type { BlobPiece, BodyState, StreamsPiece } from "../piece-types.js";

const STREAM = Symbol("stream");

interface Pending {
  resolve(result: IteratorResult<unknown>): void;
  reject(reason: unknown): void;
}

interface StreamState {
  queue: unknown[];
  closed: boolean;
  errored: boolean;
  error: unknown;
  reader: object | null;
  disturbed: boolean;
  pulling: boolean;
  reads: Pending[];
  /** Called once the stream is closed (and drained) or errored: resolves readers' `closed`. */
  waiters: (() => void)[];
  pull?: () => unknown;
  cancel?: (reason: unknown) => unknown;
  body?: BodyState;
}

interface Source {
  start?: (controller: unknown) => unknown;
  pull?: (controller: unknown) => unknown;
  cancel?: (reason: unknown) => unknown;
  type?: unknown;
}

export default function install(I: Internals): StreamsPiece {
  const stateOf = (stream: unknown): StreamState => {
    const s =
      stream !== null && typeof stream === "object"
        ? (stream as { [STREAM]?: StreamState })[STREAM]
        : undefined;
    if (!s) throw new TypeError("Illegal invocation: not a ReadableStream");
    return s;
  };

  const flush = (s: StreamState): void => {
    while (s.reads.length > 0 && s.queue.length > 0)
      s.reads.shift()!.resolve({ value: s.queue.shift(), done: false });
    if (s.closed && s.queue.length === 0)
      for (const read of s.reads.splice(0)) read.resolve({ value: undefined, done: true });
    if (s.errored) for (const read of s.reads.splice(0)) read.reject(s.error);
    if ((s.closed && s.queue.length === 0) || s.errored) for (const waiter of s.waiters.splice(0)) waiter();
  };

  const pull = (s: StreamState): void => {
    if (s.pulling || s.closed || s.errored || !s.pull || s.queue.length > 0) return;
    s.pulling = true;
    Promise.resolve()
      .then(() => s.pull?.())
      .then(
        () => {
          s.pulling = false;
          if (s.reads.length > 0) pull(s);
        },
        (e) => {
          s.pulling = false;
          fail(s, e);
        },
      );
  };

  const fail = (s: StreamState, error: unknown): void => {
    if (s.closed || s.errored) return;
    s.errored = true;
    s.error = error;
    s.queue = [];
    flush(s);
  };

  const makeController = (s: StreamState) => ({
    enqueue(chunk: unknown) {
      if (s.closed || s.errored) throw new TypeError("Cannot enqueue into a closed stream");
      s.queue.push(chunk);
      flush(s);
    },
    close() {
      if (s.closed) throw new TypeError("The stream is already closed");
      s.closed = true;
      flush(s);
    },
    error(e: unknown) {
      fail(s, e);
    },
    get desiredSize() {
      return s.closed ? 0 : 1 - s.queue.length;
    },
  });

  class ReadableStream {
    declare [STREAM]: StreamState;

    constructor(source: Source = {}, _strategy?: unknown) {
      if (source?.type === "bytes") throw new TypeError("Byte streams are not supported");
      const s: StreamState = {
        queue: [],
        closed: false,
        errored: false,
        error: undefined,
        reader: null,
        disturbed: false,
        pulling: false,
        reads: [],
        waiters: [],
      };
      this[STREAM] = s;
      const controller = makeController(s);
      if (typeof source?.pull === "function") s.pull = () => source.pull!.call(source, controller);
      if (typeof source?.cancel === "function") s.cancel = (reason) => source.cancel!.call(source, reason);
      if (typeof source?.start === "function") {
        s.pulling = true;
        Promise.resolve(source.start.call(source, controller)).then(
          () => {
            s.pulling = false;
            if (s.reads.length > 0) pull(s);
          },
          (e) => fail(s, e),
        );
      }
    }

    static from(iterable: unknown): ReadableStream {
      const it = iterable as AsyncIterable<unknown> & Iterable<unknown>;
      const iterator =
        typeof it?.[Symbol.asyncIterator] === "function" ? it[Symbol.asyncIterator]() : it[Symbol.iterator]();
      return new ReadableStream({
        async pull(controller) {
          const c = controller as { enqueue(x: unknown): void; close(): void };
          const next = await iterator.next();
          if (next.done) c.close();
          else c.enqueue(next.value);
        },
      });
    }

    get locked(): boolean {
      return stateOf(this).reader !== null;
    }

    getReader(options?: { mode?: unknown }): ReadableStreamDefaultReader {
      if (options?.mode !== undefined) throw new TypeError("BYOB readers are not supported");
      return new ReadableStreamDefaultReader(this);
    }

    cancel(reason?: unknown): Promise<void> {
      const cancelStream = async (self: unknown) => {
        const s = stateOf(self);
        if (s.reader !== null) throw new TypeError("Cannot cancel a locked stream");
        return cancel(s, reason);
      };
      return I.promise(cancelStream(this));
    }

    tee(): [ReadableStream, ReadableStream] {
      return teeStream(this);
    }

    values(options?: { preventCancel?: unknown }): AsyncIterableIterator<unknown> {
      const reader = this.getReader();
      const preventCancel = Boolean(options?.preventCancel);
      const iterator = new Object() as AsyncIterableIterator<unknown>;
      iterator.next = () => reader.read();
      iterator.return = (value?: unknown) => {
        const done = async () => {
          if (!preventCancel) await reader.cancel();
          else reader.releaseLock();
          return { value, done: true as const };
        };
        return I.promise(done());
      };
      iterator[Symbol.asyncIterator] = () => iterator;
      return iterator;
    }

    [Symbol.asyncIterator](): AsyncIterableIterator<unknown> {
      return this.values();
    }

    get [Symbol.toStringTag](): string {
      return "ReadableStream";
    }
  }

  const cancel = async (s: StreamState, reason: unknown): Promise<void> => {
    s.disturbed = true;
    if (s.closed || s.errored) return;
    s.closed = true;
    s.queue = [];
    flush(s);
    if (s.cancel) await s.cancel(reason);
  };

  const READER = Symbol("reader");

  class ReadableStreamDefaultReader {
    declare [READER]: { stream: ReadableStream | null; closed: Promise<void> };

    constructor(stream: unknown) {
      const s = stateOf(stream);
      if (s.reader !== null) throw new TypeError("The stream is already locked to a reader");
      s.reader = this;
      const closed = new Promise<void>((resolve, reject) => {
        const check = () => (s.errored ? reject(s.error) : resolve());
        if ((s.closed && s.queue.length === 0) || s.errored) check();
        else s.waiters.push(check);
      });
      closed.catch(() => {});
      this[READER] = { stream: stream as ReadableStream, closed };
    }

    get closed(): Promise<void> {
      return this[READER].closed;
    }

    read(): Promise<IteratorResult<unknown>> {
      const stream = this[READER]?.stream;
      if (!stream) return Promise.reject(new TypeError("The reader has been released"));
      const s = stateOf(stream);
      s.disturbed = true;
      if (s.body) s.body.used = true;
      if (s.errored) return Promise.reject(s.error);
      if (s.queue.length > 0) return Promise.resolve({ value: s.queue.shift(), done: false });
      if (s.closed) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => {
        s.reads.push({ resolve, reject });
        pull(s);
      });
    }

    releaseLock(): void {
      const r = this[READER];
      if (!r?.stream) return;
      const s = stateOf(r.stream);
      for (const read of s.reads.splice(0)) read.reject(new TypeError("The reader was released"));
      s.reader = null;
      r.stream = null;
    }

    cancel(reason?: unknown): Promise<void> {
      const cancelReader = async (self: ReadableStreamDefaultReader) => {
        const stream = self[READER]?.stream;
        if (!stream) throw new TypeError("The reader has been released");
        return cancel(stateOf(stream), reason);
      };
      return I.promise(cancelReader(this));
    }

    get [Symbol.toStringTag](): string {
      return "ReadableStreamDefaultReader";
    }
  }

  const teeStream = (stream: ReadableStream): [ReadableStream, ReadableStream] => {
    const reader = stream.getReader();
    const branches: { enqueue(x: unknown): void; close(): void; error(e: unknown): void }[] = [];
    let reading: Promise<void> | null = null;
    const pullBoth = () => {
      reading ??= reader.read().then(
        (result) => {
          reading = null;
          for (const c of branches) {
            try {
              if (result.done) c.close();
              else c.enqueue(result.value);
            } catch {}
          }
        },
        (e) => {
          reading = null;
          for (const c of branches) c.error(e);
        },
      );
      return reading;
    };
    const make = () =>
      new ReadableStream({
        start(controller) {
          branches.push(controller as (typeof branches)[number]);
        },
        pull: pullBoth,
      });
    return [make(), make()];
  };

  const toBytes = (chunk: unknown): Bytes => {
    if (chunk instanceof Uint8Array) return chunk as Bytes;
    if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
    if (ArrayBuffer.isView(chunk))
      return new Uint8Array(chunk.buffer as ArrayBuffer, chunk.byteOffset, chunk.byteLength);
    if (typeof chunk === "string")
      return new Uint8Array(I.host(Op.Utf8Encode, ...I.toHost(chunk)) as ArrayBuffer);
    throw new TypeError("Body stream chunks must be Uint8Array or string");
  };

  const sourceBytes = (src: unknown): Bytes => {
    if (typeof src === "string")
      return new Uint8Array(I.host(Op.Utf8Encode, ...I.toHost(src)) as ArrayBuffer);
    if (src instanceof Uint8Array) return src as Bytes;
    return I.load<BlobPiece>("blob").blobBytes(src);
  };

  I.expose("ReadableStream", ReadableStream);
  I.expose("ReadableStreamDefaultReader", ReadableStreamDefaultReader);
  return {
    isStream: (value) => value !== null && typeof value === "object" && STREAM in value,
    fromBody(body) {
      if (body.src !== null && typeof body.src === "object" && STREAM in body.src) return body.src;
      let done = false;
      const stream = new ReadableStream({
        pull(controller) {
          const c = controller as { enqueue(x: unknown): void; close(): void };
          if (!done) {
            done = true;
            body.used = true;
            const bytes = sourceBytes(body.src);
            if (bytes.byteLength > 0) c.enqueue(new Uint8Array(bytes));
          }
          c.close();
        },
      });
      stream[STREAM].body = body;
      return stream;
    },
    adopt(stream) {
      const s = stateOf(stream);
      if (s.reader !== null || s.disturbed) throw new TypeError("The body stream is locked or has been read");
      if (s.body && !s.body.used) {
        s.body.used = true;
        s.disturbed = true;
        s.closed = true;
        return s.body.src;
      }
      return stream as object;
    },
    async readAll(stream, maxBytes) {
      const reader = (stream as ReadableStream).getReader();
      const chunks: Bytes[] = [];
      let size = 0;
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        const bytes = toBytes(value);
        size += bytes.byteLength;
        if (size > maxBytes) {
          await reader.cancel();
          throw new RangeError(`The body exceeds ${maxBytes} bytes`);
        }
        chunks.push(bytes);
      }
      reader.releaseLock();
      if (chunks.length === 1) return chunks[0]!;
      const out = new Uint8Array(size);
      let offset = 0;
      for (const chunk of chunks) {
        out.set(chunk, offset);
        offset += chunk.byteLength;
      }
      return out;
    },
    tee: (stream) => teeStream(stream as ReadableStream),
  };
}
