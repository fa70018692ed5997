/**
 * The contract between an Execution and the pool that leases it contexts
 * (sandbox-host.ts): acquire a context for a job, release it with a verdict.
 */
import type { ExecutionJob, SandboxLogger } from "./execution-types.js";
import type { GuestContext } from "./guest-context.js";

export interface Release {
  /** The runtime may serve another execution (no limit hit, nothing left pending). */
  healthy: boolean;
  /** For isolation = "script": the context itself may serve another execution. */
  reusable: boolean;
  /** The module aborted: touch nothing. */
  crashed: boolean;
  /**
   * Hit the memory or stack limit: QuickJS may abort the module when such a context is freed
   * (quickjs-emscripten #257/#269), so it is left in its runtime, which is freed when idle.
   */
  abandon: boolean;
}

/** What an execution needs from the sandbox host. */
export interface ExecutionHost {
  readonly logger: SandboxLogger | undefined;
  /** A context ready for this job (fresh, or the script's reused one). */
  acquire(job: ExecutionJob): Promise<GuestContext>;
  /** Gives the context back when the execution is over. */
  release(context: GuestContext, job: ExecutionJob, how: Release): void;
}
