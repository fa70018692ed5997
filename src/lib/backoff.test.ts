import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff.js";

describe("backoffDelay", () => {
  const top = () => 1; // the largest jitter
  const bottom = () => 0; // the smallest

  it.each([
    ["exponential", [1000, 2000, 4000, 8000, 16000]],
    ["linear", [1000, 2000, 3000, 4000, 5000]],
    ["constant", [1000, 1000, 1000, 1000, 1000]],
  ] as const)("%s grows as specified, within [half, full] of the step", (kind, steps) => {
    steps.forEach((full, i) => {
      expect(backoffDelay(kind, i + 1, 1000, 60_000, top)).toBe(full);
      expect(backoffDelay(kind, i + 1, 1000, 60_000, bottom)).toBe(full / 2);
    });
  });

  it("caps at the maximum, also for huge attempt numbers", () => {
    expect(backoffDelay("exponential", 80, 1000, 30_000, top)).toBe(30_000);
    expect(backoffDelay("linear", 1000, 1000, 30_000, top)).toBe(30_000);
  });
});
