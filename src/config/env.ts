/**
 * The daemon's configuration: every environment variable PiCloud reads is read
 * here, validated, and turned into one typed object. A bad value stops the start
 * with a message naming the variable and what is allowed.
 */
import os from "node:os";
import path from "node:path";
import * as v from "valibot";
import { defaultSandboxMemoryBytes } from "../../runtime/sandbox-memory.js";

/** Every variable, its default and what it allows — the README's configuration table mirrors this. */
export const ENV_VARS = {
  PICLOUD_PORT: "HTTP port (1-65535). Default 8787.",
  PICLOUD_HOST: "Interface to bind. Default 127.0.0.1; 0.0.0.0 serves the LAN.",
  PICLOUD_DATA_DIR: "Where the embedded database and files live. Default ./.picloud.",
  DATABASE_URL: "postgres://… to use a PostgreSQL server instead of the embedded database.",
  PICLOUD_ADMIN_EMAIL: "E-mail of the owner created on first start (with PICLOUD_ADMIN_PASSWORD).",
  PICLOUD_ADMIN_PASSWORD: "Password of that owner (at least 10 characters).",
  PICLOUD_PUBLIC_URL:
    "The URL users reach this instance at (setup link, cookies). Default http://localhost:<port>.",
  PICLOUD_BASE_DOMAIN: "Apps answer on <slug>.<base domain>. Default localhost.",
  PICLOUD_ADMIN_HOST_APP:
    "Slug of an app also served on the admin host (its scripts then share the admin origin: see docs/security.md). Default: none.",
  PICLOUD_LOG_LEVEL: "trace|debug|info|warn|error|fatal|silent. Default info.",
  PICLOUD_TRUST_PROXY: "true to trust X-Forwarded-Proto/For from a reverse proxy. Default false.",
  PICLOUD_SESSION_TTL_HOURS: "Admin session lifetime in hours. Default 168 (7 days).",
  PICLOUD_SHUTDOWN_TIMEOUT_MS: "How long a graceful shutdown waits for work in flight. Default 10000.",
  PICLOUD_MAX_CONCURRENT_EXECUTIONS:
    "Sandboxes running at once; more HTTP work gets 503. Default from CPUs and memory.",
  PICLOUD_SANDBOX_THREADS:
    "Worker threads running sandboxes (0: on the main thread, unprotected). Default: the number of CPUs.",
  PICLOUD_SANDBOX_SNAPSHOTS:
    "false to run every execution in a fresh context instead of a snapshot sandbox (slower; for diagnosis). Default true.",
  PICLOUD_SANDBOX_MEMORY_MB:
    "Budget of all idle snapshot sandboxes together; least recently used ones are evicted past it. Default: 1/8 of RAM, 64 to 2048.",
  PICLOUD_SANDBOX_IDLE_SECONDS: "A snapshot sandbox unused this long is evicted. Default 300.",
  PICLOUD_SCRIPT_TIMEOUT_MS: "Default wall-time limit of an HTTP execution. Default 10000.",
  PICLOUD_MAX_SCRIPT_TIMEOUT_MS: "Ceiling for any script's time limit (background work). Default 300000.",
  PICLOUD_SCRIPT_MEMORY_MB: "Default memory limit of an execution. Default 64.",
  PICLOUD_MAX_SCRIPT_MEMORY_MB: "Ceiling for any script's memory limit. Default 256.",
  PICLOUD_MAX_REQUEST_BYTES: "Largest request body a script receives (413 above). Default 10485760.",
  PICLOUD_MAX_RESPONSE_BYTES: "Largest response a script may return (502 above). Default 33554432.",
  PICLOUD_MAX_LOG_BYTES: "Console output kept per execution. Default 65536.",
  PICLOUD_MAX_FILE_BYTES: "Largest file env.files and the admin API store. Default 26214400 (25 MiB).",
  PICLOUD_EXECUTION_RETENTION_DAYS: "How long execution records and logs are kept. Default 7.",
  PICLOUD_MAX_TRIGGER_DEPTH:
    "Events caused by triggered executions deeper than this are dropped (loops end). Default 8.",
  PICLOUD_RETRY_MAX_ATTEMPTS:
    "Default attempts of an event delivery before it becomes a dead letter. Default 5.",
  PICLOUD_RETRY_BACKOFF: "Default retry backoff: exponential, linear or constant. Default exponential.",
  PICLOUD_RETRY_DELAY_MS: "Default first retry delay. Default 1000.",
  PICLOUD_RETRY_MAX_DELAY_MS: "Longest retry delay. Default 300000.",
  PICLOUD_OUTBOX_LEASE_MS:
    "A claimed event whose process died is taken over after this. Default: the script time ceiling + 60 s.",
  PICLOUD_OUTBOX_POLL_MS: "Fallback poll of the outbox (wake-ups are immediate). Default 5000.",
  PICLOUD_OUTBOX_RETENTION_HOURS: "How long delivered outbox rows are kept. Default 24.",
  PICLOUD_DEAD_LETTER_RETENTION_DAYS: "How long dead letters are kept. Default 30.",
  PICLOUD_CRON_GRACE_MS:
    "A cron time older than this when first seen was missed (downtime): its trigger's catchup policy applies. Default 60000.",
  PICLOUD_REALTIME_HEARTBEAT_MS: "Heartbeat comment interval on realtime streams. Default 30000.",
  PICLOUD_REALTIME_REPLAY_SECONDS:
    "How long published messages are kept for Last-Event-ID resume. Default 3600.",
  PICLOUD_REALTIME_REPLAY_MAX: "Most messages replayed to one reconnecting subscriber. Default 1000.",
  PICLOUD_REALTIME_BUFFER:
    "Messages buffered per slow subscriber before the oldest are dropped. Default 1000.",
  PICLOUD_MAX_MESSAGE_BYTES: "Largest pub/sub message (as JSON). Default 65536.",
  PICLOUD_DEPLOY_ON_START:
    "picloud.toml deployed at start while the instance has no scripts; 'off' disables. Default ./picloud.toml.",
  PICLOUD_SECRET_KEY:
    "Master key of app secrets and realtime signing keys: base64 of 32 bytes (openssl rand -base64 32). Required in production; in development one is generated into <data dir>/secret.key.",
  PICLOUD_SECRET_KEY_PREVIOUS:
    "The key being rotated away from: still accepted for decryption while the daemon re-encrypts under PICLOUD_SECRET_KEY (docs/secrets.md).",
  PICLOUD_SMTP_URL:
    "Outbound e-mail over SMTP: smtp://user:pass@host:587 (STARTTLS, required unless the host is loopback) or smtps://user:pass@host:465 (TLS). nodemailer options as query parameters (docs/email.md).",
  PICLOUD_EMAIL_API_URL:
    "Outbound e-mail over a Resend-compatible HTTP API instead of SMTP: its base URL (https://api.resend.com); PiCloud POSTs to <url>/emails.",
  PICLOUD_EMAIL_API_KEY: "The API key of PICLOUD_EMAIL_API_URL (sent as a bearer token).",
  PICLOUD_EMAIL_PER_MINUTE:
    "Messages an app may send per minute (an app override may change it). Default 60.",
  PICLOUD_EMAIL_PER_DAY:
    "Messages an app may send per 24 hours (an app override may change it). Default 1000.",
  PICLOUD_EMAIL_MAX_BYTES:
    "Largest outbound message: bodies, headers and attachments together. Default 10485760 (10 MiB).",
  PICLOUD_EMAIL_CONCURRENCY: "Outbound messages handed to the transport at once per process. Default 4.",
  PICLOUD_EMAIL_RETENTION_DAYS: "How long sent and failed messages' records are kept. Default 30.",
  PICLOUD_SMTP_LISTEN:
    "Receive e-mail: the SMTP listener's port or host:port (a port alone listens on every interface). Default: off.",
  PICLOUD_SMTP_TLS_CERT:
    "PEM certificate file: the SMTP listener offers STARTTLS (with PICLOUD_SMTP_TLS_KEY).",
  PICLOUD_SMTP_TLS_KEY: "PEM private key file of PICLOUD_SMTP_TLS_CERT.",
  PICLOUD_SMTP_MAX_BYTES: "Largest inbound message (SIZE; 552 above). Default 10485760 (10 MiB).",
  PICLOUD_SMTP_HOSTNAME:
    "The name the SMTP listener greets with (your MX host). Default: the machine's hostname.",
  PICLOUD_ENV: "production makes a missing PICLOUD_SECRET_KEY an error. Default development.",
  NODE_ENV: "production has the same effect as PICLOUD_ENV=production.",
} as const;

