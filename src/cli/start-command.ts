/**
 * `picloud start`: runs the daemon in the foreground until SIGTERM/SIGINT, and
 * deploys the picloud.toml named by PICLOUD_DEPLOY_ON_START (./picloud.toml by
 * default) while the instance has no scripts yet.
 */
import { ConfigError, loadDaemonConfig } from "../config/env.js";
import { createLogger } from "../lib/logger.js";
import { startDaemon } from "../server/daemon.js";
import { ListenError } from "../server/port-check.js";
import { CliError } from "./api-client.js";

export async function start(): Promise<void> {
  let config: ReturnType<typeof loadDaemonConfig>;
  try {
    config = loadDaemonConfig();
  } catch (err) {
    if (err instanceof ConfigError)
      throw new CliError(`${err.message}\nSee the configuration table in README.md.`, 2);
    throw err;
  }
  const log = createLogger(config.logLevel);
  const deployOnStart = config.deployOnStart;
  const daemon = await startDaemon(config, log, {
    beforeListen: deployOnStart
      ? async (services) => {
          const { deployProjectOnStart } = await import("./deploy-project.js");
          await deployProjectOnStart(services, deployOnStart, log);
        }
      : undefined,
  }).catch((err) => {
    // A development key file that is not a key: the same exit as a bad variable.
    if (err instanceof ConfigError) throw new CliError(err.message, 2);
    // A port in use is one line for the operator, not a stack.
    if (err instanceof ListenError) throw new CliError(err.message, 1);
    throw err;
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      log.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    daemon.stop(signal).then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
