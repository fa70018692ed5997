/**
 * `picloud init [dir] [--template hello|hono|realtime-chat|email-inbox] [--name slug]`:
 * writes a new project that deploys as is. Existing files are never overwritten
 * unless --force: init in a directory that already has a project is refused.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { SLUG_RE, slugify } from "../apps/slug.js";
import type { CliEnv } from "../config/cli.js";
import { CliError } from "./api-client.js";
import type { CliIo } from "./output.js";
import { TEMPLATES } from "./templates/index.js";

export const INIT_USAGE = `usage: picloud init [dir] [--template ${Object.keys(TEMPLATES).join("|")}] [--name <app slug>] [--force]`;

export async function init(args: string[], _env: CliEnv, io: CliIo): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      template: { type: "string", short: "t" },
      name: { type: "string" },
      force: { type: "boolean" },
    },
  });
  if (positionals.length > 1) throw new CliError(INIT_USAGE, 2);
  const templateName = values.template ?? "hello";
  const template = TEMPLATES[templateName];
  if (!template)
    throw new CliError(
      `unknown template "${templateName}"; choose one of:\n${Object.entries(TEMPLATES)
        .map(([n, t]) => `  ${n.padEnd(14)} ${t.describe}`)
        .join("\n")}`,
      2,
    );
  const dir = path.resolve(positionals[0] ?? ".");
  const slug = values.name ?? slugify(path.basename(dir));
  if (!SLUG_RE.test(slug))
    throw new CliError(
      `"${slug}" is not a valid app name (1-63 of a-z, 0-9 and '-'); give one with --name`,
      2,
    );
  const files = template.files(slug);
  const clashes = Object.keys(files).filter((f) => existsSync(path.join(dir, f)));
  if (clashes.length > 0 && !values.force)
    throw new CliError(
      `${path.relative(process.cwd(), dir) || "."} already has ${clashes.join(", ")}; choose an empty directory or pass --force to overwrite`,
    );
  for (const [file, content] of Object.entries(files)) {
    const target = path.join(dir, file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  const rel = path.relative(process.cwd(), dir);
  io.out(`Created app ${slug} from the ${templateName} template in ${rel || "."}:`);
  for (const f of Object.keys(files).sort()) io.out(`  ${f}`);
  io.out("");
  io.out("Next:");
  if (rel) io.out(`  cd ${rel}`);
  io.out("  npm install        # the test runner (and hono for the hono template)");
  io.out("  picloud deploy     # after picloud login");
  io.out(`  curl http://${slug}.localhost:8787/…`);
}
