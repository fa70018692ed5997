/**
 * Stored CLI credentials: the instance URL and a session or API-key token, in
 * credentials.json under the user's config directory, readable by the user only
 * (mode 0600, directory 0700). PICLOUD_URL / PICLOUD_TOKEN override them.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { CliEnv } from "../config/cli.js";

export interface StoredCredentials {
  url: string;
  token: string;
  kind: "session" | "api_key";
  email?: string;
}

export const DEFAULT_URL = "http://localhost:8787";

export function credentialsPath(env: CliEnv): string {
  return path.join(env.configDir, "credentials.json");
}

export function readCredentials(env: CliEnv): StoredCredentials | null {
  try {
    const parsed = JSON.parse(readFileSync(credentialsPath(env), "utf8")) as StoredCredentials;
    return typeof parsed.url === "string" && typeof parsed.token === "string" ? parsed : null;
  } catch {
    return null;
  }
}

export function writeCredentials(env: CliEnv, creds: StoredCredentials): string {
  mkdirSync(env.configDir, { recursive: true, mode: 0o700 });
  const file = credentialsPath(env);
  writeFileSync(file, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // writeFileSync keeps the mode of an existing file
  return file;
}

export function deleteCredentials(env: CliEnv): boolean {
  try {
    rmSync(credentialsPath(env));
    return true;
  } catch {
    return false;
  }
}

/** The URL and token to use: environment first, then the stored file. */
export function effectiveCredentials(env: CliEnv): {
  url: string;
  token?: string;
  kind?: "session" | "api_key";
} {
  const stored = readCredentials(env);
  const url = (env.url ?? stored?.url ?? DEFAULT_URL).replace(/\/+$/, "");
  if (env.token) return { url, token: env.token, kind: "api_key" };
  if (stored && (!env.url || env.url.replace(/\/+$/, "") === stored.url)) {
    return { url, token: stored.token, kind: stored.kind };
  }
  return { url };
}
