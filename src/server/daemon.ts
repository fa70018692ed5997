/**
 * Starts one PiCloud process: database (PGlite or PostgreSQL), migrations, the
 * default app, the first owner (or a setup URL), then HTTP. `stop()` is
 * idempotent: it stops accepting, lets requests in flight finish (bounded by
 * the shutdown timeout), then closes the database.
 */
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import type { DaemonConfig } from "../config/env.js";
import { resolveMasterKeys } from "../config/secret-key.js";
import { SandboxPrewarm } from "../dataplane/sandbox-prewarm.js";
import { openDatabase } from "../db/client.js";
import { runMigrations } from "../db/migrate.js";
import { SmtpListener } from "../email-in/listener.js";
import type { Logger } from "../lib/logger.js";
import { BackgroundLoops } from "./background.js";
import { createHttpApp } from "./http-app.js";
import { asListenError, assertPortFree } from "./port-check.js";
import { reencryptAll } from "./rotate-secrets.js";
import { createServices, type Services } from "./services.js";

export interface RunningDaemon {
  url: string;
  port: number;
  services: Services;
  stop(reason?: string): Promise<void>;
}

export interface StartOptions {
  /** Runs after the services exist and before the port opens (e.g. deploy on start), so the first request sees its result. */
  beforeListen?: (services: Services) => Promise<void>;
}

