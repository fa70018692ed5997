/**
 * createSandboxHost: the runtime's entry point. Owns the concurrency gate and
 * the two pools executions lease contexts from: snapshot sandboxes per script
 * version (snapshot/snapshot-pool.ts; every execution starts from the state
 * right after its module was evaluated) and the classic pool
 * (context-pool.ts) for versions that cannot be snapshotted and for
 * `isolation = "script"`.
 */
import { ContextPool } from "./context-pool.js";
import { Execution } from "./execution.js";
import type { ExecutionHost } from "./execution-host.js";
import type { ExecutionJob, RunningExecution, SandboxLogger, ScriptSource } from "./execution-types.js";
import { ConcurrencyGate, type Permit } from "./gate.js";
import { loadPrelude } from "./prelude-source.js";
import { defaultSandboxMemoryBytes } from "./sandbox-memory.js";
import { MemorySnapshot } from "./snapshot/memory-snapshot.js";
import { type PrepareLimits, SnapshotPool, type SnapshotPoolStats } from "./snapshot/snapshot-pool.js";

export interface SandboxHostOptions {
  maxConcurrent: number;
  logger?: SandboxLogger;
  /**
   * Hard cap of the QuickJS WebAssembly memory (per module; default: 128 MiB per concurrent
   * execution, between 256 MiB and 2 GiB). Per-execution memory limits are checked periodically
   * (every ~10k interpreter steps and whenever the heap grows); this cap bounds what a script
   * can allocate between two checks.
   */
  maxHeapBytes?: number;
  /**
   * Cell 0 receives the deadline (epoch ms) of the guest code running right now, 0 when none
   * runs: a watchdog on another thread can tell a script stuck past its limit inside a built-in
   * that the interrupt handler cannot stop (see threads/threaded-host.ts).
   */
  watch?: Float64Array;
  /**
   * Size of this host's own gate, when another gate decides (a sandbox thread: the main thread's
   * gate admits the work). Default: maxConcurrent, which also sizes the pools and the heap cap.
   */
  gateSize?: number;
  /** Snapshot sandboxes (default true); false runs every execution in a fresh context. */
  snapshots?: boolean;
  /** Budget of all snapshot sandboxes together (default: defaultSandboxMemoryBytes()). */
  sandboxMemoryBytes?: number;
  /** An idle snapshot sandbox is evicted after this long (default 5 minutes). */
  sandboxIdleMs?: number;
  /** See SnapshotPoolOptions.snapshotAfter (default 2). */
  snapshotAfter?: number;
}

export interface ClassicStats {
  /** Bytes of the current WebAssembly memory (it grows, never shrinks). */
  wasmBytes: number;
  generation: number;
  /** QuickJS modules that aborted and were replaced since the host started. */
  moduleReloads: number;
  idleRuntimes: number;
  preparedContexts: number;
  scriptContexts: number;
}

export type SandboxStats = ClassicStats & Partial<SnapshotPoolStats>;
export type { PrepareLimits };
export { defaultSandboxMemoryBytes };

export interface SandboxHost {
  readonly gate: ConcurrencyGate;
  /**
   * Runs one execution. The caller acquires a Permit first (HTTP: tryAcquire → null means 503;
   * background: await acquire()) and passes it; the runtime releases it when the execution
   * (including waitUntil) is fully finished.
   */
  start(job: ExecutionJob, permit: Permit): RunningExecution;
  /** Loads the engine and prepares `count` contexts ahead of the first request (default: the gate size). */
  warm(count?: number): Promise<void>;
  /**
   * Evaluates and snapshots `script` off the request path (after a deploy, at start), so its
   * first execution finds a sandbox ready. Never throws; a no-op when snapshots are off.
   */
  prepare(script: ScriptSource, limits: PrepareLimits): Promise<void>;
  stats(): SandboxStats;
  dispose(): void;
}

/** A logger that never throws into the runtime (a failing logger must not strand an execution). */
function safe(logger: SandboxLogger | undefined): SandboxLogger | undefined {
  if (!logger) return undefined;
  return {
    warn(o, msg) {
      try {
        logger.warn(o, msg);
      } catch {}
    },
    error(o, msg) {
      try {
        logger.error(o, msg);
      } catch {}
    },
  };
}

/** 128 MiB per concurrent execution, between 256 MiB and 2 GiB (see SandboxHostOptions.maxHeapBytes). */
export function defaultMaxHeapBytes(maxConcurrent: number): number {
  return Math.min(2 ** 31, Math.max(256 * 1024 * 1024, maxConcurrent * 128 * 1024 * 1024));
}

const DEFAULT_SANDBOX_IDLE_MS = 5 * 60_000;

export function createSandboxHost(opts: SandboxHostOptions): SandboxHost {
  const gate = new ConcurrencyGate(opts.gateSize ?? opts.maxConcurrent);
  const maxHeapBytes = opts.maxHeapBytes ?? defaultMaxHeapBytes(opts.maxConcurrent);
  const logger = safe(opts.logger);
  const classic = new ContextPool(opts.maxConcurrent, logger, maxHeapBytes, opts.watch ?? null);
  const snapshots =
    opts.snapshots === false
      ? null
      : new SnapshotPool(classic, {
          logger,
          watch: opts.watch ?? null,
          // One execution per sandbox: the cap of a single execution's module.
          maxHeapBytes: defaultMaxHeapBytes(1),
          memoryBudgetBytes: opts.sandboxMemoryBytes ?? defaultSandboxMemoryBytes(),
          idleMs: opts.sandboxIdleMs ?? DEFAULT_SANDBOX_IDLE_MS,
          snapshotAfter: opts.snapshotAfter ?? 2,
        });
  const pool: ExecutionHost = snapshots ?? classic;
  const running = new Set<Execution>();
  return {
    gate,
    start(job, permit) {
      const execution = new Execution(job, permit, pool);
      running.add(execution);
      execution.finished.then(() => running.delete(execution));
      execution.begin();
      return { result: execution.result, finished: execution.finished };
    },
    // With snapshots, the classic pool serves only versions that cannot be snapshotted: one ready
    // context is enough there; the rest of warming is loading what every sandbox needs.
    warm: async (count = opts.maxConcurrent) => {
      if (!snapshots) return classic.warm(count);
      await Promise.all([classic.warm(Math.min(count, 1)), MemorySnapshot.locate(), loadPrelude()]);
    },
    prepare: async (script, limits) => snapshots?.prepare(script, limits),
    stats: () => ({ ...classic.stats(), ...snapshots?.stats() }),
    dispose() {
      for (const execution of running) execution.crash();
      snapshots?.dispose();
      classic.dispose();
    },
  };
}
