/**
 * A QuickJS runtime slot (with its shared prelude realm, prelude-realm.ts)
 * and the guest contexts living in it: a fresh context per execution, adopted
 * by the realm. Every handle taken here is disposed in dispose() or
 * releaseHandles() — QuickJS aborts the module when a runtime is freed with
 * live handles.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from "quickjs-emscripten-core";

type CallResult = ReturnType<QuickJSContext["callFunction"]>;

import type { Generation, HeapGrowthGuard } from "./engine.js";
import { newBytes } from "./host-ops.js";
import { type Dispatch, PreludeRealm, preparing } from "./prelude-realm.js";
import type { PreludeBundle } from "./prelude-source.js";

/** Never measure more often than this (ms of guest time), nor spend more than 1/20 of the time measuring. */
const MEMORY_CHECK_MS = 10;

/** Heap growth allowed beyond a script's budget before growth is refused (fragmentation, prelude). */
const GROWTH_SLACK_BYTES = 8 * 1024 * 1024;

/**
 * QuickJS's stack limit must trip before Node's own (~984 KiB) does: each guest call level
 * also uses V8's native stack for the interpreter's WASM frames. Measured in a vitest worker
 * (see hostile.test.ts): 256 KiB let recursion through toString overflow Node's stack, 224 KiB
 * did not; 192 KiB keeps a margin (≈1100 levels of plain recursion).
 */
const MAX_STACK_BYTES = 192 * 1024;
const MIN_STACK_BYTES = 64 * 1024;

/** The stack size a job's limit gets, clamped to what the host's own stack can carry. */
export function guestStackBytes(requested: number): number {
  return Math.min(MAX_STACK_BYTES, Math.max(MIN_STACK_BYTES, Math.floor(requested)));
}

/** Share of its budget above which a script's thrown null counts as running out of memory. */
const NEAR_BUDGET = 0.9;

export class RuntimeSlot implements HeapGrowthGuard {
  readonly runtime: QuickJSRuntime;
  /** epoch ms after which guest code is interrupted; 0 = no deadline. */
  deadline = 0;
  interrupted = false;
  /** The running execution's budget in measured bytes; 0 = not checked (idle). */
  memoryLimit = 0;
  memoryExceeded = false;
  uses = 0;
  /** `uses` when the pool last measured this runtime between executions. */
  auditedAt = 0;
  /** A context booted ahead of time, off the request path. */
  prepared: GuestContext | null = null;
  /** The shared prelude realm (booted with the slot's first context). */
  realm: PreludeRealm | null = null;
  /** The context whose execution is running: host calls are served for it. */
  current: GuestContext | null = null;
  /** Sources for `import` while an execution runs. */
  modules: Record<string, string> | undefined;
  /** The last measured usage (bytes), for graveyard accounting. */
  lastUsage = 0;
  /** The last usage measured while the current execution's budget applied (0: not measured yet). */
  runUsage = 0;
  /**
   * WebAssembly heap growth caused while this runtime's guest code ran, since the execution
   * started. Executions interleave on one thread, so growth is counted only inside enter().
   */
  ownGrowth = 0;
  #enterHeap = 0;
  #checkedGrowth = 0;
  #growthAllowance = 0;
  #lastCheck = 0;
  #lastCost = 0;

  constructor(readonly generation: Generation) {
    const runtime = generation.module.newRuntime();
    this.runtime = runtime;
    runtime.setInterruptHandler(() => this.#shouldInterrupt());
    runtime.setModuleLoader((name) => {
      const source = this.modules?.[name];
      if (source === undefined) return { error: new Error(`Cannot find module "${name}"`) };
      return source;
    });
  }

  /** Called by QuickJS every ~10k interpreter steps while guest code runs. */
  #shouldInterrupt(): boolean {
    if (this.deadline > 0 && Date.now() > this.deadline) {
      this.interrupted = true;
      return true;
    }
    if (this.memoryExceeded) return true;
    if (this.memoryLimit > 0) {
      if (
        this.heapGrew ||
        performance.now() - this.#lastCheck > Math.max(MEMORY_CHECK_MS, this.#lastCost * 20)
      )
        return this.checkMemory();
    }
    return false;
  }

