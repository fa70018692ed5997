/**
 * Every environment variable PiCloud reads, with its default and what it
 * allows: the README's configuration table mirrors this, and a test keeps
 * them in step. The loaders (env.ts, email-env.ts) read nothing else.
 */
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
