/**
 * The guest prelude is TypeScript checked against the ES libraries only (no
 * DOM, no @types/node): its own tsconfig, excluded from the root program. This
 * test runs that check, so `vitest run` covers it.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

it("type-checks runtime/prelude against ES libs only", async () => {
  const tsc = fileURLToPath(new URL("../node_modules/typescript/bin/tsc", import.meta.url));
  const project = fileURLToPath(new URL("./prelude/tsconfig.json", import.meta.url));
  const result = await promisify(execFile)(process.execPath, [tsc, "-p", project], { timeout: 60_000 }).then(
    () => "",
    (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ""}${error.stderr ?? ""}`,
  );
  expect(result).toBe("");
}, 60_000);
