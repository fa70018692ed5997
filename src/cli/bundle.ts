/**
 * Bundles a script's entry (JS or TS, with npm imports resolved from the
 * project directory) into the one ESM string the server stores and runs, as
 * wrangler does for Workers. The sandbox has Web APIs, not Node's: packages
 * resolve to their worker/browser builds, and a Node built-in import fails the
 * bundle with a message naming it.
 */
import { builtinModules } from "node:module";
import path from "node:path";
import type { BuildFailure, Message } from "esbuild";
import { CliError } from "./api-client.js";

export interface BundleOptions {
  /** Where relative paths in messages start (the picloud.toml's directory). */
  projectDir: string;
  /** Names of `kind = "module"` scripts: imported by name at run time, so left as imports. */
  modules?: string[];
  minify?: boolean;
}

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** A bundle that failed; `problems` are `file:line:column: message` lines. */
export class BundleError extends CliError {
  constructor(
    readonly entry: string,
    readonly problems: string[],
  ) {
    super(`cannot bundle ${entry}:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "BundleError";
  }
}

function unresolved(text: string): string | undefined {
  return /^Could not resolve "([^"]+)"/.exec(text)?.[1];
}

function describe(m: Message, projectDir: string): string {
  const spec = unresolved(m.text);
  let text = m.text;
  if (spec && NODE_BUILTINS.has(spec)) {
    text = `"${spec}" is a Node.js built-in module: scripts run in a sandbox with Web APIs (fetch, crypto, URL…) and env bindings, not Node APIs`;
  } else if (spec) {
    text = `${m.text} (is the package installed? npm imports resolve from node_modules next to the project)`;
  }
  if (!m.location) return text;
  const file = path.relative(projectDir, path.resolve(projectDir, m.location.file)) || m.location.file;
  return `${file}:${m.location.line}:${m.location.column + 1}: ${text}`;
}

/** Bundles one entry file into an ESM module string. Throws BundleError with file:line:column lines. */
export async function bundleScript(entry: string, opts: BundleOptions): Promise<string> {
  const esbuild = await import("esbuild");
  const entryPath = path.resolve(opts.projectDir, entry);
  const shown = path.relative(opts.projectDir, entryPath) || entryPath;
  try {
    const result = await esbuild.build({
      entryPoints: [entryPath],
      absWorkingDir: opts.projectDir,
      bundle: true,
      write: false,
      format: "esm",
      platform: "neutral",
      mainFields: ["browser", "module", "main"],
      conditions: ["workerd", "worker", "browser"],
      target: "es2022",
      minify: opts.minify ?? false,
      external: opts.modules ?? [],
      logLevel: "silent",
      charset: "utf8",
      legalComments: "none",
    });
    const out = result.outputFiles[0];
    if (!out) throw new BundleError(shown, ["esbuild produced no output"]);
    return out.text;
  } catch (err) {
    if (err instanceof BundleError) throw err;
    const failure = err as BuildFailure;
    if (Array.isArray(failure.errors) && failure.errors.length > 0) {
      throw new BundleError(
        shown,
        failure.errors.map((m) => describe(m, opts.projectDir)),
      );
    }
    throw err;
  }
}
