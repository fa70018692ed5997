import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { resolveMasterKeys } from "./secret-key.js";

describe("the master key at start", () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), "picloud-key-"));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const warnings: string[] = [];
  const log = { warn: (_o: object, msg: string) => warnings.push(msg) };

  it("uses PICLOUD_SECRET_KEY when set, and writes no file", () => {
    const dir = dataDir();
    const key = Buffer.alloc(32, 1);
    const keys = resolveMasterKeys({ key, previousKey: null, keyFile: path.join(dir, "secret.key") }, log);
    expect(keys).toEqual({ current: key, previous: null, source: "env" });
    expect(() => statSync(path.join(dir, "secret.key"))).toThrow();
  });

  it("generates a 0600 key file in development, warns, and reuses it on the next start", () => {
    const keyFile = path.join(dataDir(), "nested", "secret.key");
    warnings.length = 0;
    const first = resolveMasterKeys({ key: null, previousKey: null, keyFile }, log);
    expect(first.source).toBe("generated");
    expect(first.current).toHaveLength(32);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(keyFile, "utf8").trim(), "base64")).toEqual(first.current);
    expect(warnings[0]).toContain("PICLOUD_SECRET_KEY is not set");
    expect(warnings[0]).not.toContain(first.current.toString("base64"));
    const second = resolveMasterKeys({ key: null, previousKey: null, keyFile }, log);
    expect(second).toEqual({ current: first.current, previous: null, source: "file" });
  });

  it("refuses a key file that does not hold 32 bytes of base64", () => {
    const keyFile = path.join(dataDir(), "secret.key");
    writeFileSync(keyFile, "too short\n");
    expect(() => resolveMasterKeys({ key: null, previousKey: null, keyFile }, log)).toThrow(
      "must hold base64 of 32 bytes",
    );
  });
});
