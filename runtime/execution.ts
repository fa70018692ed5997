/**
 * One execution, from leasing a context to releasing its permit. The guest
 * runs only inside pump() (executePendingJobs) and the calls that start it;
 * host events (host-call completions, timers, the deadline) each end with a
 * pump. The entry's result is delivered as soon as it is known; the execution
 * finishes when its waitUntil work settles or the time limit hits. Every
 * QuickJS handle it takes is disposed in #finish().
 */
import type { QuickJSHandle } from "quickjs-emscripten-core";
import { isWasmFailure } from "./engine.js";
import { checkResponse, decodeReturnValue, entryMeta } from "./entry-io.js";
import type { ExecutionHost } from "./execution-host.js";
import type {
  EntryOutcome,
  ExecutionJob,
  FinishedExecution,
  GuestError,
  LateFailure,
  RunningExecution,
} from "./execution-types.js";
import type { Permit } from "./gate.js";
import { type GuestContext, guestStackBytes } from "./guest-context.js";
import { type Bridge, HostBridge } from "./host-bridge.js";
import { type ExecutionOps, GuestFacingError } from "./host-ops.js";
import { HostTimers } from "./host-timers.js";
import { LogBuffer } from "./log-buffer.js";
import { LOG_LEVELS } from "./ops.js";
import { globalsFor } from "./prelude-globals.js";
import { cut, describeThrown, limitOf } from "./thrown-value.js";

let nextToken = 1;

export class Execution implements ExecutionOps, RunningExecution {
  readonly result: Promise<EntryOutcome>;
  readonly finished: Promise<FinishedExecution>;
  readonly token = nextToken++;
  #resolveResult!: (outcome: EntryOutcome) => void;
  #resolveFinished!: (finished: FinishedExecution) => void;

  readonly #logs: LogBuffer;
  readonly #startedAt = performance.now();
  readonly #deadline: number;
  #deadlineTimer: NodeJS.Timeout | undefined;
  readonly #timers = new HostTimers();
  /** Binding calls and fetch (host-ops calls it directly). */
  readonly bridge: Bridge;

  #context: GuestContext | null = null;
  #ns: QuickJSHandle | null = null;
  #nsPromise: QuickJSHandle | null = null;
  #run: QuickJSHandle | null = null;
  #runSettled = false;

  #outcome: EntryOutcome | undefined;
  #late: LateFailure | undefined;
  #waitFailure: string | undefined;
  #resultSent = false;
  #waiting = 0;
  #limitHit = false;
  /** Memory or stack limit hit: the context is abandoned rather than freed (see Release.abandon). */
  #fragile = false;
  #crashed = false;
  #done = false;

  constructor(
    readonly job: ExecutionJob,
    private readonly permit: Permit,
    private readonly host: ExecutionHost,
  ) {
    this.result = new Promise((resolve) => {
      this.#resolveResult = resolve;
    });
    this.finished = new Promise((resolve) => {
      this.#resolveFinished = resolve;
    });
    this.#logs = new LogBuffer(job.limits.maxLogBytes, job.onLog);
    this.#deadline = Date.now() + job.limits.wallTimeMs;
    this.bridge = new HostBridge(this, {
      job,
      logger: host.logger,
      deadline: this.#deadline,
      afterSettle: () => this.#pump(),
      isDone: () => this.#done,
      context: () => this.#context,
      onFatal: (error) => this.#fatal(error),
    });
  }

  /** Starts the execution; never throws (failures become the outcome). */
  begin(): void {
    this.#deadlineTimer = setTimeout(() => this.#onDeadline(), this.job.limits.wallTimeMs);
    this.#start().catch((error) => this.#internal(error, "start"));
  }

