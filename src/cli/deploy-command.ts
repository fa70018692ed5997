/**
 * `picloud deploy`: reads picloud.toml, bundles every script, and asks the
 * server to make the app match (creating it if needed). The server computes the
 * plan, so deploying twice prints "No changes" and a dry run shows the same
 * plan without applying it.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import type { CliEnv } from "../config/cli.js";
import { loadProject, ProjectError } from "../config/project.js";
import { adminClient, CliError } from "./api-client.js";
import type { DeployAnswer } from "./deploy-plan.js";
import { planLines } from "./deploy-plan.js";
import { buildManifest } from "./manifest.js";
import { type CliIo, parseOutputFormat } from "./output.js";

export const DEPLOY_USAGE =
  "usage: picloud deploy [--dry-run] [--env <name>] [--config <path/to/picloud.toml>] [--minify] [--output json]";

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

export async function deploy(args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      "dry-run": { type: "boolean" },
      env: { type: "string", short: "e" },
      config: { type: "string", short: "c" },
      minify: { type: "boolean" },
      output: { type: "string", short: "o" },
    },
  });
  if (positionals.length > 0) throw new CliError(DEPLOY_USAGE, 2);
  const format = parseOutputFormat(values.output);
  const file = path.resolve(values.config ?? "picloud.toml");
  let project: ReturnType<typeof loadProject>;
  try {
    project = loadProject(file, { env: values.env });
  } catch (err) {
    if (err instanceof ProjectError) {
      const hint =
        err.problems[0] === "file not found"
          ? "\n(run picloud deploy where picloud.toml is, or pass --config)"
          : "";
      throw new CliError(`${err.message}${hint}`);
    }
    throw err;
  }

  const { manifest, sizes } = await buildManifest(project, {
    dryRun: values["dry-run"] ?? false,
    minify: values.minify ?? false,
  });
  if (format === "table" && project.scripts.length > 0) {
    const list = Object.entries(sizes).map(([name, size]) => `${name} ${kib(size)}`);
    io.out(`Bundled ${list.join(", ")}${project.env ? ` (env ${project.env})` : ""}`);
  }
  const answer = await adminClient(env).request<DeployAnswer>(
    "POST",
    `/apps/${encodeURIComponent(project.name)}/deploy`,
    manifest,
  );
  if (format === "json") {
    io.out(JSON.stringify(answer, null, 2));
    return;
  }
  for (const line of planLines(answer)) io.out(line);
}
