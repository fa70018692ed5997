/**
 * The e-mail variables (SPEC §3.7): the outbound transport and limits
 * (PICLOUD_SMTP_URL or PICLOUD_EMAIL_API_URL/_KEY, PICLOUD_EMAIL_*) and the
 * inbound SMTP listener (PICLOUD_SMTP_LISTEN, PICLOUD_SMTP_TLS_*, …).
 */
import os from "node:os";
import path from "node:path";
import * as v from "valibot";
import { type Env, field, hostname, intIn } from "./env-fields.js";

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

export function loadEmailConfig(env: Env, problems: string[]): EmailConfig {
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

export function loadSmtpInConfig(env: Env, cwd: string, problems: string[]): SmtpInConfig | null {
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
