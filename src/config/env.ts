/**
 * The daemon's configuration: every environment variable PiCloud reads
 * (listed in env-vars.ts) is validated here, or by its area's loader
 * (email-env.ts), into one typed object. A bad value stops the start with a
 * message naming the variable and what is allowed.
 */
import os from "node:os";
import path from "node:path";
import * as v from "valibot";
import { defaultSandboxMemoryBytes } from "../../runtime/sandbox-memory.js";
import { type EmailConfig, loadEmailConfig, loadSmtpInConfig, type SmtpInConfig } from "./email-env.js";
import {
  appSlug,
  bool,
  type Env,
  field,
  hostname,
  intIn,
  logLevel,
  postgresUrl,
  secretKey,
} from "./env-fields.js";

export type { EmailConfig, EmailTransportConfig, SmtpInConfig } from "./email-env.js";
export { ENV_VARS, type EnvVarName } from "./env-vars.js";

export interface DaemonConfig {
  port: number;
  host: string;
  dataDir: string;
  database: { kind: "pglite"; dataDir: string } | { kind: "postgres"; url: string };
  bootstrapAdmin: { email: string; password: string } | null;
  publicUrl: string;
  baseDomain: string;
  /** Slug of the app served on the admin host too (an explicit, warned-about choice), or null. */
  adminHostApp: string | null;
  logLevel: "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
  trustProxy: boolean;
  sessionTtlMs: number;
  shutdownTimeoutMs: number;
  files: FilesConfig;
  runtime: RuntimeConfig;
  events: EventsConfig;
  realtime: RealtimeConfig;
  /** Absolute path of the picloud.toml to deploy on an empty instance, or null. */
  deployOnStart: string | null;
  /** Whether this is a production start (PICLOUD_ENV or NODE_ENV). */
  production: boolean;
  secrets: SecretKeyConfig;
  email: EmailConfig;
  /** The inbound SMTP listener, or null when PICLOUD_SMTP_LISTEN is unset. */
  smtpIn: SmtpInConfig | null;
}

/** The master keys of encrypted secrets (SPEC §3.6); `key` null means "use or make <dataDir>/secret.key". */
export interface SecretKeyConfig {
  key: Buffer | null;
  previousKey: Buffer | null;
  /** Where a development instance keeps its generated key. */
  keyFile: string;
}

/** Limits and sizes of the sandbox runtime (SPEC §2): defaults per execution and instance-wide ceilings. */
export interface RuntimeConfig {
  maxConcurrent: number;
  /** Worker threads running sandboxes; 0 runs them on the main thread (no hard stop for stuck built-ins). */
  sandboxThreads: number;
  /** Snapshot sandboxes (runtime/snapshot/); false: a fresh context per execution. */
  sandboxSnapshots: boolean;
  /** Budget of all snapshot sandboxes together, in bytes. */
  sandboxMemoryBytes: number;
  sandboxIdleMs: number;
  timeoutMs: number;
  maxTimeoutMs: number;
  memoryMb: number;
  maxMemoryMb: number;
  maxRequestBytes: number;
  maxResponseBytes: number;
  maxLogBytes: number;
  executionRetentionDays: number;
}

/** Realtime topics over SSE (SPEC §6). */
export interface RealtimeConfig {
  heartbeatMs: number;
  replaySeconds: number;
  replayMax: number;
  bufferPerSubscriber: number;
  maxMessageBytes: number;
}

/** env.files (SPEC §3.3); the bytes live under `<dataDir>/files`. */
export interface FilesConfig {
  maxFileBytes: number;
}

/** Delivery of asynchronous work (SPEC §5): retries, depth, leases, retention. */
export interface EventsConfig {
  maxDepth: number;
  retry: {
    maxAttempts: number;
    backoff: "exponential" | "linear" | "constant";
    delayMs: number;
    maxDelayMs: number;
  };
  leaseMs: number;
  pollMs: number;
  outboxRetentionHours: number;
  deadLetterRetentionDays: number;
  /** Cron times older than this when the scheduler first sees them were missed (default 60 s). */
  cronGraceMs?: number;
}

/** Enough sandboxes to keep the CPUs busy while scripts await I/O, but never more than a quarter of RAM at the default memory limit. */
export function defaultConcurrency(cpus = os.cpus().length, totalMem = os.totalmem(), memoryMb = 64): number {
  const byCpu = cpus * 8;
  const byMem = Math.floor((totalMem * 0.25) / (memoryMb * 1024 * 1024));
  return Math.max(2, Math.min(byCpu, byMem, 256));
}

