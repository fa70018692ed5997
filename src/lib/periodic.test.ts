import { describe, expect, it } from "vitest";
import { Periodic } from "./periodic.js";

describe("Periodic", () => {
  it("runs repeatedly, survives failures, and stops", async () => {
    let runs = 0;
    const errors: unknown[] = [];
    const p = new Periodic(
      async () => {
        runs++;
        if (runs === 2) throw new Error("boom");
      },
      5,
      (e) => errors.push(e),
    );
    p.start({ runNow: true });
    p.start(); // idempotent
    await expect.poll(() => runs, { timeout: 2000 }).toBeGreaterThanOrEqual(4);
    await p.stop();
    await p.stop();
    const after = runs;
    await new Promise((r) => setTimeout(r, 30));
    expect(runs).toBe(after);
    expect(errors).toHaveLength(1);
  });

  it("never runs the task twice at once", async () => {
    let active = 0;
    let maxActive = 0;
    const p = new Periodic(
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, 10));
        active--;
      },
      1,
      () => {},
    );
    p.start({ runNow: true });
    await Promise.all([p.runOnce(), p.runOnce()]);
    await p.stop();
    expect(maxActive).toBe(1);
  });
});