  async #start(): Promise<void> {
    const context = await this.host.acquire(this.job);
    if (this.#done) {
      this.host.release(context, this.job, { healthy: true, reusable: true, crashed: false, abandon: false });
      return;
    }
    this.#context = context;
    context.current = this;
    context.uses++;
    const slot = context.slot;
    slot.generation.executions.add(this);
    slot.uses++;
    slot.deadline = this.#deadline;
    slot.interrupted = false;
    slot.modules = this.job.script.modules;
    const reused = context.ns !== null;
    // A fresh context's prelude does not count against the script's budget, nor does a snapshot
    // sandbox's evaluated module (its baseUsage); a classic reused context's globals do.
    const budget = this.job.limits.memoryBytes;
    slot.limitMemory((reused ? context.baseUsage : slot.generation.preparedUsage) + budget, budget);
    slot.runtime.setMaxStackSize(guestStackBytes(this.job.limits.stackBytes));
    context.begin(this.token, globalsFor(this.job.script, this.job.bindings));
    if (reused) this.#callRun(context.ns!);
    else this.#evaluate(context);
    this.#pump();
  }

  #evaluate(context: GuestContext): void {
    const vm = context.vm;
    const result = context.slot.enter(() =>
      vm.evalCode(this.job.script.source, "script.js", { type: "module", strict: true }),
    );
    if (result.error) {
      this.#runSettled = true;
      this.#guestError(result.error);
      return;
    }
    const value = result.value;
    const state = vm.getPromiseState(value);
    if (state.type === "fulfilled" && state.notAPromise) this.#ready(value);
    else if (state.type === "fulfilled") {
      value.dispose();
      this.#ready(state.value);
    } else if (state.type === "rejected") {
      value.dispose();
      this.#runSettled = true;
      this.#guestError(state.error);
    } else this.#nsPromise = value;
  }

  /** The module is evaluated: keep its namespace and call the entry point. */
  #ready(ns: QuickJSHandle): void {
    const context = this.#context!;
    if (this.job.script.isolation === "script") {
      context.ns = ns;
      context.versionId = this.job.script.versionId;
    } else this.#ns = ns;
    this.#callRun(ns);
  }

  #callRun(ns: QuickJSHandle): void {
    const context = this.#context!;
    let meta: ReturnType<typeof entryMeta>;
    try {
      meta = entryMeta(this.job, this.token);
    } catch (error) {
      this.#runSettled = true;
      this.#internal(error, "input");
      return;
    }
    const result = context.slot.enter(() => context.run(meta.json, ns, meta.body, meta.binaries));
    if (result.error) {
      this.#runSettled = true;
      this.#guestError(result.error);
      return;
    }
    this.#run = result.value;
  }

  /** Runs the guest's pending jobs, then looks at where the execution stands. */
  #pump(): void {
    if (this.#done || !this.#context) return;
    try {
      const slot = this.#context.slot;
      const result = slot.enter(() => slot.runtime.executePendingJobs());
      if (result.error) this.#guestError(result.error);
      else if (slot.memoryExceeded) this.#limit("memory", "waitUntil work ran out of memory");
      else if (slot.heapGrew && slot.checkMemory()) this.#limit("memory", "waitUntil work ran out of memory");
      this.#progress();
    } catch (error) {
      if (!this.#fatal(error)) this.#internal(error, "pump");
    }
  }

  #progress(): void {
    if (this.#done) return;
    const vm = this.#context!.vm;
    if (this.#nsPromise) {
      const state = vm.getPromiseState(this.#nsPromise);
      if (state.type === "pending") return;
      this.#nsPromise.dispose();
      this.#nsPromise = null;
      if (state.type === "rejected") {
        this.#runSettled = true;
        this.#guestError(state.error);
        return;
      }
      this.#ready(state.value);
      this.#pump();
      return;
    }
    if (this.#run && !this.#runSettled) {
      const state = vm.getPromiseState(this.#run);
      if (state.type === "rejected") {
        this.#runSettled = true;
        this.#guestError(state.error);
        if (this.#done) return;
      } else if (state.type === "fulfilled") {
        this.#runSettled = true;
        if (!state.notAPromise) state.value.dispose();
        if (!this.#outcome)
          this.#setOutcome({
            status: "error",
            error: { name: "Error", message: "The script produced no result" },
          });
      }
    }
    if (this.#outcome && !this.#resultSent) this.#sendResult();
    if (this.#outcome && this.#runSettled && this.#waiting === 0) this.#finish();
  }

  #setOutcome(outcome: EntryOutcome): void {
    if (this.#outcome) return;
    this.#outcome = outcome;
    this.#sendResult();
  }

  #sendResult(): void {
    if (this.#resultSent || !this.#outcome) return;
    this.#resultSent = true;
    this.#resolveResult(this.#outcome);
  }

  /** A time or memory limit was hit: no more guest code runs. */
  #limit(kind: "timeout" | "memory", message?: string): void {
    this.#limitHit = true;
    if (kind === "memory") this.#fragile = true;
    if (!this.#outcome) this.#setOutcome({ status: kind });
    else if (this.#outcome.status === "ok" && !this.#late)
      this.#late = message ? { status: kind, message } : { status: kind };
    this.#finish();
  }

  /**
   * A value thrown out of guest code (by evaluation, a call or a job). Takes ownership of
   * `handle` and disposes it before anything else: classifying may finish the execution,
   * which frees the context, and a handle alive at that point would abort the module.
   */
  #guestError(handle: QuickJSHandle): void {
    const context = this.#context!;
    const slot = context.slot;
    let error: GuestError | undefined;
    try {
      if (!slot.memoryExceeded && !slot.interrupted) error = describeThrown(context, handle);
    } finally {
      handle.dispose();
    }
    this.#thrown(error, true);
  }

  /**
   * Records what the entry threw (undefined: a limit stopped it). A time or memory limit ends
   * the execution when `stop` (we are outside guest code), else only sets the outcome.
   */
  #thrown(error: GuestError | undefined, stop: boolean): void {
    const slot = this.#context?.slot;
    const kind =
      slot?.memoryExceeded || (error?.message === "Uncaught null" && slot?.nearBudget() === true)
        ? "memory"
        : slot?.interrupted || !error
          ? "timeout"
          : limitOf(error);
    if (kind === "memory" || kind === "timeout") {
      const late =
        kind === "memory"
          ? "waitUntil work ran out of memory"
          : "waitUntil work was still running at the time limit";
      if (stop) {
        this.#limit(kind, late);
        return;
      }
      this.#limitHit = true;
      if (kind === "memory") this.#fragile = true;
      if (!this.#outcome) this.#setOutcome({ status: kind });
      return;
    }
    if (kind === "stack") this.#limitHit = this.#fragile = true;
    if (!this.#outcome) this.#setOutcome({ status: "error", error: error! });
    else if (this.#outcome.status === "ok" && !this.#late)
      this.#late = { status: "error", message: `${error!.name}: ${error!.message}` };
  }

  #onDeadline(): void {
    if (this.#done) return;
    this.#limit("timeout", "waitUntil work was still running at the time limit");
  }

  /** A WASM abort: the module is gone; every execution on it fails, this process lives on. */
  #fatal(error: unknown): boolean {
    if (!isWasmFailure(error)) return false;
    const generation = this.#context?.slot.generation;
    if (generation) generation.markDead(error);
    else this.crash();
    return true;
  }

  /** Called when the module died under this execution. */
  crash(): void {
    if (this.#done) return;
    this.#crashed = true;
    const error = {
      name: "Error",
      message: "The sandbox crashed while running this script; it is safe to retry",
    };
    if (!this.#outcome) this.#setOutcome({ status: "error", error });
    else if (this.#outcome.status === "ok" && !this.#late)
      this.#late = { status: "error", message: error.message };
    this.#finish();
  }

  #internal(error: unknown, where: string): void {
    if (this.#done) return;
    if (this.#fatal(error)) return;
    this.host.logger?.error(
      { executionId: this.job.executionId, where, err: error instanceof Error ? error.stack : String(error) },
      "sandbox: internal error while running a script",
    );
    if (!this.#outcome)
      this.#setOutcome({
        status: "error",
        error: { name: "Error", message: "Internal error in the sandbox" },
      });
    else if (this.#outcome.status === "ok" && !this.#late)
      this.#late = { status: "error", message: "Internal error in the sandbox" };
    this.#finish();
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#deadlineTimer);
    this.#timers.clearAll();
    this.bridge.close(!this.#crashed);
    if (!this.#outcome)
      this.#outcome = { status: "error", error: { name: "Error", message: "The script produced no result" } };
    this.#sendResult();
    if (this.#outcome.status === "ok" && this.#waitFailure && !this.#late)
      this.#late = { status: "error", message: this.#waitFailure };
    if (this.#context) this.#releaseContext(this.#context);
    this.permit.release();
    this.#resolveFinished({
      outcome: this.#outcome,
      ...(this.#late ? { late: this.#late } : {}),
      logs: this.#logs.lines,
      logsTruncated: this.#logs.truncated,
      durationMs: performance.now() - this.#startedAt,
    });
  }

  /** Disposes this execution's handles and hands the context back, reusable or not. */
  #releaseContext(context: GuestContext): void {
    this.#context = null;
    const slot = context.slot;
    slot.generation.executions.delete(this);
    slot.deadline = 0;
    slot.unlimitMemory();
    const fragile = this.#fragile || slot.memoryExceeded;
    slot.lastUsage = Math.max(slot.lastUsage, slot.ownGrowth);
    let healthy = !this.#crashed && !this.#limitHit && !fragile && !slot.interrupted;
    if (!this.#crashed) {
      try {
        for (const handle of [this.#run, this.#nsPromise, this.#ns]) if (handle?.alive) handle.dispose();
        context.current = null;
        healthy &&= !slot.runtime.hasPendingJob();
        // The shared realm forgets this execution (a runtime that hit a limit is never reused).
        if (!fragile) context.end();
      } catch (error) {
        healthy = false;
        if (isWasmFailure(error)) {
          this.#crashed = true;
          slot.generation.markDead(error);
        }
      }
    }
    this.#run = this.#nsPromise = this.#ns = null;
    const reusable = healthy && context.ns !== null && this.#outcome?.status === "ok" && !this.#late;
    try {
      this.host.release(context, this.job, { healthy, reusable, crashed: this.#crashed, abandon: fragile });
    } catch (error) {
      this.host.logger?.error(
        { executionId: this.job.executionId, err: String(error) },
        "sandbox: release failed",
      );
    }
  }

  // ---- ExecutionOps: called synchronously from guest code through host-ops ----

  log(level: number, message: string): void {
    this.#logs.add(LOG_LEVELS[level] ?? "log", message);
  }

  /** A result reported over budget is a memory outcome instead; true when that happened. */
  #overBudgetOutcome(): boolean {
    if (!this.#context?.slot.overBudget()) return false;
    this.#limitHit = this.#fragile = true;
    this.#setOutcome({ status: "memory" });
    return true;
  }

  respond(status: number, statusText: string, headersJson: string, body: Uint8Array | string | null): void {
    if (this.#outcome || this.#overBudgetOutcome()) return;
    const checked = checkResponse(status, statusText, headersJson, body, this.job.limits.maxResponseBytes);
    this.#setOutcome(
      typeof checked === "string"
        ? { status: "invalid_response", message: checked }
        : { status: "ok", response: checked },
    );
  }

  returnValue(json: string | undefined): void {
    if (this.#outcome || this.#overBudgetOutcome()) return;
    this.#setOutcome(decodeReturnValue(json, this.job.limits.maxResponseBytes));
  }

  fail(name: string, message: string, stack: string): void {
    const error: GuestError = { name: cut(name, 200), message: cut(message) };
    if (stack) error.stack = cut(stack);
    this.#thrown(error, false);
  }

  invalid(message: string): void {
    this.#setOutcome({ status: "invalid_response", message: cut(message, 1000) });
  }

  waitAdd(token: number): void {
    if (token !== this.token) throw new GuestFacingError("ctx.waitUntil() called after its execution ended");
    this.#waiting++;
  }

  waitDone(token: number, failure: string | undefined): void {
    if (token !== this.token) return;
    this.#waiting = Math.max(0, this.#waiting - 1);
    if (failure !== undefined) {
      this.#logs.add("error", `Uncaught (in waitUntil) ${failure}`);
      if (failure.startsWith("InternalError: out of memory")) {
        this.#limitHit = this.#fragile = true;
        if (this.#outcome?.status === "ok" && !this.#late)
          this.#late = { status: "memory", message: "waitUntil work ran out of memory" };
      }
      this.#waitFailure ??= cut(failure);
    }
  }

  timerSet(token: number, id: number, ms: number): void {
    if (token !== this.token) throw new GuestFacingError("a timer was set after its execution ended");
    // A timer due after the deadline would never fire in time: it fires at the deadline at the latest.
    this.#timers.set(id, Math.max(0, Math.min(ms, this.#deadline - Date.now() + 1)), () => {
      if (this.#done || !this.#context) return;
      try {
        const context = this.#context;
        const error = context.slot.enter(() => context.fire(id));
        if (error) this.#guestError(error);
      } catch (e) {
        if (!this.#fatal(e)) this.#internal(e, "timer");
        return;
      }
      this.#pump();
    });
  }

  timerClear(id: number): void {
    this.#timers.clear(id);
  }

  now(): number {
    return performance.now() - this.#startedAt;
  }
}
