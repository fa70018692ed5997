/** `picloud version`: the CLI's version (from its package.json) and the Node.js running it. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CliEnv } from "../config/cli.js";
import { type CliIo, parseOutputFormat, printObject } from "./output.js";

/** The version in the nearest package.json named picloud above this file (src/ or dist/src/ alike). */
export function picloudVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "picloud" && pkg.version) return pkg.version;
    } catch {
      // no package.json here: look further up
    }
    const up = path.dirname(dir);
    if (up === dir) return "unknown";
    dir = up;
  }
}

export async function version(args: string[], _env: CliEnv, io: CliIo): Promise<void> {
  const i = args.findIndex((a) => a === "--output" || a === "-o");
  const format = parseOutputFormat(i >= 0 ? args[i + 1] : undefined);
  const info = {
    picloud: picloudVersion(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
  if (format === "json") printObject(io, format, info);
  else io.out(`picloud ${info.picloud} (node ${info.node}, ${info.platform})`);
}
