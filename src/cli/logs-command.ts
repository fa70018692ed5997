/**
 * `picloud logs`: the most recent executions of an app (or one script), oldest
 * first like a log file, each with the console lines it wrote and its error.
 */
import { parseArgs } from "node:util";
import type { CliEnv } from "../config/cli.js";
import { adminClient, CliError } from "./api-client.js";
import { appPath, resolveApp } from "./app-option.js";
import { type ExecutionRecord, errorText, executionSummary, timeText } from "./execution-format.js";
import { logLine } from "./invoke-command.js";
import { type CliIo, parseOutputFormat } from "./output.js";

export const LOGS_USAGE =
  "usage: picloud logs [--app <slug>] [--script <name>] [--status ok|error|timeout|memory|invalid_response] [--limit n] [--cursor c] [--output json]";

export async function logs(args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      app: { type: "string", short: "a" },
      script: { type: "string", short: "s" },
      status: { type: "string" },
      limit: { type: "string", short: "n" },
      cursor: { type: "string" },
      output: { type: "string", short: "o" },
    },
  });
  if (positionals.length > 0) throw new CliError(LOGS_USAGE, 2);
  const format = parseOutputFormat(values.output);
  const app = resolveApp(values.app);
  const query = new URLSearchParams();
  if (values.script) query.set("script", values.script);
  if (values.status) query.set("status", values.status);
  query.set("limit", values.limit ?? "20");
  if (values.cursor) query.set("cursor", values.cursor);
  const page = await adminClient(env).request<{ items: ExecutionRecord[]; cursor: string | null }>(
    "GET",
    `${appPath(app)}/executions?${query}`,
  );
  if (format === "json") {
    io.out(JSON.stringify(page, null, 2));
    return;
  }
  if (page.items.length === 0) {
    io.out(`No executions in app ${app}${values.script ? ` for script ${values.script}` : ""} yet.`);
    return;
  }
  for (const e of [...page.items].reverse()) {
    io.out(`${timeText(e.startedAt)}  ${executionSummary(e)}`);
    for (const l of e.logs) io.out(`    ${logLine(l)}`);
    if (e.logsTruncated) io.out("    (log truncated)");
    const error = errorText(e);
    if (error) io.out(`    ${error}`);
  }
  if (page.cursor) io.out(`(older executions: picloud logs --cursor ${page.cursor})`);
}
