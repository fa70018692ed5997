/**
 * The import specifiers of a script's source (static and dynamic imports with
 * a literal string), found by esbuild's parser rather than by pattern matching.
 * A source that does not parse is refused here, at deploy, with the line and
 * column — not later on a request.
 */
import { build } from "esbuild";
import { badRequest } from "../lib/errors.js";

export async function importsOf(source: string, scriptName: string): Promise<string[]> {
  const found = new Set<string>();
  try {
    await build({
      stdin: { contents: source, loader: "js", sourcefile: `${scriptName}.js` },
      bundle: true,
      write: false,
      format: "esm",
      platform: "neutral",
      logLevel: "silent",
      plugins: [
        {
          name: "collect-imports",
          setup(b) {
            b.onResolve({ filter: /.*/ }, (args) => {
              if (args.kind === "entry-point") return undefined;
              // Only ES imports link to modules; `require` does not exist in the sandbox and fails when it runs.
              if (args.kind === "import-statement" || args.kind === "dynamic-import") found.add(args.path);
              return { path: args.path, external: true };
            });
          },
        },
      ],
    });
  } catch (err) {
    const first = (err as { errors?: { text: string; location?: { line: number; column: number } | null }[] })
      .errors?.[0];
    const where = first?.location ? `:${first.location.line}:${first.location.column}` : "";
    throw badRequest(
      `script ${scriptName} does not parse (${scriptName}.js${where}): ${first?.text ?? (err as Error).message}`,
      {
        field: "source",
      },
    );
  }
  return [...found];
}