  /** Starts enforcing `budget` measured bytes; QuickJS itself refuses any single allocation above it. */
  limitMemory(budget: number, extra: number): void {
    this.memoryExceeded = false;
    this.memoryLimit = budget;
    this.runUsage = 0;
    this.ownGrowth = 0;
    this.#checkedGrowth = 0;
    this.#growthAllowance = extra + GROWTH_SLACK_BYTES;
    this.#lastCheck = performance.now();
    this.runtime.setMemoryLimit(this.generation.probe.mallocSize(this.runtime) + extra);
  }

  /** Before a result counts: a script that grew the heap (or was refused growth) is measured first. */
  overBudget(): boolean {
    return this.memoryExceeded || (this.memoryLimit > 0 && this.heapGrew && this.checkMemory());
  }

  /**
   * QuickJS throws null when it cannot even allocate its "out of memory" error, and by the time
   * the script's catch reports it the memory is freed again: a null thrown by a script whose last
   * measurement was close to its budget is taken for what it almost certainly is.
   */
  nearBudget(): boolean {
    return this.memoryLimit > 0 && this.runUsage > this.memoryLimit * NEAR_BUDGET;
  }

  /** Stops checking (between executions). */
  unlimitMemory(): void {
    this.memoryLimit = 0;
  }

  allowHeap(newBytes: number): boolean {
    if (this.memoryLimit === 0) return true;
    if (this.ownGrowth + (newBytes - this.#enterHeap) <= this.#growthAllowance) return true;
    // Emscripten retries with less over-allocation, so a refusal is not yet a failure: if the
    // allocation does fail, QuickJS throws "out of memory"; either way, measure at the next check.
    this.#checkedGrowth = -1;
    return false;
  }

  heapExhausted(): void {
    if (this.memoryLimit > 0) this.memoryExceeded = true;
  }

  /** Runs guest-entering `fn` with this runtime's heap-growth guard in place. */
  enter<T>(fn: () => T): T {
    const generation = this.generation;
    const previous = generation.running;
    generation.running = this;
    this.#enterHeap = generation.wasmBytes;
    const watch = generation.watch;
    const watched = watch ? watch[0]! : 0;
    if (watch) watch[0] = this.deadline;
    try {
      return fn();
    } finally {
      this.ownGrowth += generation.wasmBytes - this.#enterHeap;
      generation.running = previous;
      if (watch) watch[0] = watched;
    }
  }

  /** True if this runtime made the WebAssembly heap grow since the last check (a cheap sign of a big allocation). */
  get heapGrew(): boolean {
    const current = this.generation.running === this ? this.generation.wasmBytes - this.#enterHeap : 0;
    return this.ownGrowth + current > this.#checkedGrowth;
  }

  /**
   * Measures the runtime and records whether it is over budget. QuickJS's own accounting
   * cannot see block sizes here, so after each measurement its limit is narrowed to what
   * remains: a single allocation larger than the rest of the budget then fails at once.
   */
  checkMemory(): boolean {
    const started = performance.now();
    this.#checkedGrowth =
      this.ownGrowth + (this.generation.running === this ? this.generation.wasmBytes - this.#enterHeap : 0);
    let used: number;
    try {
      used = this.measure();
    } catch {
      used = Number.POSITIVE_INFINITY;
    }
    this.#lastCheck = performance.now();
    this.#lastCost = this.#lastCheck - started;
    this.lastUsage = Number.isFinite(used) ? used : this.memoryLimit;
    this.runUsage = this.lastUsage;
    if (used > this.memoryLimit) {
      this.memoryExceeded = true;
      return true;
    }
    this.runtime.setMemoryLimit(this.generation.probe.mallocSize(this.runtime) + (this.memoryLimit - used));
    return false;
  }

  /** Bytes in use by this runtime, as JS_ComputeMemoryUsage counts them (objects, strings, buffers…). */
  measure(): number {
    const system = (this.runtime as unknown as { getSystemContext(): QuickJSContext }).getSystemContext();
    const usage = this.runtime.computeMemoryUsage();
    try {
      const used = system.getProp(usage, "memory_used_size");
      try {
        return system.getNumber(used);
      } finally {
        used.dispose();
      }
    } finally {
      usage.dispose();
    }
  }

  /**
   * What this runtime holds, for graveyard accounting: measured when it is healthy, otherwise
   * (after a memory or stack limit, where touching it is risky) the most it may have used.
   */
  estimateBytes(healthy: boolean): number {
    if (healthy) {
      try {
        return this.measure();
      } catch {
        // fall through to the estimate
      }
    }
    return Math.max(this.lastUsage, this.ownGrowth, this.generation.preparedUsage, this.memoryLimit);
  }

  /** QuickJS's allocation counter (8 bytes per live block), for a rough reuse check. */
  mallocSize(): number {
    return this.generation.probe.mallocSize(this.runtime);
  }

  /** Boots the shared prelude realm if this runtime has none yet. */
  ensureRealm(prelude: PreludeBundle, dispatch: Dispatch): PreludeRealm {
    this.realm ??= new PreludeRealm(this, prelude, dispatch);
    return this.realm;
  }

  /** Drops the realm's handles, leaving its context to the runtime's disposal (after a limit hit). */
  releaseHandles(): void {
    this.realm?.releaseHandles();
  }

  /** Frees the realm (its handles and context) so the runtime can be freed cleanly. */
  disposeRealm(): void {
    this.realm?.dispose();
    this.realm = null;
  }
}

export class GuestContext {
  readonly vm: QuickJSContext;
  readonly realm: PreludeRealm;
  /** The realm's record of this context (its global and intrinsics). */
  readonly #record: QuickJSHandle;
  /** Whatever the current execution attaches (its op handlers); null between executions. */
  current: unknown = null;
  /** isolation = "script": the evaluated module namespace and its version. */
  ns: QuickJSHandle | null = null;
  versionId: string | null = null;
  /** Measured bytes of a reused context before its execution starts (snapshot sandboxes: after evaluation). */
  baseUsage = 0;
  uses = 0;
  #disposed = false;

  constructor(
    readonly slot: RuntimeSlot,
    prelude: PreludeBundle,
    dispatch: Dispatch,
  ) {
    const realm = slot.ensureRealm(prelude, dispatch);
    this.realm = realm;
    const vm = preparing(slot, () => slot.runtime.newContext());
    this.vm = vm;
    try {
      this.#record = preparing(slot, () => realm.adopt(vm));
    } catch (error) {
      vm.dispose();
      throw error;
    }
  }

  get alive(): boolean {
    return !this.#disposed && this.vm.alive;
  }

  /** run(meta, ns, body, binaries) → the guest promise, or what the call threw (caller disposes). */
  run(meta: string, ns: QuickJSHandle, body: Uint8Array | null, binaries: Uint8Array[] | null): CallResult {
    const vm = this.vm;
    const args: QuickJSHandle[] = [vm.newString(meta), ns];
    const owned = [args[0]!];
    try {
      if (body) {
        const handle = newBytes(vm, body);
        owned.push(handle);
        args.push(handle);
      } else args.push(vm.undefined);
      if (binaries) {
        const array = vm.newArray();
        owned.push(array);
        binaries.forEach((bytes, i) => {
          const handle = newBytes(vm, bytes);
          vm.setProp(array, i, handle);
          handle.dispose();
        });
        args.push(array);
      }
      return this.realm.run(args);
    } finally {
      for (const handle of owned) handle.dispose();
    }
  }

  /** Fires guest timer `id`. Callback errors are reported by the guest; only uncatchable ones come back. */
  fire(id: number): QuickJSHandle | undefined {
    return this.realm.fire(id);
  }

  /**
   * Starts an execution in this context: the realm binds its code to this context, sets the
   * token its host calls carry, and defines the globals the script names ("Name,…" or "*").
   */
  begin(token: number, globals: string): void {
    this.slot.current = this;
    this.realm.begin(this.#record, token, globals);
  }

  /** Ends the execution: the realm forgets it (and its per-execution state). */
  end(): void {
    if (this.slot.current !== this) return;
    this.slot.current = null;
    this.realm.end();
  }

  /** Drops the handles this object holds, leaving the context itself to its runtime's disposal. */
  releaseHandles(): void {
    this.#disposed = true;
    if (this.slot.current === this) this.slot.current = null;
    for (const handle of [this.#record, this.ns]) if (handle?.alive) handle.dispose();
    this.ns = null;
  }

  dispose(): void {
    this.releaseHandles();
    if (this.vm.alive) this.vm.dispose();
  }
}
