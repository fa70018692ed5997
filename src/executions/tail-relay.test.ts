import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { useHarness } from "../testing/harness.js";
import { LiveTail, type TailEvent } from "./live-tail.js";
import { fitted, MAX_EVENT_BYTES, TailRelay } from "./tail-relay.js";

const APP = "0190a000-0000-7000-8000-000000000001";
const OTHER = "0190a000-0000-7000-8000-000000000002";
const log = (appId: string, message: string): Extract<TailEvent, { type: "log" }> => ({
  type: "log",
  appId,
  executionId: "e1",
  scriptName: "api",
  level: "log",
  message,
  at: 1,
});

describe("fitted tail events", () => {
  it("leaves small events alone and makes every event fit one NOTIFY", () => {
    const small = log(APP, "hello");
    expect(fitted(small)).toBe(small);
    const long = fitted(log(APP, "\u0001".repeat(50_000))) as Extract<TailEvent, { type: "log" }>;
    expect(Buffer.byteLength(JSON.stringify(long))).toBeLessThan(7_800);
    expect(long.message.endsWith("… (cut)")).toBe(true);

    const lines = Array.from({ length: 300 }, (_, i) => ({
      level: "log",
      message: `line ${i} ${"x".repeat(50)}`,
    }));
    const execution: TailEvent = {
      type: "execution",
      appId: APP,
      execution: { id: "e1", status: "ok", logs: lines, request: "GET /", error: null },
    };
    const slim = fitted(execution) as Extract<TailEvent, { type: "execution" }>;
    expect(Buffer.byteLength(JSON.stringify(slim))).toBeLessThan(7_800);
    expect(slim.execution).toMatchObject({ id: "e1", logs: [], logsTruncated: true, logLines: 300 });

    const huge: TailEvent = {
      type: "execution",
      appId: APP,
      execution: {
        id: "e2",
        request: `GET /${"q".repeat(20_000)}`,
        error: { name: "Error", message: "m".repeat(20_000), stack: "s".repeat(20_000) },
        logs: [],
      },
    };
    const cut = fitted(huge) as Extract<TailEvent, { type: "execution" }>;
    expect(Buffer.byteLength(JSON.stringify(cut))).toBeLessThan(7_800);
    expect(cut.execution.error).toEqual({ name: "Error", message: "m".repeat(500) });
  });

  it("keeps every event within one NOTIFY even when a script writes escaped or multi-byte text", () => {
    for (const ch of ["\u0001", "漢", "😀", '"']) {
      const many = ch.repeat(20_000);
      const line = fitted({ ...log(APP, many), scriptName: many });
      expect(Buffer.byteLength(JSON.stringify(line))).toBeLessThanOrEqual(MAX_EVENT_BYTES);
      const execution = fitted({
        type: "execution",
        appId: APP,
        execution: {
          id: "e3",
          scriptName: many,
          status: "error",
          request: `GET /${many}`,
          error: { name: many, message: many, stack: many },
          lateError: { name: many, message: many },
          logs: [{ level: "log", message: many }],
        },
      }) as Extract<TailEvent, { type: "execution" }>;
      expect(Buffer.byteLength(JSON.stringify(execution))).toBeLessThanOrEqual(MAX_EVENT_BYTES);
      expect(execution.execution).toMatchObject({
        id: "e3",
        status: "error",
        logsTruncated: true,
        logLines: 1,
      });
    }
  });
});

describe.each(testDbKinds())("tail relay between processes [%s]", (kind) => {
  const h = useHarness(kind);

  it("relays the events of apps watched on the other process, and only those", async () => {
    // Two processes' tails, sharing one database's NOTIFY channels.
    const here = new LiveTail();
    const there = new LiveTail();
    const errors: unknown[] = [];
    const relays = [
      new TailRelay(here, h.services.database.notifier, (e) => errors.push(e)),
      new TailRelay(there, h.services.database.notifier, (e) => errors.push(e)),
    ];
    for (const r of relays) await r.start();
    try {
      expect(here.watching(APP)).toBe(false);
      const seen: TailEvent[] = [];
      const unsubscribe = there.subscribe(APP, (e) => seen.push(e));
      await expect.poll(() => here.watching(APP), { timeout: 5_000 }).toBe(true);
      expect(here.watching(OTHER)).toBe(false);

      here.emit(log(APP, "for the watcher"));
      here.emit(log(OTHER, "nobody watches this app"));
      await expect
        .poll(() => seen.map((e) => (e as { message: string }).message))
        .toEqual(["for the watcher"]);
      // A relayed event is delivered, never relayed back: the sender's own listeners see nothing twice.
      const local: TailEvent[] = [];
      const unsubscribeLocal = here.subscribe(APP, (e) => local.push(e));
      await expect.poll(() => there.watching(APP)).toBe(true);
      here.emit(log(APP, "second"));
      await expect.poll(() => seen.length).toBe(2);
      await new Promise((r) => setTimeout(r, 200));
      expect(local.map((e) => (e as { message: string }).message)).toEqual(["second"]);
      expect(seen).toHaveLength(2);

      // A burst arrives complete and in order (packed into few notifications, one at a time).
      const burst = Array.from(
        { length: 300 },
        (_, i) => `burst ${i} ${"y".repeat(i % 7 === 0 ? 3000 : 20)}`,
      );
      for (const m of burst) here.emit(log(APP, m));
      await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(302);
      expect(seen.slice(2).map((e) => (e as { message: string }).message)).toEqual(burst);
      unsubscribe();
      expect(errors).toEqual([]);

      // Stopped, a relay forgets the other process's watches and sends nothing more.
      unsubscribeLocal();
      expect(here.watching(APP)).toBe(true); // still watched on the other process
      await relays[0]!.stop();
      expect(here.watching(APP)).toBe(false);
      here.emit(log(APP, "after stop"));
      await new Promise((r) => setTimeout(r, 200));
      expect(seen).toHaveLength(302);
    } finally {
      for (const r of relays) await r.stop();
    }
  });
});
