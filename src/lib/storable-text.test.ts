import { describe, expect, it } from "vitest";
import { describeUnstorable, findUnstorable, isStorableText, toStorableText } from "./storable-text.js";

describe("isStorableText", () => {
  it.each([
    ["plain text", "hello", true],
    ["empty", "", true],
    ["a paired surrogate (emoji)", "a😀b", true],
    ["non-ASCII", "Grüße, 東京", true],
    ["NUL", "a\u0000b", false],
    ["a lone high surrogate", "a\ud800b", false],
    ["a lone high surrogate at the end", "a\ud800", false],
    ["a lone low surrogate", "\udc00x", false],
    ["two high surrogates", "\ud800\ud800\udc00", false],
    ["a reversed pair", "\udc00\ud800", false],
  ])("%s → %s", (_name, s, ok) => {
    expect(isStorableText(s)).toBe(ok);
  });
});

describe("findUnstorable", () => {
  it.each([
    ["a clean object", { a: ["x", 1, null, { b: "y" }] }, undefined],
    ["a root string", "\u0000", { path: "", inKey: false }],
    ["a field", { name: "a\u0000b" }, { path: "name", inKey: false }],
    ["a nested value", { vars: { A: "\ud800" } }, { path: "vars.A", inKey: false }],
    ["an array element", { scopes: ["ok", "\udfff"] }, { path: "scopes.1", inKey: false }],
    ["a key", { vars: { "A\u0000": "x" } }, { path: "vars", inKey: true }],
    ["the first of two, in order", { a: "\u0000", b: "\u0000" }, { path: "a", inKey: false }],
  ])("%s", (_name, value, spot) => {
    expect(findUnstorable(value)).toEqual(spot);
  });

  it("walks values nested deeper than the call stack", () => {
    let deep: unknown = "\u0000";
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(findUnstorable(deep)?.inKey).toBe(false);
  });

  it("describes a spot naming the field", () => {
    expect(describeUnstorable({ path: "vars.A", inKey: false }, "body")).toBe(
      "vars.A: must not contain NUL or unpaired surrogates",
    );
    expect(describeUnstorable({ path: "", inKey: true }, "body")).toBe(
      "body: keys must not contain NUL or unpaired surrogates",
    );
  });
});

describe("toStorableText", () => {
  it.each([
    ["clean text is kept", "a😀b", "a😀b"],
    ["NUL", "a\u0000b\u0000", "a\uFFFDb\uFFFD"],
    ["lone surrogates, keeping a pair", "\ud800x\udc00😀", "\uFFFDx\uFFFD😀"],
  ])("%s", (_name, s, out) => {
    expect(toStorableText(s)).toBe(out);
    expect(isStorableText(toStorableText(s))).toBe(true);
  });
});
