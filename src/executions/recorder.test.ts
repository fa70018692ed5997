import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { testDbKinds } from "../testing/database.js";
import { useHarness } from "../testing/harness.js";
import type { ExecutionRecord } from "./recorder.js";
import { executions } from "./schema.js";

const uuid = () => crypto.randomUUID();

function record(overrides: Partial<ExecutionRecord> = {}): ExecutionRecord {
  const id = uuid();
  return {
    id,
    appId: uuid(),
    scriptId: uuid(),
    scriptName: "api",
    versionId: uuid(),
    version: 3,
    rootId: id,
    trigger: "http",
    entry: "fetch",
    status: "ok",
    durationMs: 12,
    startedAt: new Date("2026-11-26T10:00:00.123Z"),
    logs: [],
    ...overrides,
  };
}

describe.each(testDbKinds())("execution recorder [%s]", (kind) => {
  const h = useHarness(kind);
  const read = async (id: string) =>
    (await h.services.database.db.select().from(executions).where(eq(executions.id, id)))[0];

  it("stores every field of a batch as given, JSON values and SQL nulls included", async () => {
    const full = record({
      depth: 2,
      status: "error",
      httpStatus: 500,
      request: "GET /boom?x=1",
      error: { name: "TypeError", message: "x is not a function — «quoted» 'single'", stack: "at a\nat b" },
      lateError: { name: "timeout", message: "waitUntil ran out of time" },
      logs: [
        { level: "log", message: 'line with "quotes", \\ and ü', at: 1 },
        { level: "error", message: "second", at: 2 },
      ] as never,
      logsTruncated: true,
    });
    const bare = record();
    h.services.recorder.record(full);
    h.services.recorder.record(bare);
    await h.services.recorder.flush();

    expect(await read(full.id)).toEqual({ ...full });
    expect(await read(bare.id)).toEqual({
      ...bare,
      depth: 0,
      httpStatus: null,
      request: null,
      error: null,
      lateError: null,
      logsTruncated: false,
    });
  });

  it("stores records whose texts hold NUL or unpaired surrogates (as U+FFFD) without losing the rest of the batch", async () => {
    const nul = record({
      request: "GET /a\0b",
      error: { name: "Error", message: "bad \0 byte" },
      logs: [
        { level: "log", message: "x\0y", at: 1 },
        { level: "log", message: "half \ud800 a pair", at: 2 },
      ] as never,
    });
    const other = record();
    h.services.recorder.record(nul);
    h.services.recorder.record(other);
    await h.services.recorder.flush();
    expect(await read(nul.id)).toMatchObject({
      request: "GET /a\uFFFDb",
      error: { message: "bad \uFFFD byte" },
      logs: [{ message: "x\uFFFDy" }, { message: "half \uFFFD a pair" }],
    });
    expect(await read(other.id)).toBeDefined();
  });

  it("writes a record it has already written once only, and batches past the batch size", async () => {
    const rows = Array.from({ length: 450 }, () => record());
    for (const r of rows) h.services.recorder.record(r);
    h.services.recorder.record(rows[0]!);
    await h.services.recorder.flush();
    const ids = new Set(
      (await h.services.database.db.select({ id: executions.id }).from(executions)).map((r) => r.id),
    );
    expect(rows.every((r) => ids.has(r.id))).toBe(true);
    expect(ids.size).toBe(450);
  });
});