/** Thrown when configuration is invalid; `problems` has one line per bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

function loadEventsConfig(env: Env, problems: string[]): EventsConfig {
  const maxTimeoutMs = field(env, "PICLOUD_MAX_SCRIPT_TIMEOUT_MS", intIn(10, 3_600_000), 300_000, []);
  return {
    maxDepth: field(env, "PICLOUD_MAX_TRIGGER_DEPTH", intIn(0, 100), 8, problems),
    retry: {
      maxAttempts: field(env, "PICLOUD_RETRY_MAX_ATTEMPTS", intIn(1, 100), 5, problems),
      backoff: field(
        env,
        "PICLOUD_RETRY_BACKOFF",
        v.picklist(["exponential", "linear", "constant"], "must be exponential, linear or constant"),
        "exponential",
        problems,
      ),
      delayMs: field(env, "PICLOUD_RETRY_DELAY_MS", intIn(0, 86_400_000), 1000, problems),
      maxDelayMs: field(env, "PICLOUD_RETRY_MAX_DELAY_MS", intIn(0, 7 * 86_400_000), 300_000, problems),
    },
    leaseMs: field(env, "PICLOUD_OUTBOX_LEASE_MS", intIn(100, 86_400_000), maxTimeoutMs + 60_000, problems),
    pollMs: field(env, "PICLOUD_OUTBOX_POLL_MS", intIn(10, 600_000), 5000, problems),
    outboxRetentionHours: field(env, "PICLOUD_OUTBOX_RETENTION_HOURS", intIn(1, 24 * 365), 24, problems),
    deadLetterRetentionDays: field(env, "PICLOUD_DEAD_LETTER_RETENTION_DAYS", intIn(1, 3650), 30, problems),
    cronGraceMs: field(env, "PICLOUD_CRON_GRACE_MS", intIn(1000, 86_400_000), 60_000, problems),
  };
}

function loadRuntimeConfig(env: Env, problems: string[]): RuntimeConfig {
  const memoryMb = field(env, "PICLOUD_SCRIPT_MEMORY_MB", intIn(8, 4096), 64, problems);
  const maxMemoryMb = field(env, "PICLOUD_MAX_SCRIPT_MEMORY_MB", intIn(8, 4096), 256, problems);
  const timeoutMs = field(env, "PICLOUD_SCRIPT_TIMEOUT_MS", intIn(10, 3_600_000), 10_000, problems);
  const maxTimeoutMs = field(env, "PICLOUD_MAX_SCRIPT_TIMEOUT_MS", intIn(10, 3_600_000), 300_000, problems);
  if (memoryMb > maxMemoryMb)
    problems.push("PICLOUD_SCRIPT_MEMORY_MB must not exceed PICLOUD_MAX_SCRIPT_MEMORY_MB");
  if (timeoutMs > maxTimeoutMs)
    problems.push("PICLOUD_SCRIPT_TIMEOUT_MS must not exceed PICLOUD_MAX_SCRIPT_TIMEOUT_MS");
  return {
    maxConcurrent: field(
      env,
      "PICLOUD_MAX_CONCURRENT_EXECUTIONS",
      intIn(1, 10_000),
      defaultConcurrency(),
      problems,
    ),
    sandboxThreads: field(env, "PICLOUD_SANDBOX_THREADS", intIn(0, 64), os.availableParallelism(), problems),
    sandboxSnapshots: field(env, "PICLOUD_SANDBOX_SNAPSHOTS", bool, true, problems),
    sandboxMemoryBytes:
      field(
        env,
        "PICLOUD_SANDBOX_MEMORY_MB",
        intIn(16, 1024 * 1024),
        Math.floor(defaultSandboxMemoryBytes() / 1024 / 1024),
        problems,
      ) *
      1024 *
      1024,
    sandboxIdleMs: field(env, "PICLOUD_SANDBOX_IDLE_SECONDS", intIn(1, 86_400), 300, problems) * 1000,
    timeoutMs,
    maxTimeoutMs,
    memoryMb,
    maxMemoryMb,
    maxRequestBytes: field(env, "PICLOUD_MAX_REQUEST_BYTES", intIn(0, 1024 ** 3), 10 * 1024 * 1024, problems),
    maxResponseBytes: field(
      env,
      "PICLOUD_MAX_RESPONSE_BYTES",
      intIn(1024, 1024 ** 3),
      32 * 1024 * 1024,
      problems,
    ),
    maxLogBytes: field(env, "PICLOUD_MAX_LOG_BYTES", intIn(1024, 16 * 1024 * 1024), 64 * 1024, problems),
    executionRetentionDays: field(env, "PICLOUD_EXECUTION_RETENTION_DAYS", intIn(1, 3650), 7, problems),
  };
}

/** PICLOUD_ENV=production or NODE_ENV=production. */
function isProduction(env: Env, problems: string[]): boolean {
  const picloudEnv = field(
    env,
    "PICLOUD_ENV",
    v.picklist(["production", "development", "test"], "must be production, development or test"),
    "development",
    problems,
  );
  return picloudEnv === "production" || env.NODE_ENV === "production";
}

