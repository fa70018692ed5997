/**
 * The common start of a per-app command with subcommands (`picloud topics ls`, …): the
 * subcommand, its flags (with --app and --output), the output format, an admin client, and the
 * admin API path of the resource in the chosen app.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import type { CliEnv } from "../config/cli.js";
import { adminClient } from "./api-client.js";
import { APP_LISTING_OPTIONS, appPath, resolveApp } from "./app-option.js";
import { parseOutputFormat } from "./output.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

export function appCommand<O extends Options>(args: string[], env: CliEnv, resource: string, options: O) {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { ...APP_LISTING_OPTIONS, ...options },
  });
  const common = values as { app?: string; output?: string };
  return {
    sub,
    values,
    positionals,
    format: parseOutputFormat(common.output),
    client: adminClient(env),
    base: `${appPath(resolveApp(common.app))}/${resource}`,
  };
}
