/**
 * `picloud tail`: follows an app's live executions over Server-Sent Events
 * until Ctrl-C, one line per console line and one per finished execution.
 * A dropped or silent connection (no heartbeat for a while) is reopened with
 * backoff; refusals (401, 404…) end the command.
 */
import { parseArgs } from "node:util";
import type { CliEnv } from "../config/cli.js";
import { ApiError, adminClient, CliError } from "./api-client.js";
import { appPath, resolveApp } from "./app-option.js";
import { type ExecutionRecord, errorText, executionSummary } from "./execution-format.js";
import { logLine } from "./invoke-command.js";
import { type CliIo, parseOutputFormat } from "./output.js";
import { readSse } from "./sse-reader.js";

export const TAIL_USAGE = "usage: picloud tail [--app <slug>] [--script <name>] [--output json]";

/** The server sends a heartbeat every 15 s; this long without a byte means the connection is dead. */
const SILENCE_MS = 45_000;
const BACKOFF_MS = [500, 1000, 2000, 4000, 5000];

const clock = (at: number | string) => new Date(at).toISOString().slice(11, 23);

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

export async function tail(
  args: string[],
  env: CliEnv,
  io: CliIo,
  stop: AbortSignal = onInterrupt(),
): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      app: { type: "string", short: "a" },
      script: { type: "string", short: "s" },
      output: { type: "string", short: "o" },
    },
  });
  if (positionals.length > 0) throw new CliError(TAIL_USAGE, 2);
  const format = parseOutputFormat(values.output);
  const app = resolveApp(values.app);
  const query = values.script ? `?script=${encodeURIComponent(values.script)}` : "";
  const client = adminClient(env);

  const print = (type: string, data: unknown) => {
    if (format === "json") {
      io.out(JSON.stringify({ type, ...(data as object) }));
      return;
    }
    if (type === "log") {
      const l = data as { scriptName: string; level: string; message: string; at: number };
      io.out(`${clock(l.at)} ${l.scriptName} ${logLine(l)}`);
    } else {
      const e = data as ExecutionRecord;
      io.out(`${clock(Date.parse(e.startedAt) + e.durationMs)} ${executionSummary(e)}`);
      const error = errorText(e);
      if (error) io.out(`    ${error}`);
    }
  };

  let attempt = 0;
  let connectedBefore = false;
  while (!stop.aborted) {
    const conn = new AbortController();
    const abortConn = () => conn.abort();
    stop.addEventListener("abort", abortConn, { once: true });
    let silence: NodeJS.Timeout | undefined;
    const alive = () => {
      clearTimeout(silence);
      silence = setTimeout(() => conn.abort(), SILENCE_MS);
    };
    let lost = "the stream ended";
    try {
      alive();
      const res = await client.stream(`${appPath(app)}/executions/tail${query}`, conn.signal);
      for await (const ev of readSse(res.body!, alive)) {
        if (ev.event === "ready") {
          attempt = 0;
          io.err(
            connectedBefore
              ? "reconnected"
              : `Tailing app ${app}${values.script ? `, script ${values.script}` : ""} (Ctrl-C to stop)`,
          );
          connectedBefore = true;
        } else if (ev.event === "log" || ev.event === "execution") {
          print(ev.event, JSON.parse(ev.data));
        } else if (ev.event === "dropped") {
          const { count } = JSON.parse(ev.data) as { count: number };
          io.err(`(${count} events dropped: the tail could not keep up)`);
        }
      }
    } catch (err) {
      if (stop.aborted) break;
      // A refusal will not change by retrying; a server that is down or restarting will.
      if (err instanceof ApiError && err.status < 500 && err.status !== 429) throw err;
      lost = conn.signal.aborted ? "no heartbeat" : err instanceof CliError ? err.message : String(err);
    } finally {
      clearTimeout(silence);
      stop.removeEventListener("abort", abortConn);
    }
    if (stop.aborted) break;
    const wait = BACKOFF_MS[Math.min(attempt++, BACKOFF_MS.length - 1)]!;
    io.err(`connection lost (${lost}); reconnecting in ${wait / 1000} s…`);
    await sleep(wait, stop);
  }
}

/** Aborts on the first Ctrl-C (or SIGTERM), so tail ends cleanly with exit code 0. */
function onInterrupt(): AbortSignal {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return controller.signal;
}
