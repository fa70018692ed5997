import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ENV_VARS } from "./env.js";

describe("README configuration table", () => {
  it("documents every environment variable the daemon reads", () => {
    const readme = readFileSync(
      path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../README.md"),
      "utf8",
    );
    const missing = Object.keys(ENV_VARS).filter((name) => !readme.includes(`| \`${name}\``));
    expect(missing).toEqual([]);
  });
});
