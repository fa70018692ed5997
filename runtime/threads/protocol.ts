/**
 * The messages between the main thread and a sandbox thread. Bindings and the
 * outbound fetch stay on the main thread (they hold the database and the
 * network policy): a guest's call travels as `call` and comes back as `reply`.
 * Everything else an execution needs runs inside the thread.
 */
import type {
  EntryOutcome,
  ExecutionJob,
  FinishedExecution,
  LogLine,
  ScriptSource,
} from "../execution-types.js";
import type { GuestErrorName } from "../host-types.js";
import type { PrepareLimits, SandboxStats } from "../sandbox-host.js";

/** What a binding looks like on the wire: its guest glue and the names of its host methods. */
export interface WireBinding {
  name: string;
  guestSource: string;
  methods: string[];
}

/** An ExecutionJob without its functions; the source may be left out when the thread already has it. */
export interface WireJob extends Omit<ExecutionJob, "bindings" | "fetch" | "onLog" | "script"> {
  script: Omit<ScriptSource, "source" | "modules"> & { source?: string; modules?: Record<string, string> };
  bindings: WireBinding[];
  hasFetch: boolean;
  hasOnLog: boolean;
}

/** A failed host call: a HostCallError keeps its guest class and message; anything else is internal. */
export type WireError = { guestName: GuestErrorName; message: string } | { internal: string };

export type ToThread =
  | { type: "start"; id: number; job: WireJob }
  | { type: "source"; id: number; source: string; modules?: Record<string, string> }
  | { type: "reply"; callId: number; ok: true; value: unknown }
  | { type: "reply"; callId: number; ok: false; error: WireError }
  | { type: "warm"; requestId: number; count: number }
  | { type: "prepare"; requestId: number; script: ScriptSource; limits: PrepareLimits };

export type FromThread =
  | { type: "need-source"; id: number }
  /** `binding` null: the guest's global fetch. */
  | { type: "call"; id: number; callId: number; binding: string | null; method: string; args: unknown[] }
  | { type: "cancel"; callId: number }
  | { type: "log"; id: number; line: LogLine }
  | { type: "result"; id: number; outcome: EntryOutcome }
  /** With the thread's sandbox stats, so the main thread's stats() stays synchronous and current. */
  | { type: "finished"; id: number; finished: FinishedExecution; stats: SandboxStats }
  | { type: "logger"; level: "warn" | "error"; obj: object; msg: string }
  | { type: "warmed"; requestId: number; stats: SandboxStats };
/* "warmed" also answers "prepare". */

/** What a thread is started with. */
export interface ThreadData {
  /** The QuickJS memory cap and the number of contexts to keep ready. */
  maxConcurrent: number;
  maxHeapBytes?: number;
  /** This thread's share of the snapshot sandboxes' options (see SandboxHostOptions). */
  snapshots?: boolean;
  sandboxMemoryBytes?: number;
  sandboxIdleMs?: number;
  /** One cell: the deadline (epoch ms) of the guest code running right now, 0 when none runs. */
  watch: SharedArrayBuffer;
}
