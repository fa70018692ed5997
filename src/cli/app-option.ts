/** Which app a command is about: `--app`, else the `name` of ./picloud.toml, else the `default` app. */
import path from "node:path";
import { projectAppName } from "../config/project.js";

export function resolveApp(explicit: string | undefined): string {
  return explicit ?? projectAppName(path.resolve("picloud.toml")) ?? "default";
}

/** The app part of an admin API path. */
export function appPath(app: string): string {
  return `/apps/${encodeURIComponent(app)}`;
}

/** The options every per-app listing command takes: `--app/-a <slug>` and `--output/-o json`. */
export const APP_LISTING_OPTIONS = {
  app: { type: "string", short: "a" },
  output: { type: "string", short: "o" },
} as const;
