/**
 * `picloud invoke <script>`: runs a handler's current version once with a
 * request built from curl-like flags, and prints the response status, body and
 * the console lines it logged. The run is recorded like any execution.
 */
import { readFileSync } from "node:fs";
import { STATUS_CODES } from "node:http";
import { parseArgs } from "node:util";
import type { CliEnv } from "../config/cli.js";
import { adminClient, CliError } from "./api-client.js";
import { appPath, resolveApp } from "./app-option.js";
import { type CliIo, parseOutputFormat } from "./output.js";
import { readStdin } from "./prompt.js";

export const INVOKE_USAGE =
  "usage: picloud invoke <script> [--method POST] [--path /x?q=1] [--data '{\"a\":1}' | @file | @-] [--header 'k: v']… [--include] [--app <slug>] [--output json]";

interface LogLine {
  level: string;
  message: string;
  at: number;
}

interface InvokeAnswer {
  executionId: string;
  status: string;
  durationMs: number;
  response?: { status: number; headers: [string, string][]; body: string; encoding: "utf8" | "base64" };
  error?: { name: string; message: string; stack?: string };
  logs: LogLine[];
  logsTruncated: boolean;
}

async function readData(data: string): Promise<string> {
  if (!data.startsWith("@")) return data;
  if (data === "@-") return readStdin();
  try {
    return readFileSync(data.slice(1), "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${data.slice(1)}: ${(err as NodeJS.ErrnoException).code ?? err}`, 2);
  }
}

function parseHeaders(list: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const h of list) {
    const colon = h.indexOf(":");
    if (colon < 1) throw new CliError(`--header must look like "name: value", not ${JSON.stringify(h)}`, 2);
    headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
  }
  return headers;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** `[log] message` lines as `picloud invoke`, `logs` and `tail` print them. */
export function logLine(l: Pick<LogLine, "level" | "message">): string {
  return `[${l.level}] ${l.message}`;
}

export async function invoke(args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      app: { type: "string", short: "a" },
      method: { type: "string", short: "X" },
      path: { type: "string", short: "p" },
      data: { type: "string", short: "d" },
      header: { type: "string", short: "H", multiple: true },
      include: { type: "boolean", short: "i" },
      output: { type: "string", short: "o" },
    },
  });
  const script = positionals[0];
  if (!script || positionals.length > 1) throw new CliError(INVOKE_USAGE, 2);
  const format = parseOutputFormat(values.output);
  const app = resolveApp(values.app);
  const headers = parseHeaders(values.header ?? []);
  const body = values.data === undefined ? undefined : await readData(values.data);
  if (body !== undefined && !headers["content-type"])
    headers["content-type"] = isJson(body) ? "application/json" : "text/plain;charset=utf-8";
  const path = values.path ?? "/";
  if (!path.startsWith("/")) throw new CliError("--path must start with /", 2);

  const answer = await adminClient(env).request<InvokeAnswer>(
    "POST",
    `${appPath(app)}/scripts/${encodeURIComponent(script)}/invoke`,
    {
      entry: "fetch",
      request: {
        method: (values.method ?? (body === undefined ? "GET" : "POST")).toUpperCase(),
        path,
        headers,
        ...(body === undefined ? {} : { body }),
      },
    },
  );
  if (format === "json") {
    io.out(JSON.stringify(answer, null, 2));
  } else {
    const meta = `${answer.status}, ${answer.durationMs} ms, execution ${answer.executionId}`;
    const res = answer.response;
    if (res) {
      const reason = STATUS_CODES[res.status];
      io.out(`${res.status}${reason ? ` ${reason}` : ""}  (${meta})`);
      if (values.include) for (const [k, v] of res.headers) io.out(`${k}: ${v}`);
      if (res.encoding === "base64") {
        const size = Buffer.from(res.body, "base64").length;
        io.out(`(${size} bytes of binary data: use --output json to get it in base64)`);
      } else if (res.body !== "") io.out(res.body.replace(/\n$/, ""));
    } else {
      io.out(`no response (${meta})`);
    }
    if (answer.error) {
      const { name, message, stack } = answer.error;
      // QuickJS stacks hold only the frames; V8-style ones start with the message.
      if (!stack?.startsWith(`${name}:`)) io.out(`${name}: ${message}`);
      if (stack) io.out(stack.replace(/\n$/, ""));
    }
    if (answer.logs.length > 0) {
      io.out(`--- logs${answer.logsTruncated ? " (truncated)" : ""}`);
      for (const l of answer.logs) io.out(logLine(l));
    }
  }
  if (answer.status !== "ok") throw new CliError(`the execution ended with status ${answer.status}`);
}
