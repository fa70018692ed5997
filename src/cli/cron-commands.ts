/** `picloud crons ls`: the app's cron triggers, each with its next run and its last run's status. */
import { parseArgs } from "node:util";
import type { CliEnv } from "../config/cli.js";
import { adminClient, CliError } from "./api-client.js";
import { APP_LISTING_OPTIONS, appPath, resolveApp } from "./app-option.js";
import { type CliIo, parseOutputFormat, printList } from "./output.js";

interface CronRun {
  scheduledAt: string;
  status: string;
  attempts: number | null;
  lastError: string | null;
}

interface Cron {
  id: string;
  scriptName: string;
  schedule: string;
  timezone: string;
  catchup: string;
  enabled: boolean;
  nextRuns: string[];
  lastRuns: CronRun[];
}

export const CRONS_USAGE = "usage: picloud crons ls  [--app <slug>] [--output json]";

/** `2026-11-26T07:00:00.000Z` → `2026-11-26 07:00:00Z`: readable, still UTC. */
const when = (iso: string | undefined) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z` : null);

function lastRun(c: Cron): string | null {
  const r = c.lastRuns[0];
  if (!r) return null;
  const error = r.lastError ? ` (${r.lastError.slice(0, 50)})` : "";
  return `${when(r.scheduledAt)} ${r.status}${error}`;
}

export async function cronsCommand(args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      ...APP_LISTING_OPTIONS,
    },
  });
  if (positionals.length > 0 || (sub !== undefined && sub !== "ls" && sub !== "list"))
    throw new CliError(CRONS_USAGE, 2);
  const format = parseOutputFormat(values.output);
  const res = await adminClient(env).request<{ crons: Cron[] }>(
    "GET",
    `${appPath(resolveApp(values.app))}/crons`,
  );
  const rows = res.crons.map((c) => ({
    ...c,
    script: c.scriptName,
    next: c.enabled ? when(c.nextRuns[0]) : "disabled",
    last: lastRun(c),
  }));
  printList(io, format, rows, ["id", "script", "schedule", "timezone", "catchup", "next", "last"], res);
}