/** Validates the environment into a DaemonConfig, or throws ConfigError listing every problem. */
export function loadDaemonConfig(env: Env = process.env, cwd = process.cwd()): DaemonConfig {
  const problems: string[] = [];
  const port = field(env, "PICLOUD_PORT", intIn(0, 65535), 8787, problems);
  const host = field(env, "PICLOUD_HOST", v.pipe(v.string(), v.minLength(1)), "127.0.0.1", problems);
  const dataDir = path.resolve(cwd, field(env, "PICLOUD_DATA_DIR", v.string(), "./.picloud", problems));
  const dbUrl = field(env, "DATABASE_URL", postgresUrl, "", problems);
  const email = env.PICLOUD_ADMIN_EMAIL?.trim() ?? "";
  const password = env.PICLOUD_ADMIN_PASSWORD ?? "";
  if ((email === "") !== (password === "")) {
    problems.push("PICLOUD_ADMIN_EMAIL and PICLOUD_ADMIN_PASSWORD must be set together");
  } else if (email && !/^[^\s@]+@[^\s@]+$/.test(email)) {
    problems.push(`PICLOUD_ADMIN_EMAIL=${JSON.stringify(email)}: must be an e-mail address`);
  } else if (password && password.length < 10) {
    problems.push("PICLOUD_ADMIN_PASSWORD: must be at least 10 characters");
  }
  const publicUrl = field(
    env,
    "PICLOUD_PUBLIC_URL",
    v.pipe(v.string(), v.url("must be an absolute URL such as https://pi.example.com")),
    `http://localhost:${port || 8787}`,
    problems,
  ).replace(/\/+$/, "");
  const production = isProduction(env, problems);
  const config: DaemonConfig = {
    port,
    host,
    dataDir,
    database: dbUrl
      ? { kind: "postgres", url: dbUrl }
      : { kind: "pglite", dataDir: path.join(dataDir, "db") },
    bootstrapAdmin: email && password ? { email, password } : null,
    publicUrl,
    baseDomain: field(env, "PICLOUD_BASE_DOMAIN", hostname, "localhost", problems),
    adminHostApp: field(env, "PICLOUD_ADMIN_HOST_APP", appSlug, null, problems),
    logLevel: field(env, "PICLOUD_LOG_LEVEL", logLevel, "info", problems),
    trustProxy: field(env, "PICLOUD_TRUST_PROXY", bool, false, problems),
    sessionTtlMs: field(env, "PICLOUD_SESSION_TTL_HOURS", intIn(1, 24 * 365), 168, problems) * 3_600_000,
    shutdownTimeoutMs: field(env, "PICLOUD_SHUTDOWN_TIMEOUT_MS", intIn(0, 600_000), 10_000, problems),
    files: {
      maxFileBytes: field(env, "PICLOUD_MAX_FILE_BYTES", intIn(0, 1024 ** 3), 25 * 1024 * 1024, problems),
    },
    runtime: loadRuntimeConfig(env, problems),
    events: loadEventsConfig(env, problems),
    realtime: {
      heartbeatMs: field(env, "PICLOUD_REALTIME_HEARTBEAT_MS", intIn(100, 3_600_000), 30_000, problems),
      replaySeconds: field(env, "PICLOUD_REALTIME_REPLAY_SECONDS", intIn(0, 30 * 86_400), 3600, problems),
      replayMax: field(env, "PICLOUD_REALTIME_REPLAY_MAX", intIn(0, 100_000), 1000, problems),
      bufferPerSubscriber: field(env, "PICLOUD_REALTIME_BUFFER", intIn(1, 1_000_000), 1000, problems),
      maxMessageBytes: field(env, "PICLOUD_MAX_MESSAGE_BYTES", intIn(64, 16 * 1024 * 1024), 65_536, problems),
    },
    deployOnStart:
      env.PICLOUD_DEPLOY_ON_START === "off"
        ? null
        : path.resolve(cwd, env.PICLOUD_DEPLOY_ON_START || "picloud.toml"),
    production,
    smtpIn: loadSmtpInConfig(env, cwd, problems),
    secrets: {
      key: field(env, "PICLOUD_SECRET_KEY", secretKey, null, problems),
      previousKey: field(env, "PICLOUD_SECRET_KEY_PREVIOUS", secretKey, null, problems),
      keyFile: path.join(dataDir, "secret.key"),
    },
    email: loadEmailConfig(env, problems),
  };
  if (config.secrets.key === null && config.production)
    problems.push(
      "PICLOUD_SECRET_KEY is required in production (PICLOUD_ENV or NODE_ENV is production): make one with `openssl rand -base64 32`, keep it safe, and set it in the daemon's environment (docs/secrets.md)",
    );
  if (config.secrets.previousKey && !config.secrets.key)
    problems.push("PICLOUD_SECRET_KEY_PREVIOUS is set without PICLOUD_SECRET_KEY (the key to rotate to)");
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
