/**
 * PiCloud's sandbox runtime: runs fetch-style scripts in QuickJS contexts
 * with limits, Web API globals and promise-bridged host bindings. Knows
 * nothing of databases or HTTP servers; see createSandboxHost.
 */

export type {
  EntryInput,
  EntryName,
  EntryOutcome,
  ExecutionJob,
  ExecutionLimits,
  FinishedExecution,
  GuestError,
  LateFailure,
  LogLevel,
  LogLine,
  RunningExecution,
  SandboxLogger,
  ScriptSource,
} from "./execution-types.js";
export type { Permit } from "./gate.js";
export { ConcurrencyGate } from "./gate.js";
export type {
  BindingDefinition,
  GuestErrorName,
  HostMethod,
  HostRequest,
  HostResponse,
  HostValue,
} from "./host-types.js";
export { HostCallError } from "./host-types.js";
export type { SandboxHost, SandboxHostOptions, SandboxStats } from "./sandbox-host.js";
export { createSandboxHost } from "./sandbox-host.js";
export type { ThreadedSandboxOptions } from "./threads/threaded-host.js";
export { createThreadedSandboxHost, DEFAULT_OVERRUN_GRACE_MS } from "./threads/threaded-host.js";
