#!/usr/bin/env node
import { CliError } from "./cli/api-client.js";
import { type CliIo, processIo } from "./cli/output.js";
import { loadCliEnv } from "./config/cli.js";

type Command = (args: string[], env: ReturnType<typeof loadCliEnv>, io: CliIo) => Promise<void>;

// Each command's module is imported only when it runs: a CLI call does not load
// the daemon (database drivers, sandbox), which keeps it quick on a Pi.
const COMMANDS: Record<string, { run: Command; help: string }> = {
  start: {
    run: async () => (await import("./cli/start-command.js")).start(),
    help: "run the daemon (HTTP on PICLOUD_PORT, default 8787)",
  },
  login: {
    run: async (...a) => (await import("./cli/auth-commands.js")).login(...a),
    help: "log in: --email/--password-stdin, or --token <api key>; --url <instance>",
  },
  logout: {
    run: async (...a) => (await import("./cli/auth-commands.js")).logout(...a),
    help: "forget stored credentials and end the session",
  },
  whoami: {
    run: async (...a) => (await import("./cli/auth-commands.js")).whoami(...a),
    help: "show who the CLI acts as",
  },
  apps: {
    run: async (...a) => (await import("./cli/app-commands.js")).apps(...a),
    help: "apps ls | create <name> | show <app> | delete <app> [--force] | fetch-allow <app> [entry …] [--clear] | domains ls|add|rm | members ls|add|set|rm",
  },
  init: {
    run: async (...a) => (await import("./cli/init-command.js")).init(...a),
    help: "init [dir] [--template hello|hono|realtime-chat|email-inbox] [--name slug]: write a new project",
  },
  dev: {
    run: async (...a) => (await import("./cli/dev-command.js")).dev(...a),
    help: "dev [--port n]: local instance (PGlite in .picloud/dev) serving this project, redeployed on every save",
  },
  deploy: {
    run: async (...a) => (await import("./cli/deploy-command.js")).deploy(...a),
    help: "deploy picloud.toml: [--dry-run] [--env <name>] [--config <file>] [--minify]",
  },
  scripts: {
    run: async (...a) => (await import("./cli/script-commands.js")).scriptsCommand(...a),
    help: "scripts ls | show <name> [--source] | rm <name> | versions <name> | rollback <name> <n>  [--app]",
  },
  invoke: {
    run: async (...a) => (await import("./cli/invoke-command.js")).invoke(...a),
    help: "invoke <script> [--method M] [--path /x] [--data json|@file] [--header 'k: v'] [--app]",
  },
  logs: {
    run: async (...a) => (await import("./cli/logs-command.js")).logs(...a),
    help: "recent executions with their console lines: [--app] [--script] [--status] [--limit n]",
  },
  tail: {
    run: async (...a) => (await import("./cli/tail-command.js")).tail(...a),
    help: "follow live executions and console lines until Ctrl-C: [--app] [--script]",
  },
  "api-keys": {
    run: async (...a) => (await import("./cli/api-key-commands.js")).apiKeys(...a),
    help: "api-keys mint <name> --scope … | ls | rm <id>",
  },
  triggers: {
    run: async (...a) => (await import("./cli/trigger-commands.js")).triggersCommand(...a),
    help: "triggers ls | add <script> --kind kv|docs|files|dead_letter|cron … | rm <id> | enable <id> | disable <id>",
  },
  crons: {
    run: async (...a) => (await import("./cli/cron-commands.js")).cronsCommand(...a),
    help: "crons ls: cron triggers with their next run and last run status  [--app]",
  },
  topics: {
    run: async (...a) => (await import("./cli/topic-commands.js")).topicsCommand(...a),
    help: "topics ls | set <name> [--external] [--auth public|token] | rm <name>",
  },
  secrets: {
    run: async (...a) => (await import("./cli/secret-commands.js")).secretsCommand(...a),
    help: "secrets put <NAME> (value from a prompt or stdin) | ls | rm <NAME>  [--app]",
  },
  email: {
    run: async (...a) => (await import("./cli/email-commands.js")).emailCommand(...a),
    help: "email ls [--status queued|sent|failed] | show <id> | settings: outbound messages and their delivery  [--app]",
  },
  users: {
    run: async (...a) => (await import("./cli/user-commands.js")).usersCommand(...a),
    help: "users ls | show <id|email> | create <email> [--password-stdin] [--role r] | invite <email> [--role r] | disable <id> | rm <id> | export: the app's end users  [--app]",
  },
  admin: {
    run: async (...a) => (await import("./cli/admin-commands.js")).adminCommand(...a),
    help: "admin rotate-secret-key: re-encrypt secrets under the daemon's current master key now",
  },
  "dead-letters": {
    run: async (...a) => (await import("./cli/dead-letter-commands.js")).deadLettersCommand(...a),
    help: "dead-letters ls [--all] | show <id> | replay <id> | resolve <id> [--reason …]",
  },
  kv: {
    run: async (...a) => (await import("./cli/kv-commands.js")).kvCommand(...a),
    help: "kv get <coll> <key> | put <coll> <key> <json|@file|@-> [--ttl s] | ls <coll> [--prefix p] | rm <coll> <key>  [--app]",
  },
  docs: {
    run: async (...a) => (await import("./cli/docs-commands.js")).docsCommand(...a),
    help: "docs find <coll> [filter-json] [--sort json] [--limit n] | get <coll> <id> | put <coll> <json> [--id id [--merge]] | rm <coll> <id>  [--app]",
  },
  version: {
    run: async (...a) => (await import("./cli/version-command.js")).version(...a),
    help: "the CLI's version and the Node.js running it [--output json]",
  },
  files: {
    run: async (...a) => (await import("./cli/file-commands.js")).filesCommand(...a),
    help: "files ls [--prefix p] | get <path> [-o file] | put <local> <path> [--content-type t] | rm <path>  [--app]",
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "usage: picloud <command> [options]",
    "",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.help}`),
    "",
    "Listings accept --output json. --app defaults to the name in ./picloud.toml, else the default app.",
    "PICLOUD_URL and PICLOUD_TOKEN override stored credentials.",
  ].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [first, ...args] = argv;
  const name = first === "--version" || first === "-v" ? "version" : first;
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
  // `start` and `dev` keep running: their signal handlers decide when the process ends. A start that
  // failed exits now, whatever it left open, so a supervisor sees the failure.
  const longRunning = process.argv[2] === "start" || process.argv[2] === "dev";
  if (code !== 0 && longRunning) process.exit(code);
  if (code !== 0 || !longRunning) process.exitCode = code;
});