export async function startDaemon(
  config: DaemonConfig,
  log: Logger,
  opts: StartOptions = {},
): Promise<RunningDaemon> {
  const t0 = performance.now();
  // Before anything opens: a port in use is one clear error, not a setup URL for a port we cannot serve.
  await assertPortFree(config.host, config.port);
  // Before the database: a bad key file stops the start before anything is touched.
  const masterKeys = resolveMasterKeys(config.secrets, log);
  const smtpTls = readSmtpTls(config);
  const database = await openDatabase(
    config.database.kind === "postgres"
      ? config.database
      : { kind: "pglite", dataDir: config.database.dataDir },
  );
  log.info(
    {
      database: database.kind,
      ...(config.database.kind === "pglite" ? { dataDir: config.database.dataDir } : {}),
    },
    "database opened",
  );
  try {
    await runMigrations(database);
  } catch (err) {
    await database.close();
    throw err;
  }
  const services = createServices(
    database,
    {
      publicUrl: config.publicUrl,
      trustProxy: config.trustProxy,
      sessionTtlMs: config.sessionTtlMs,
      baseDomain: config.baseDomain,
      adminHostApp: config.adminHostApp,
      runtime: config.runtime,
      events: config.events,
      dataDir: config.dataDir,
      files: config.files,
      realtime: config.realtime,
      email: config.email,
      masterKeys,
    },
    log,
  );
  await reencryptUnderCurrentKey(services, log);
  await services.apps.seedDefault();
  if (config.adminHostApp)
    log.warn(
      { app: config.adminHostApp, adminHost: services.adminOrigin.hostname },
      "PICLOUD_ADMIN_HOST_APP is set: this app's scripts are served on the admin host and share the admin session's origin; any editor of it can act as a visiting admin (docs/security.md)",
    );
  const boot = await services.setup.bootstrap(config.bootstrapAdmin);
  if (boot.kind === "created-owner")
    log.info({ email: boot.email }, "owner account created from PICLOUD_ADMIN_EMAIL");
  if (boot.kind === "setup-token") {
    // Printed, not only logged: this is the one way in on a fresh instance without env credentials.
    const url = `${config.publicUrl}/admin/setup?token=${boot.token}`;
    log.warn(
      "no admin user yet: open the one-time setup URL (the 'PiCloud setup:' line on stderr) to create the owner",
    );
    process.stderr.write(`\n  PiCloud setup: ${url}\n\n`);
  }

  await services.changes.start();
  await services.broadcaster.start();
  await services.tailRelay?.start();
  await services.sandbox.warm();
  await opts.beforeListen?.(services);
  const background = new BackgroundLoops(services);
  const app = createHttpApp(services);
  let server: ServerType;
  try {
    server = await new Promise((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
      s.once("error", reject);
    });
  } catch (err) {
    // Taken between the check at start and now: undo what started, so the process can exit.
    await services.broadcaster.stop();
    await services.tailRelay?.stop();
    await services.changes.stop();
    services.sandbox.dispose();
    await database.close();
    throw asListenError(err, config.host, config.port);
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${port}`;
  background.start();
  const prewarm = new SandboxPrewarm({ ...services, db: services.database.db, log });
  prewarm.atStart().catch((err) => log.debug({ err: String(err) }, "sandbox prewarm at start failed"));
  await services.dispatcher.start();
  await services.cron.start();
  const smtp = config.smtpIn
    ? new SmtpListener(
        services.inbox,
        {
          host: config.smtpIn.host,
          port: config.smtpIn.port,
          maxBytes: config.smtpIn.maxBytes,
          maxRecipients: 100,
          hostname: config.smtpIn.hostname,
          tls: smtpTls,
          closeTimeoutMs: config.shutdownTimeoutMs,
        },
        log,
      )
    : null;
  try {
    await smtp?.start();
  } catch (err) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await background.stop();
    await services.cron.stop();
    await services.dispatcher.stop(0);
    services.sandbox.dispose();
    await database.close();
    throw new Error(
      `PICLOUD_SMTP_LISTEN: cannot listen on ${config.smtpIn?.host}:${config.smtpIn?.port}: ${(err as Error).message}`,
    );
  }
  log.info(
    {
      url,
      port,
      admin: config.publicUrl,
      ...(smtp ? { smtpPort: smtp.port } : {}),
      apps: services.adminOrigin.appUrl("<slug>", config.baseDomain),
      startupMs: Math.round(performance.now() - t0),
    },
    "PiCloud is ready",
  );

  let stopping: Promise<void> | undefined;
  const stop = (reason = "stop") => {
    stopping ??= (async () => {
      log.info({ reason }, "shutting down: no new connections, finishing requests in flight");
      // Long-lived streams (tail, realtime) end now; they would otherwise hold the shutdown to its timeout.
      services.shutdown.abort();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          log.warn(
            { timeoutMs: config.shutdownTimeoutMs },
            "shutdown timeout: closing remaining connections",
          );
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        }, config.shutdownTimeoutMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      });
      prewarm.stop();
      // Messages being received are stored (and answered 250) before the database closes.
      await smtp?.stop();
      await background.stop();
      await services.cron.stop();
      await services.dispatcher.stop(config.shutdownTimeoutMs);
      services.email.close();
      // Executions may outlive their response (ctx.waitUntil): let them end before the last flush.
      const until = Date.now() + config.shutdownTimeoutMs;
      while (services.sandbox.gate.inUse > 0 && Date.now() < until)
        await new Promise((r) => setTimeout(r, 20));
      await services.recorder.flush();
      services.sandbox.dispose();
      await services.broadcaster.stop();
      await services.tailRelay?.stop();
      await services.changes.stop();
      await database.close();
      log.info("stopped");
    })();
    return stopping;
  };
  return { url, port, services, stop };
}

/** The SMTP listener's PEM files, read before anything starts so a bad path stops the start at once. */
function readSmtpTls(config: DaemonConfig): { key: Buffer; cert: Buffer } | null {
  const tls = config.smtpIn?.tls;
  if (!tls) return null;
  const read = (file: string, name: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  };
  return {
    cert: read(tls.certFile, "PICLOUD_SMTP_TLS_CERT"),
    key: read(tls.keyFile, "PICLOUD_SMTP_TLS_KEY"),
  };
}

/** Logs what the start-time re-encryption did (docs/secrets.md "Rotating the master key"). */
async function reencryptUnderCurrentKey(services: Services, log: Logger): Promise<void> {
  const { secrets, realtimeKeys } = await reencryptAll(services);
  const moved = secrets.reencrypted + realtimeKeys.reencrypted;
  const left = secrets.remaining + realtimeKeys.remaining;
  if (moved === 0 && left === 0) return;
  const fields = { secrets, realtimeKeys };
  if (left === 0)
    log.info(
      fields,
      "secrets re-encrypted under the current master key; PICLOUD_SECRET_KEY_PREVIOUS may be removed",
    );
  else
    log.warn(
      fields,
      "some secrets are not under the current master key and could not be re-encrypted: set PICLOUD_SECRET_KEY_PREVIOUS to the key they were written with (docs/secrets.md)",
    );
}
