#!/usr/bin/env node
import { CliError } from "./cli/api-client.js";
import { apiKeys } from "./cli/api-key-commands.js";
import { apps } from "./cli/app-commands.js";
import { login, logout, whoami } from "./cli/auth-commands.js";
import { type CliIo, processIo } from "./cli/output.js";
import { start } from "./cli/start-command.js";
/**
 * Process entry: the `picloud` CLI. `picloud start` runs the daemon; every other
 * command talks to a daemon over HTTP like any client.
 */
import { loadCliEnv } from "./config/cli.js";

type Command = (args: string[], env: ReturnType<typeof loadCliEnv>, io: CliIo) => Promise<void>;

const COMMANDS: Record<string, { run: Command; help: string }> = {
  start: { run: () => start(), help: "run the daemon (HTTP on PICLOUD_PORT, default 8787)" },
  login: { run: login, help: "log in: --email/--password-stdin, or --token <api key>; --url <instance>" },
  logout: { run: logout, help: "forget stored credentials and end the session" },
  whoami: { run: whoami, help: "show who the CLI acts as" },
  apps: { run: apps, help: "apps ls | create <name> | show <app> | delete <app> [--force]" },
  "api-keys": { run: apiKeys, help: "api-keys mint <name> --scope … | ls | rm <id>" },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "usage: picloud <command> [options]",
    "",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.help}`),
    "",
    "Listings accept --output json. PICLOUD_URL and PICLOUD_TOKEN override stored credentials.",
  ].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    processIo.out(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    processIo.err(`unknown command: ${name}\n\n${usage()}`);
    return 2;
  }
  try {
    await command.run(args, loadCliEnv(), processIo);
    return 0;
  } catch (err) {
    if (err instanceof CliError) {
      processIo.err(`error: ${err.message}`);
      return err.exitCode;
    }
    // parseArgs and friends throw TypeErrors with a readable message for bad flags.
    if (err instanceof TypeError && (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      processIo.err(`error: ${err.message}`);
      return 2;
    }
    processIo.err(`error: ${(err as Error).stack ?? err}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  // `start` keeps running: its signal handlers decide when the process ends.
  if (code !== 0 || process.argv[2] !== "start") process.exitCode = code;
});
