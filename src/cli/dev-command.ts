/**
 * `picloud dev`: a local instance for the project in the current directory.
 * The daemon runs in this process (PGlite in .picloud/dev, no login: the
 * project is deployed in-process as the system), the project is deployed at
 * start and again after every save of picloud.toml or a source file. A deploy
 * that fails (a syntax error, a broken picloud.toml) prints the reason with
 * file and line, and the last good version keeps serving. Every execution of
 * the app prints one line (method, path, status, ms) and its console output.
 * Ctrl-C stops the watcher and the daemon; nothing is left running.
 */
import { existsSync, type FSWatcher, watch } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import type { CliEnv } from "../config/cli.js";
import { ConfigError, loadDaemonConfig } from "../config/env.js";
import type { TailEvent } from "../executions/live-tail.js";
import { createLogger } from "../lib/logger.js";
import { startDaemon } from "../server/daemon.js";
import { ListenError } from "../server/port-check.js";
import { CliError } from "./api-client.js";
import { changeLine } from "./deploy-plan.js";
import { deployProject } from "./deploy-project.js";
import type { ExecutionRecord } from "./execution-format.js";
import type { CliIo } from "./output.js";

export const DEV_USAGE = "usage: picloud dev [--port n] [--config path/to/picloud.toml]";

/** Paths under the project whose changes never need a redeploy. */
const IGNORED = /(^|[\\/])(\.picloud|node_modules|\.git|dist)([\\/]|$)/;
/** What a deploy reads: picloud.toml and the sources the bundler may import (not logs, notes, …). */
const WATCHED = /(^|[\\/])picloud\.toml$|\.(ts|tsx|mts|cts|js|jsx|mjs|cjs|json)$/;

export async function dev(args: string[], _env: CliEnv, io: CliIo): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { port: { type: "string", short: "p" }, config: { type: "string", short: "c" } },
  });
  if (positionals.length > 0) throw new CliError(DEV_USAGE, 2);
  const file = path.resolve(values.config ?? "picloud.toml");
  if (!existsSync(file))
    throw new CliError(
      `no ${path.basename(file)} in ${path.dirname(file)}: run picloud dev in a project (picloud init makes one)`,
      2,
    );
  const projectDir = path.dirname(file);
  const dataDir = path.join(projectDir, ".picloud", "dev");

  // Always the embedded database of the project, whatever DATABASE_URL the shell has.
  const { DATABASE_URL: _ignored, ...shell } = process.env;
  let config: ReturnType<typeof loadDaemonConfig>;
  try {
    config = loadDaemonConfig(
      {
        ...shell,
        PICLOUD_DATA_DIR: dataDir,
        PICLOUD_DEPLOY_ON_START: "off",
        PICLOUD_PORT: values.port ?? shell.PICLOUD_PORT ?? "8787",
        PICLOUD_LOG_LEVEL: shell.PICLOUD_LOG_LEVEL ?? "warn",
      },
      projectDir,
    );
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, 2);
    throw err;
  }
  const log = createLogger(config.logLevel);
  const daemon = await startDaemon(config, log).catch((err) => {
    if (err instanceof ListenError || err instanceof ConfigError) throw new CliError(err.message, 1);
    throw err;
  });
  const services = daemon.services;

  let unsubscribe: (() => void) | null = null;
  let watchedApp: string | null = null;
  const follow = (appId: string) => {
    if (watchedApp === appId) return;
    unsubscribe?.();
    watchedApp = appId;
    unsubscribe = services.tail.subscribe(appId, (e) => printEvent(io, e));
  };

  let appSlug: string | null = null;
  let running = false;
  let again = false;
  const redeploy = async (reason: string) => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        try {
          const { app, appId, changes } = await deployProject(services, file);
          follow(appId);
          if (appSlug !== app) {
            appSlug = app;
            // A local instance: the app answers on <slug>.localhost at the port actually bound.
            io.out(`  app ${app}: http://${app}.localhost:${daemon.port}`);
          }
          io.out(
            `✓ deployed (${reason}): ${changes.length ? changes.map(changeLine).join("; ") : "no changes"}`,
          );
        } catch (err) {
          io.err(
            `✗ not deployed (${reason}), the last good version keeps serving:\n${(err as Error).message}`,
          );
        }
      } while (again);
    } finally {
      running = false;
    }
  };

  io.out(`PiCloud dev: ${projectDir} (data in .picloud/dev); admin ${daemon.url}/admin; Ctrl-C to stop`);
  await redeploy("start");

  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(projectDir, { recursive: true }, (_event, name) => {
    if (!name || IGNORED.test(name) || !WATCHED.test(name)) return;
    // Editors write a file in several steps: wait until they settle, then deploy once.
    clearTimeout(timer);
    timer = setTimeout(() => void redeploy(`${name} changed`), 80);
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1); // a second Ctrl-C: at once
    stopping = true;
    clearTimeout(timer);
    watcher.close();
    unsubscribe?.();
    daemon.stop(signal).then(
      () => process.exit(0),
      (err) => {
        io.err(`shutdown failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

/** One line per execution (method, path, status, ms), its console lines indented under it. */
function printEvent(io: CliIo, e: TailEvent): void {
  if (e.type === "log") {
    io.out(`    ${e.level === "log" ? "" : `[${e.level}] `}${e.message}`);
    return;
  }
  const x = e.execution as unknown as ExecutionRecord;
  const what = x.request ?? `${x.trigger} ${x.scriptName}`;
  const status = x.httpStatus ?? x.status;
  const error = x.error ? `  ${x.error.name}: ${x.error.message}` : "";
  io.out(`${what} ${status} ${x.durationMs} ms${error}`);
}
