/**
 * The pieces every configuration loader is built from: schemas for common
 * kinds of values, and `field`, which reads one variable and collects a
 * readable problem (naming the variable, never echoing a secret) instead of
 * throwing, so one start reports every bad variable at once.
 */
import * as v from "valibot";
import type { EnvVarName } from "./env-vars.js";

export type Env = Record<string, string | undefined>;

export const intIn = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+$/, `must be a whole number between ${min} and ${max}`),
    v.transform(Number),
    v.minValue(min, `must be between ${min} and ${max}`),
    v.maxValue(max, `must be between ${min} and ${max}`),
  );

export const bool = v.pipe(
  v.string(),
  v.picklist(["true", "false", "1", "0", "yes", "no"], "must be true or false"),
  v.transform((s) => s === "true" || s === "1" || s === "yes"),
);

export const logLevel = v.picklist(
  ["trace", "debug", "info", "warn", "error", "fatal", "silent"],
  "must be one of trace, debug, info, warn, error, fatal, silent",
);

export const postgresUrl = v.pipe(
  v.string(),
  v.regex(/^postgres(ql)?:\/\/.+/, "must be a postgres:// or postgresql:// URL"),
);

export const hostname = v.pipe(
  v.string(),
  v.toLowerCase(),
  v.regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, "must be a hostname such as localhost or example.com"),
);

export const appSlug = v.pipe(
  v.string(),
  v.regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, "must be an app slug such as default or blog"),
);

/** A master key: base64 (standard or url-safe) of exactly 32 bytes. */
export const secretKey = v.pipe(
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
export function field<T>(
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
