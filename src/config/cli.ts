/** What the CLI reads from the environment: the instance URL and token overrides, and where credentials live. */
import os from "node:os";
import path from "node:path";

export interface CliEnv {
  /** PICLOUD_URL: overrides the stored instance URL. */
  url: string | undefined;
  /** PICLOUD_TOKEN: an API key that overrides stored credentials. */
  token: string | undefined;
  /** Directory of credentials.json: PICLOUD_CONFIG_DIR, else $XDG_CONFIG_HOME/picloud, else ~/.config/picloud. */
  configDir: string;
}

export function loadCliEnv(env: Record<string, string | undefined> = process.env): CliEnv {
  const xdg = env.XDG_CONFIG_HOME || path.join(os.homedir(), ".config");
  return {
    url: env.PICLOUD_URL || undefined,
    token: env.PICLOUD_TOKEN || undefined,
    configDir: env.PICLOUD_CONFIG_DIR || path.join(xdg, "picloud"),
  };
}
