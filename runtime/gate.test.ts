import { describe, expect, it } from "vitest";
import { ConcurrencyGate } from "./gate.js";

describe("ConcurrencyGate", () => {
  it("hands out at most `size` permits to tryAcquire and refuses the rest", () => {
    const gate = new ConcurrencyGate(2);
    const a = gate.tryAcquire();
    const b = gate.tryAcquire();
    expect(a).not.toBeNull();
    expect(b).not.toBeNull();
    expect(gate.tryAcquire()).toBeNull();
    expect(gate.inUse).toBe(2);
    a!.release();
    expect(gate.inUse).toBe(1);
    expect(gate.tryAcquire()).not.toBeNull();
  });

  it("ignores a second release of the same permit", () => {
    const gate = new ConcurrencyGate(1);
    const permit = gate.tryAcquire()!;
    permit.release();
    permit.release();
    expect(gate.inUse).toBe(0);
    expect(permit.released).toBe(true);
    gate.tryAcquire();
    expect(gate.tryAcquire()).toBeNull();
  });

  it("serves waiters in FIFO order and never lets tryAcquire overtake them", async () => {
    const gate = new ConcurrencyGate(1);
    const first = gate.tryAcquire()!;
    const order: string[] = [];
    const w1 = gate.acquire().then((p) => {
      order.push("w1");
      return p;
    });
    const w2 = gate.acquire().then((p) => {
      order.push("w2");
      return p;
    });
    expect(gate.waiting).toBe(2);
    first.release();
    expect(gate.tryAcquire()).toBeNull();
    const p1 = await w1;
    p1.release();
    const p2 = await w2;
    expect(order).toEqual(["w1", "w2"]);
    expect(gate.inUse).toBe(1);
    p2.release();
    expect(gate.inUse).toBe(0);
    expect(gate.waiting).toBe(0);
  });

  it("removes an aborted waiter and rejects it with the signal's reason", async () => {
    const gate = new ConcurrencyGate(1);
    const held = gate.tryAcquire()!;
    const controller = new AbortController();
    const waiting = gate.acquire(controller.signal);
    const next = gate.acquire();
    controller.abort(new Error("gave up"));
    await expect(waiting).rejects.toThrow("gave up");
    expect(gate.waiting).toBe(1);
    held.release();
    const permit = await next;
    expect(gate.inUse).toBe(1);
    permit.release();
  });

  it("rejects at once when the signal is already aborted", async () => {
    const gate = new ConcurrencyGate(1);
    await expect(gate.acquire(AbortSignal.abort(new Error("no")))).rejects.toThrow("no");
    expect(gate.inUse).toBe(0);
  });

  it("refuses a size that is not a positive integer", () => {
    expect(() => new ConcurrencyGate(0)).toThrow(RangeError);
    expect(() => new ConcurrencyGate(1.5)).toThrow(RangeError);
  });
});