export type EnvVarName = keyof typeof ENV_VARS;

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

/** Inbound e-mail (SPEC §3.7): where the SMTP listener binds and what it accepts. */
export interface SmtpInConfig {
  host: string;
  port: number;
  maxBytes: number;
  hostname: string;
  /** Paths of the PEM files; STARTTLS is offered when set. */
  tls: { certFile: string; keyFile: string } | null;
}

/** Outbound e-mail (SPEC §3.7): the operator's transport, if any, and the instance's limits. */
export interface EmailConfig {
  /** null: no transport configured, and `env.email.send()` refuses saying what to set. */
  transport: EmailTransportConfig | null;
  /** Default per-app limits; an app override (admin API) replaces them. */
  perMinute: number;
  perDay: number;
  maxMessageBytes: number;
  /** Messages handed to the transport at once by one process. */
  concurrency: number;
  retentionDays: number;
}

export type EmailTransportConfig =
  | { kind: "smtp"; url: string }
  | { kind: "http"; url: string; apiKey: string };

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

type Env = Record<string, string | undefined>;

const intIn = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+$/, `must be a whole number between ${min} and ${max}`),
    v.transform(Number),
    v.minValue(min, `must be between ${min} and ${max}`),
    v.maxValue(max, `must be between ${min} and ${max}`),
  );

