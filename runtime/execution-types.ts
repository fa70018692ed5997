/**
 * The runtime's public contract with the rest of PiCloud: what an execution
 * is given (ExecutionJob) and what it produces (EntryOutcome, FinishedExecution).
 */
import type { BindingDefinition, HostRequest, HostResponse } from "./host-types.js";

export type EntryName = "fetch" | "scheduled" | "trigger" | "email";

export type LogLevel = "debug" | "info" | "log" | "warn" | "error";

export interface LogLine {
  level: LogLevel;
  message: string;
  /** epoch ms */
  at: number;
}

export interface ExecutionLimits {
  wallTimeMs: number;
  memoryBytes: number;
  stackBytes: number;
  maxResponseBytes: number;
  maxLogBytes: number;
}

export interface ScriptSource {
  versionId: string;
  /** The script the version belongs to: a new version's sandboxes replace the old one's. */
  scriptId?: string;
  /** ES module text, already bundled; may import only names found in `modules`. */
  source: string;
  /** "script" reuses one evaluated context per version across executions (SPEC §2). */
  isolation?: "none" | "script";
  /** Reused contexts are recycled after this many executions (default 1000). */
  recycleAfter?: number;
  /** module name → ES module source, for `import { x } from "lib/text"`. */
  modules?: Record<string, string>;
}

export type EntryInput =
  | { request: HostRequest }
  | { controller: { cron: string; scheduledTime: number } }
  | { event: unknown }
  | { message: unknown };

export interface ExecutionJob {
  executionId: string;
  rootExecutionId: string;
  depth: number;
  script: ScriptSource;
  entry: EntryName;
  input: EntryInput;
  /** ctx.params */
  params?: Record<string, string>;
  /** plain env vars: env.NAME */
  vars: Record<string, string>;
  /** env.<name> */
  bindings?: BindingDefinition[];
  /** The guest's global fetch; absent → guest fetch rejects with TypeError("fetch is not available"). */
  fetch?: (request: HostRequest, signal: AbortSignal) => Promise<HostResponse>;
  limits: ExecutionLimits;
  /** Live tail: called for every captured log line. */
  onLog?: (line: LogLine) => void;
}

export interface GuestError {
  name: string;
  message: string;
  stack?: string;
}

export type EntryOutcome =
  | { status: "ok"; response?: HostResponse; value?: unknown }
  | { status: "error"; error: GuestError }
  | { status: "timeout" }
  | { status: "memory" }
  | { status: "invalid_response"; message: string };

export interface LateFailure {
  status: "error" | "timeout" | "memory";
  message?: string;
}

export interface FinishedExecution {
  /** The entry's outcome (what `result` settled with). */
  outcome: EntryOutcome;
  /** A failure after an ok result: a waitUntil promise rejected, or the time/memory limit hit during waitUntil. */
  late?: LateFailure;
  logs: LogLine[];
  logsTruncated: boolean;
  durationMs: number;
}

export interface RunningExecution {
  /** Settles as soon as the entry's result is known (for fetch: the Response). Never rejects. */
  readonly result: Promise<EntryOutcome>;
  /** Settles when everything is over: waitUntil settled or time limit, context disposed, permit released. Never rejects. */
  readonly finished: Promise<FinishedExecution>;
}

export interface SandboxLogger {
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}
