import { describe, expect, it } from "vitest";
import { WeightedLru } from "./lru.js";

describe("WeightedLru", () => {
  it("evicts the least recently used entries past the weight budget", () => {
    const lru = new WeightedLru<string, string>(10, (v) => v.length);
    lru.set("a", "aaaa");
    lru.set("b", "bbbb");
    expect(lru.get("a")).toBe("aaaa"); // a is now the most recent
    lru.set("c", "cccc"); // 12 > 10: evicts b
    expect(lru.get("b")).toBeUndefined();
    expect(lru.get("a")).toBe("aaaa");
    expect(lru.get("c")).toBe("cccc");
  });

  it("does not keep a value heavier than the whole budget", () => {
    const lru = new WeightedLru<string, string>(3, (v) => v.length);
    lru.set("big", "xxxx");
    expect(lru.get("big")).toBeUndefined();
    expect(lru.size).toBe(0);
  });
});
