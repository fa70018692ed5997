/**
 * A SandboxHost whose executions run on a pool of worker threads, each with
 * its own QuickJS module and context pools (sandbox-thread.ts). The main
 * thread keeps the concurrency gate, answers the guests' binding and fetch
 * calls, and watches the threads: guest code that runs past its deadline plus
 * a grace (stuck inside a built-in the interrupt handler cannot stop, such as
 * JSON.stringify of a huge shared graph) gets its thread terminated and
 * replaced. So no script can hold the main event loop, and with it HTTP,
 * health checks or other apps, beyond its own limit.
 */
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type {
  EntryOutcome,
  ExecutionJob,
  FinishedExecution,
  RunningExecution,
  ScriptSource,
} from "../execution-types.js";
import { ConcurrencyGate, type Permit } from "../gate.js";
import { HostCallError, type HostMethod } from "../host-types.js";
import {
  defaultSandboxMemoryBytes,
  type SandboxHost,
  type SandboxHostOptions,
  type SandboxStats,
} from "../sandbox-host.js";
import type { FromThread, ThreadData, ToThread, WireError, WireJob } from "./protocol.js";

/** How long guest code may run past its deadline before its thread is terminated (docs/scripts.md). */
export const DEFAULT_OVERRUN_GRACE_MS = 500;
const WATCH_EVERY_MS = 50;
/**
 * A thread that blocks outside guest code (booting a context, freeing a huge heap) publishes no
 * deadline; it is replaced once an execution on it is this far past its own deadline plus the grace.
 */
const STALL_MARGIN_MS = 5_000;
/** A thread that dies this soon after it started is respawned only after a growing pause. */
const EARLY_DEATH_MS = 5_000;
/** Version ids a thread is believed to hold the source of (it asks when it does not). */
const KNOWN_SOURCES = 512;

export interface ThreadedSandboxOptions extends Omit<SandboxHostOptions, "watch"> {
  /** Worker threads running sandboxes (default: the number of CPUs). */
  threads?: number;
  /** See DEFAULT_OVERRUN_GRACE_MS. */
  graceMs?: number;
}

interface Pending {
  job: ExecutionJob;
  permit: Permit;
  deadline: number;
  startedAt: number;
  resultSent: boolean;
  resolveResult(outcome: EntryOutcome): void;
  resolveFinished(finished: FinishedExecution): void;
}

function sameModules(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  if (a === b) return true;
  const keys = Object.keys(a ?? {});
  return keys.length === Object.keys(b ?? {}).length && keys.every((k) => a![k] === b?.[k]);
}

/** The compiled thread body: beside this file in dist/, or dist/ itself when running from sources (tests). */
function threadEntry(): string {
  const here = fileURLToPath(import.meta.url);
  const beside = path.join(path.dirname(here), "sandbox-thread.js");
  if (here.endsWith(".js")) return beside;
  const built = path.resolve(path.dirname(here), "../../dist/runtime/threads/sandbox-thread.js");
  if (!existsSync(built)) throw new Error(`${built} is missing: run npm run build`);
  return built;
}

class SandboxThread {
  readonly worker: Worker;
  readonly watch: Float64Array;
  readonly pending = new Map<number, Pending>();
  readonly calls = new Map<number, AbortController>();
  /** What this thread was last sent per version id (it asks again when it dropped one). */
  readonly known = new Map<string, Pick<ScriptSource, "source" | "modules">>();
  readonly warmWaiters = new Map<number, () => void>();
  /** Versions being prepared (SandboxHost.prepare) on this thread, by request id. */
  readonly preparing = new Map<number, string>();
  stats: SandboxStats = {
    wasmBytes: 0,
    generation: 0,
    idleRuntimes: 0,
    preparedContexts: 0,
    scriptContexts: 0,
    moduleReloads: 0,
  };
  dead = false;
  readonly spawnedAt = Date.now();

  constructor(entry: string, data: Omit<ThreadData, "watch">) {
    const shared = new SharedArrayBuffer(8);
    this.watch = new Float64Array(shared);
    this.worker = new Worker(entry, {
      workerData: { ...data, watch: shared } satisfies ThreadData,
      // Deep native recursion in the guest (JSON.stringify of a deeply nested object; source nested
      // 20,000 brackets deep, whose parser needs more than Node's 4 MiB default for workers) must reach
      // QuickJS's own stack limit, a catchable error, before Node's stack runs out and the module has
      // to reload. Reserved, not committed: it costs no memory until used.
      resourceLimits: { stackSizeMb: 16 },
    });
  }

  post(message: ToThread): void {
    this.worker.postMessage(message);
  }