const bool = v.pipe(
  v.string(),
  v.picklist(["true", "false", "1", "0", "yes", "no"], "must be true or false"),
  v.transform((s) => s === "true" || s === "1" || s === "yes"),
);

const logLevel = v.picklist(
  ["trace", "debug", "info", "warn", "error", "fatal", "silent"],
  "must be one of trace, debug, info, warn, error, fatal, silent",
);

const postgresUrl = v.pipe(
  v.string(),
  v.regex(/^postgres(ql)?:\/\/.+/, "must be a postgres:// or postgresql:// URL"),
);

const hostname = v.pipe(
  v.string(),
  v.toLowerCase(),
  v.regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, "must be a hostname such as localhost or example.com"),
);

const appSlug = v.pipe(
  v.string(),
  v.regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, "must be an app slug such as default or blog"),
);

/** A master key: base64 (standard or url-safe) of exactly 32 bytes. */
const secretKey = v.pipe(
  v.string(),
  v.trim(),
  v.regex(/^[A-Za-z0-9+/_-]+={0,2}$/, "must be base64 (make one with: openssl rand -base64 32)"),
  v.transform((s) => Buffer.from(s, "base64")),
  v.check((b) => b.length === 32, "must be base64 of 32 bytes (make one with: openssl rand -base64 32)"),
);

/** Variables that hold keys or passwords: their values appear in no message. */
const SECRET_VARS = new Set<EnvVarName>([
  "PICLOUD_SECRET_KEY",
  "PICLOUD_SECRET_KEY_PREVIOUS",
  "PICLOUD_SMTP_URL",
  "PICLOUD_EMAIL_API_KEY",
]);

