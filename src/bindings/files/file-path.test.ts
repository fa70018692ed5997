import { describe, expect, it } from "vitest";
import { contentTypeFor } from "./content-type.js";
import { filePath, pathPrefix } from "./file-path.js";

const refusal = (value: unknown): string => {
  try {
    return `accepted ${JSON.stringify(filePath(value))}`;
  } catch (err) {
    return `${(err as { guestName: string }).guestName}: ${(err as Error).message}`;
  }
};

describe("file paths", () => {
  it.each([
    ["a.txt", "a.txt"],
    ["photos/2024/cat.jpg", "photos/2024/cat.jpg"],
    ["..a/b..", "..a/b.."],
    ["a/.hidden", "a/.hidden"],
    ["C:x/y", "C:x/y"],
    ["with space/é", "with space/é"],
    ["e\u0301", "é"], // NFD is stored as NFC: one file, one name
    [`${"x".repeat(255)}/y`, `${"x".repeat(255)}/y`],
  ])("accepts %j as %j", (input, stored) => {
    expect(filePath(input)).toBe(stored);
  });

  it.each([
    ["../x", "TypeError: path must not contain .. segments"],
    ["a/../../b", "TypeError: path must not contain .. segments"],
    ["/etc/passwd", "TypeError: path must be relative (no leading /)"],
    ["a\0b", "TypeError: path must not contain NUL or unpaired surrogates"],
    ["a//b", "TypeError: path must not contain empty segments (// or a trailing /)"],
    ["a/", "TypeError: path must not contain empty segments (// or a trailing /)"],
    ["./a", "TypeError: path must not contain . segments"],
    ["a/./b", "TypeError: path must not contain . segments"],
    ["..", "TypeError: path must not contain .. segments"],
    ["x".repeat(2000), "RangeError: path must be at most 1024 characters"],
    [`a/${"y".repeat(300)}`, "RangeError: path segments must be at most 255 bytes (UTF-8)"],
    [`${"é".repeat(128)}`, "RangeError: path segments must be at most 255 bytes (UTF-8)"],
    ["C:\\x", "TypeError: path must not contain backslashes (separate segments with /)"],
    ["a\\b", "TypeError: path must not contain backslashes (separate segments with /)"],
    ["a\nb", "TypeError: path must not contain control characters"],
    ["a\rb", "TypeError: path must not contain control characters"],
    ["a\u007fb", "TypeError: path must not contain control characters"],
    ["a\u0085b", "TypeError: path must not contain control characters"],
    ["a\uD800b", "TypeError: path must not contain NUL or unpaired surrogates"],
    ["", "TypeError: path must not be empty"],
    [42, "TypeError: path must be a string"],
    [null, "TypeError: path must be a string"],
  ])("refuses %j", (input, message) => {
    expect(refusal(input)).toBe(message);
  });

  it("normalizes list prefixes the same way, and treats an empty one as none", () => {
    expect(pathPrefix("e\u0301/")).toBe("é/");
    expect(pathPrefix("")).toBeUndefined();
    expect(() => pathPrefix("a\0")).toThrow("prefix must not contain NUL or unpaired surrogates");
  });
});

describe("content types", () => {
  it.each([
    ["index.html", undefined, "text/html; charset=utf-8"],
    ["a/b/photo.JPG", undefined, "image/jpeg"],
    ["dir.d/README", undefined, "application/octet-stream"],
    ["x.unknown", undefined, "application/octet-stream"],
    ["x.bin", "text/csv; charset=utf-8", "text/csv; charset=utf-8"],
    ["x", " image/png ", "image/png"],
  ])("%s with %j is %s", (path, given, expected) => {
    expect(contentTypeFor(path, given)).toBe(expected);
  });

  it.each([["text/html\r\nx-evil: 1"], ["nonsense"], ["text/"], ["a/b; \u00e9"]])("refuses %j", (given) => {
    expect(() => contentTypeFor("x", given)).toThrow(
      "options.contentType must be a media type such as text/plain or image/png",
    );
  });
});
