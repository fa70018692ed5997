import { describe, expect, it } from "vitest";
import { isUuid, uuidv7 } from "./ids.js";

describe("uuidv7", () => {
  it("produces version-7, RFC 9562 variant UUIDs", () => {
    const id = uuidv7();
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe("7");
    expect(["8", "9", "a", "b"]).toContain(id[19]);
  });

  it("sorts by creation order, also within one millisecond", () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7(1_700_000_000_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("encodes the timestamp in the first 48 bits", () => {
    const ms = Date.UTC(2030, 0, 1);
    const id = uuidv7(ms + 10_000);
    expect(Number.parseInt(id.replace(/-/g, "").slice(0, 12), 16)).toBe(ms + 10_000);
  });

  it("draws fresh random bits for every id, across refills of its random pool", () => {
    const tails = Array.from({ length: 2000 }, () => uuidv7().slice(-12));
    expect(new Set(tails).size).toBe(tails.length);
  });
});