/** Reads one variable through a schema, collecting a readable problem instead of throwing. */
function field<T>(
  env: Env,
  name: EnvVarName,
  schema: v.GenericSchema<string, T>,
  fallback: T,
  problems: string[],
): T {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const result = v.safeParse(schema, raw);
  if (result.success) return result.output;
  // A key's value is never echoed, not even a bad one: it may be a real key with a typo.
  const shown = SECRET_VARS.has(name) ? "" : `=${JSON.stringify(raw)}`;
  problems.push(`${name}${shown}: ${result.issues[0]?.message ?? "invalid"}`);
  return fallback;
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

const smtpUrl = v.pipe(
  v.string(),
  v.trim(),
  v.regex(/^smtps?:\/\/[^/?#]+/i, "must be smtp://[user:pass@]host[:port] (STARTTLS) or smtps://… (TLS)"),
  v.check((s) => URL.canParse(s), "must be a valid URL (percent-encode special characters of the password)"),
);

const httpUrl = v.pipe(
  v.string(),
  v.trim(),
  v.regex(/^https?:\/\//i, "must be an http:// or https:// URL such as https://api.resend.com"),
  v.check((s) => URL.canParse(s), "must be a valid URL"),
  v.transform((s) => s.replace(/\/+$/, "")),
);

function loadEmailConfig(env: Env, problems: string[]): EmailConfig {
  const smtp = field(env, "PICLOUD_SMTP_URL", smtpUrl, null, problems);
  const apiUrl = field(env, "PICLOUD_EMAIL_API_URL", httpUrl, null, problems);
  const apiKey = field(
    env,
    "PICLOUD_EMAIL_API_KEY",
    v.pipe(v.string(), v.trim(), v.minLength(1)),
    null,
    problems,
  );
  let transport: EmailTransportConfig | null = null;
  if (smtp && (apiUrl || apiKey))
    problems.push(
      "PICLOUD_SMTP_URL and PICLOUD_EMAIL_API_URL are both set: choose one outbound e-mail transport",
    );
  else if (smtp) transport = { kind: "smtp", url: smtp };
  else if (apiUrl && apiKey) transport = { kind: "http", url: apiUrl, apiKey };
  else if (apiUrl || apiKey)
    problems.push("PICLOUD_EMAIL_API_URL and PICLOUD_EMAIL_API_KEY must be set together");
  return {
    transport,
    perMinute: field(env, "PICLOUD_EMAIL_PER_MINUTE", intIn(0, 1_000_000), 60, problems),
    perDay: field(env, "PICLOUD_EMAIL_PER_DAY", intIn(0, 100_000_000), 1000, problems),
    maxMessageBytes: field(
      env,
      "PICLOUD_EMAIL_MAX_BYTES",
      intIn(1024, 100 * 1024 * 1024),
      10 * 1024 * 1024,
      problems,
    ),
    concurrency: field(env, "PICLOUD_EMAIL_CONCURRENCY", intIn(1, 100), 4, problems),
    retentionDays: field(env, "PICLOUD_EMAIL_RETENTION_DAYS", intIn(1, 3650), 30, problems),
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

/** `2525`, `0.0.0.0:2525`, `[::1]:2525` → host and port; a port alone listens on every interface. */
const listenAddress = v.pipe(
  v.string(),
  v.trim(),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const m = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):)?(\d{1,5})$/.exec(dataset.value);
    const port = m ? Number(m[3]) : -1;
    if (!m || port > 65535) {
      addIssue({ message: "must be a port (2525) or host:port (127.0.0.1:2525, [::1]:2525)" });
      return NEVER;
    }
    return { host: m[1] ?? m[2] ?? "0.0.0.0", port };
  }),
);

function loadSmtpInConfig(env: Env, cwd: string, problems: string[]): SmtpInConfig | null {
  const listen = field(env, "PICLOUD_SMTP_LISTEN", listenAddress, null, problems);
  const cert = env.PICLOUD_SMTP_TLS_CERT?.trim() || null;
  const key = env.PICLOUD_SMTP_TLS_KEY?.trim() || null;
  if ((cert === null) !== (key === null))
    problems.push("PICLOUD_SMTP_TLS_CERT and PICLOUD_SMTP_TLS_KEY must be set together");
  const maxBytes = field(env, "PICLOUD_SMTP_MAX_BYTES", intIn(1024, 1024 ** 3), 10 * 1024 * 1024, problems);
  const greeting = field(env, "PICLOUD_SMTP_HOSTNAME", hostname, os.hostname().toLowerCase(), problems);
  if (!listen) return null;
  return {
    ...listen,
    maxBytes,
    hostname: greeting,
    tls: cert && key ? { certFile: path.resolve(cwd, cert), keyFile: path.resolve(cwd, key) } : null,
  };
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
