import { describe, expect, it } from "vitest";
import { prefixRange } from "./key-range.js";

describe("prefixRange", () => {
  it("bounds every key with the prefix and no other", () => {
    expect(prefixRange("b/")).toEqual({ from: "b/", to: "b0" });
    expect(prefixRange("a\u{10FFFF}")).toEqual({ from: "a\u{10FFFF}", to: "b" });
    expect(prefixRange("\u{10FFFF}")).toEqual({ from: "\u{10FFFF}", to: null });
    expect(prefixRange("x\uD7FF").to).toBe("x\uE000");
  });
});