  /** The deadline of the guest code running on this thread right now, 0 when none runs. */
  get runningDeadline(): number {
    return this.watch[0]!;
  }

  /** Guest code on this thread is past its deadline right now (it may yet stop by itself). */
  overrunBy(now: number): number {
    const deadline = this.runningDeadline;
    return deadline > 0 ? now - deadline : 0;
  }

  /** Lower is better: fewest executions, not busy in guest code right now, never one overrunning. */
  load(now: number): number {
    return (
      this.pending.size + (this.runningDeadline > 0 ? 1_000 : 0) + (this.overrunBy(now) > 0 ? 1_000_000 : 0)
    );
  }
}

export function createThreadedSandboxHost(opts: ThreadedSandboxOptions): SandboxHost {
  const gate = new ConcurrencyGate(opts.maxConcurrent);
  const count = Math.max(1, Math.floor(opts.threads ?? os.availableParallelism()));
  const graceMs = opts.graceMs ?? DEFAULT_OVERRUN_GRACE_MS;
  const logger = opts.logger;
  const entry = threadEntry();
  const perThread = Math.max(1, Math.ceil(opts.maxConcurrent / count));
  const threads: SandboxThread[] = [];
  let nextId = 1;
  let nextRequest = 1;
  let disposed = false;
  /** Versions whose preparation ran on a thread that had to be replaced (see replace()). */
  const unpreparable = new Set<string>();
  /** Module reloads counted by threads that were replaced since. */
  let retiredReloads = 0;
  /** Threads in a row that died right after starting (a broken build, a failing init): back off. */
  let earlyDeaths = 0;

  const spawn = (index: number): SandboxThread => {
    const thread = new SandboxThread(entry, {
      maxConcurrent: perThread,
      maxHeapBytes: opts.maxHeapBytes,
      snapshots: opts.snapshots,
      // Each thread holds its own sandboxes; a share below a few sandboxes would evict on every use.
      sandboxMemoryBytes: Math.max(
        64 * 1024 * 1024,
        Math.floor((opts.sandboxMemoryBytes ?? defaultSandboxMemoryBytes()) / count),
      ),
      sandboxIdleMs: opts.sandboxIdleMs,
    });
    thread.worker.on("message", (message: FromThread) => onMessage(thread, message));
    thread.worker.on("error", (error) => replace(thread, `the sandbox thread failed: ${error.message}`));
    thread.worker.on("exit", () => replace(thread, "the sandbox thread exited"));
    thread.worker.unref();
    threads[index] = thread;
    return thread;
  };

  const onMessage = (thread: SandboxThread, message: FromThread): void => {
    switch (message.type) {
      case "need-source": {
        const job = thread.pending.get(message.id)?.job;
        if (job)
          thread.post({
            type: "source",
            id: message.id,
            source: job.script.source,
            modules: job.script.modules,
          });
        return;
      }
      case "call":
        serveCall(thread, message.id, message.callId, message.binding, message.method, message.args);
        return;
      case "cancel":
        thread.calls.get(message.callId)?.abort();
        thread.calls.delete(message.callId);
        return;
      case "log":
        thread.pending.get(message.id)?.job.onLog?.(message.line);
        return;
      case "result": {
        const p = thread.pending.get(message.id);
        if (p && !p.resultSent) {
          p.resultSent = true;
          p.resolveResult(message.outcome);
        }
        return;
      }
      case "finished": {
        thread.stats = message.stats;
        const p = thread.pending.get(message.id);
        if (!p) return;
        thread.pending.delete(message.id);
        if (!p.resultSent) p.resolveResult(message.finished.outcome);
        p.resolveFinished(message.finished);
        p.permit.release();
        return;
      }
      case "logger":
        logger?.[message.level](message.obj, message.msg);
        return;
      case "warmed":
        thread.stats = message.stats;
        thread.preparing.delete(message.requestId);
        thread.warmWaiters.get(message.requestId)?.();
        thread.warmWaiters.delete(message.requestId);
        return;
    }
  };

  const serveCall = (
    thread: SandboxThread,
    id: number,
    callId: number,
    binding: string | null,
    method: string,
    args: unknown[],
  ): void => {
    const job = thread.pending.get(id)?.job;
    const fn: HostMethod | undefined =
      binding === null
        ? job?.fetch && ((a, signal) => job.fetch!(a[0] as never, signal) as never)
        : job?.bindings?.find((b) => b.name === binding)?.methods[method];
    const reply = (ok: boolean, payload: unknown) => {
      thread.calls.delete(callId);
      if (thread.dead) return;
      try {
        if (ok) thread.post({ type: "reply", callId, ok: true, value: payload });
        else thread.post({ type: "reply", callId, ok: false, error: payload as WireError });
      } catch (error) {
        // A result that cannot cross threads (a function, a symbol): the guest's call fails instead.
        const internal = `${binding ?? "fetch"}.${method} returned a value that cannot be sent to the sandbox: ${String(error)}`;
        thread.post({ type: "reply", callId, ok: false, error: { internal } });
      }
    };
    if (!fn) {
      reply(false, { internal: `no host method ${binding ?? "fetch"}.${method}` });
      return;
    }
    const controller = new AbortController();
    thread.calls.set(callId, controller);
    Promise.resolve()
      .then(() => fn(args as never, controller.signal))
      .then(
        (value) => reply(true, value),
        (error: unknown) =>
          reply(
            false,
            error instanceof HostCallError
              ? { guestName: error.guestName, message: error.message }
              : { internal: error instanceof Error ? (error.stack ?? error.message) : String(error) },
          ),
      );
  };

  /** Ends every execution of a thread that is gone, and starts its replacement. */
  /** `stopped`: the host terminated the thread (watchdog, dispose) rather than it dying by itself. */
  const replace = (thread: SandboxThread, reason: string, stopped = false): void => {
    if (thread.dead) return;
    const culpritDeadline = thread.runningDeadline;
    thread.dead = true;
    retiredReloads += thread.stats.moduleReloads;
    void thread.worker.terminate();
    for (const controller of thread.calls.values()) controller.abort();
    thread.calls.clear();
    for (const resolve of thread.warmWaiters.values()) resolve();
    // A version whose preparation was running when its thread had to go (stuck in top-level code)
    // is not prepared ahead again: its executions prepare it, under their own time limits.
    for (const versionId of thread.preparing.values()) {
      unpreparable.add(versionId);
      if (unpreparable.size > KNOWN_SOURCES) unpreparable.delete(unpreparable.values().next().value!);
    }
    const caught = thread.pending.size;
    const now = Date.now();
    // The culprit is the execution whose guest code was running: its deadline here is the latest one
    // at or before the deadline the thread published (the thread started it a little later).
    let culprit: Pending | undefined;
    for (const p of thread.pending.values())
      if (p.deadline <= culpritDeadline + 1 && (!culprit || p.deadline > culprit.deadline)) culprit = p;
    for (const p of thread.pending.values()) {
      const timedOut = culprit ? p === culprit : now >= p.deadline;
      const outcome: EntryOutcome = timedOut
        ? { status: "timeout" }
        : { status: "error", error: { name: "Error", message: `${reason}; the execution was stopped` } };
      if (!p.resultSent) {
        p.resultSent = true;
        p.resolveResult(outcome);
      }
      p.resolveFinished({ outcome, logs: [], logsTruncated: false, durationMs: now - p.startedAt });
      p.permit.release();
    }
    thread.pending.clear();
    if (disposed) return;
    logger?.error({ reason, executions: caught }, "sandbox: thread replaced");
    const index = threads.indexOf(thread);
    // Only a thread that died by itself soon after starting hints at a broken build or init.
    earlyDeaths = !stopped && now - thread.spawnedAt < EARLY_DEATH_MS ? earlyDeaths + 1 : 0;
    const respawn = () => {
      if (disposed) return;
      spawn(index).post({ type: "warm", requestId: nextRequest++, count: perThread });
    };
    if (earlyDeaths <= 1) respawn();
    else setTimeout(respawn, Math.min(30_000, 100 * 2 ** earlyDeaths)).unref();
  };

  for (let i = 0; i < count; i++) spawn(i);

  const watchdog = setInterval(() => {
    const now = Date.now();
    for (const thread of threads) {
      if (thread.dead) continue;
      if (thread.overrunBy(now) > graceMs)
        replace(
          thread,
          `a script ran ${thread.overrunBy(now)} ms past its time limit and could not be interrupted`,
          true,
        );
      else
        for (const p of thread.pending.values())
          if (now - p.deadline > graceMs + STALL_MARGIN_MS) {
            replace(
              thread,
              `the sandbox thread stopped answering (${now - p.deadline} ms past a time limit)`,
              true,
            );
            break;
          }
    }
  }, WATCH_EVERY_MS);
  watchdog.unref();

  /**
   * The least loaded live thread (see SandboxThread.load); among equally loaded ones, one that
   * already ran `versionId` (its snapshot sandbox is there).
   */
  const pick = (versionId?: string): SandboxThread => {
    const now = Date.now();
    let best: SandboxThread | undefined;
    for (const thread of threads) {
      if (thread.dead) continue;
      const load = thread.load(now);
      const bestLoad = best?.load(now) ?? Number.POSITIVE_INFINITY;
      if (load < bestLoad || (load === bestLoad && versionId !== undefined && thread.known.has(versionId)))
        best = thread;
    }
    return best ?? threads[0]!;
  };

  const wire = (job: ExecutionJob, thread: SandboxThread): WireJob => {
    const { bindings, fetch, onLog, script, ...rest } = job;
    // Versions are immutable, so the same version id means the same source; compared anyway, which
    // costs nothing when (as from the executor's cache) it is the very same string.
    const sent = thread.known.get(script.versionId);
    const known =
      sent !== undefined && sent.source === script.source && sameModules(sent.modules, script.modules);
    thread.known.delete(script.versionId);
    thread.known.set(script.versionId, { source: script.source, modules: script.modules });
    if (thread.known.size > KNOWN_SOURCES) thread.known.delete(thread.known.keys().next().value!);
    return {
      ...rest,
      script: known
        ? { versionId: script.versionId, isolation: script.isolation, recycleAfter: script.recycleAfter }
        : script,
      bindings: (bindings ?? []).map((b) => ({
        name: b.name,
        guestSource: b.guestSource,
        methods: Object.keys(b.methods),
      })),
      hasFetch: fetch !== undefined,
      hasOnLog: onLog !== undefined,
    };
  };

  return {
    gate,
    start(job, permit): RunningExecution {
      let resolveResult!: (o: EntryOutcome) => void;
      let resolveFinished!: (f: FinishedExecution) => void;
      const result = new Promise<EntryOutcome>((r) => {
        resolveResult = r;
      });
      const finished = new Promise<FinishedExecution>((r) => {
        resolveFinished = r;
      });
      const thread = pick(job.script.versionId);
      if (disposed || thread.dead) {
        // As the in-process host does once disposed: the execution fails at once, its permit is freed.
        // (A dead pick means every thread is waiting to be respawned after dying at start.)
        const message = disposed
          ? "the sandbox is shutting down"
          : "no sandbox thread is running; retry shortly";
        const outcome: EntryOutcome = { status: "error", error: { name: "Error", message } };
        permit.release();
        resolveResult(outcome);
        resolveFinished({ outcome, logs: [], logsTruncated: false, durationMs: 0 });
        return { result, finished };
      }
      const id = nextId++;
      const now = Date.now();
      thread.pending.set(id, {
        job,
        permit,
        deadline: now + job.limits.wallTimeMs,
        startedAt: now,
        resultSent: false,
        resolveResult,
        resolveFinished,
      });
      thread.post({ type: "start", id, job: wire(job, thread) });
      return { result, finished };
    },
    async prepare(script, limits) {
      if (disposed || unpreparable.has(script.versionId)) return;
      const thread = pick(script.versionId);
      if (thread.dead) return;
      thread.known.delete(script.versionId);
      thread.known.set(script.versionId, { source: script.source, modules: script.modules });
      if (thread.known.size > KNOWN_SOURCES) thread.known.delete(thread.known.keys().next().value!);
      await new Promise<void>((resolve) => {
        const requestId = nextRequest++;
        thread.warmWaiters.set(requestId, resolve);
        thread.preparing.set(requestId, script.versionId);
        thread.post({ type: "prepare", requestId, script, limits });
      });
    },
    async warm(total = opts.maxConcurrent) {
      if (disposed) return;
      const each = Math.max(1, Math.ceil(total / threads.length));
      await Promise.all(
        threads.map(
          (thread) =>
            new Promise<void>((resolve) => {
              const requestId = nextRequest++;
              thread.warmWaiters.set(requestId, resolve);
              thread.post({ type: "warm", requestId, count: each });
            }),
        ),
      );
    },
    stats(): SandboxStats {
      const sum = (key: keyof SandboxStats) => threads.reduce((n, t) => n + (t.stats[key] ?? 0), 0);
      return {
        snapshotSandboxes: sum("snapshotSandboxes"),
        snapshotIdle: sum("snapshotIdle"),
        snapshotBytes: sum("snapshotBytes"),
        snapshotsTaken: sum("snapshotsTaken"),
        snapshotRestores: sum("snapshotRestores"),
        snapshotEvictions: sum("snapshotEvictions"),
        classicVersions: sum("classicVersions"),
        wasmBytes: sum("wasmBytes"),
        generation: sum("generation"),
        idleRuntimes: sum("idleRuntimes"),
        preparedContexts: sum("preparedContexts"),
        scriptContexts: sum("scriptContexts"),
        moduleReloads: retiredReloads + sum("moduleReloads"),
      };
    },
    dispose() {
      disposed = true;
      clearInterval(watchdog);
      for (const thread of threads) replace(thread, "the sandbox is shutting down", true);
    },
  };
}
