import { describe, expect, it } from "vitest";
import { uuidv7 } from "../lib/ids.js";
import { testDbKinds } from "../testing/database.js";
import { useHarness } from "../testing/harness.js";
import { sweepExecutions } from "./retention.js";
import { executions } from "./schema.js";

describe.each(testDbKinds())("execution records [%s]", (kind) => {
  const h = useHarness(kind);

  const row = (startedAt: Date) => ({
    id: uuidv7(),
    appId: uuidv7(),
    scriptId: uuidv7(),
    scriptName: "s",
    versionId: uuidv7(),
    version: 1,
    rootId: uuidv7(),
    trigger: "http",
    entry: "fetch",
    status: "ok" as const,
    durationMs: 1,
    startedAt,
    logs: [],
  });

  it("sweeps records past retention in batches and keeps the rest", async () => {
    const { db } = h.services.database;
    const old = new Date(Date.now() - 8 * 86_400_000);
    for (let i = 0; i < 5; i++) h.services.recorder.record(row(old));
    h.services.recorder.record(row(new Date()));
    await h.services.recorder.flush();
    const deleted = await sweepExecutions(db, new Date(Date.now() - 7 * 86_400_000), 2);
    expect(deleted).toBe(5);
    expect(await db.$count(executions)).toBe(1);
  });

  it("writes hundreds of records in batches without losing any", async () => {
    for (let i = 0; i < 450; i++) h.services.recorder.record(row(new Date()));
    await h.services.recorder.flush();
    expect(await h.services.database.db.$count(executions)).toBe(450);
  });
});
