/**
 * Where the guest prelude's JavaScript comes from. `npm run build` bundles
 * runtime/prelude/ with esbuild into dist/runtime/prelude.gen.js (see
 * runtime/build-prelude.mjs); when that file is absent (vitest from sources,
 * or a tsc-only build) the same bundling runs on the fly.
 *
 * Each piece becomes the text of an expression evaluating to its install
 * function: `(function(){"use strict"; …; return install})()`. Plain ESM output
 * is used rather than esbuild's iife format, whose CommonJS interop helpers
 * would be compiled again in every context.
 */

import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface PreludeBundle {
  /** Evaluates to `boot(host)`. */
  core: string;
  /** piece name → expression evaluating to `install(internals)`. */
  pieces: Record<string, string>;
}

const EXPORT_DEFAULT = /export\s*\{\s*([\w$]+)\s+as\s+default\s*\}\s*;?\s*$/;

function asExpression(esm: string, file: string): string {
  const match = EXPORT_DEFAULT.exec(esm);
  if (!match) throw new Error(`prelude: ${file} must have exactly one default export`);
  const body = esm.slice(0, match.index);
  return `(function(){"use strict";${body}\nreturn ${match[1]};})()`;
}

/** Bundles runtime/prelude (core.ts and pieces/*.ts) with esbuild. */
export async function bundlePrelude(preludeDir: string): Promise<PreludeBundle> {
  const esbuild = await import("esbuild");
  const build = async (file: string): Promise<string> => {
    const result = await esbuild.build({
      entryPoints: [file],
      bundle: true,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      minify: true,
      // Web classes and functions keep their names (URL.name is "URL", not "y"): error messages,
      // String(x) and code that checks constructor names show them. Paid once per snapshot.
      keepNames: true,
      write: false,
      logLevel: "silent",
    });
    return asExpression(result.outputFiles[0]!.text, file);
  };
  const names = (await readdir(join(preludeDir, "pieces"))).filter(
    (f) => f.endsWith(".ts") && !f.endsWith(".test.ts"),
  );
  const pieces: Record<string, string> = {};
  await Promise.all(
    names.map(async (name) => {
      pieces[name.slice(0, -3)] = await build(join(preludeDir, "pieces", name));
    }),
  );
  return { core: await build(join(preludeDir, "core.ts")), pieces };
}

let cached: Promise<PreludeBundle> | undefined;

/** The prelude for this process: the built file if present, else bundled from sources. */
export function loadPrelude(): Promise<PreludeBundle> {
  cached ??= (async () => {
    const built = new URL("./prelude.gen.js", import.meta.url);
    if (existsSync(fileURLToPath(built))) {
      const mod = (await import(/* @vite-ignore */ built.href)) as { default: PreludeBundle };
      return mod.default;
    }
    for (const candidate of ["./prelude/", "../../runtime/prelude/"]) {
      const dir = fileURLToPath(new URL(candidate, import.meta.url));
      if (existsSync(join(dir, "core.ts"))) return bundlePrelude(dir);
    }
    throw new Error("prelude: neither prelude.gen.js nor runtime/prelude sources were found");
  })();
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}
