/**
 * The classic pool: idle runtimes of one shared QuickJS module (each with its
 * shared prelude realm) holding a prepared context, made off the request path
 * right after the previous execution finished, for fresh executions; and
 * evaluated contexts per script version for `isolation = "script"`. Snapshot
 * sandboxes (snapshot/) serve most executions; this pool serves versions that
 * cannot be snapshotted.
 */
import type { QuickJSContext } from "quickjs-emscripten-core";
import { Engine, type Generation, isWasmFailure } from "./engine.js";
import type { ExecutionHost, Release } from "./execution-host.js";
import type { ExecutionJob, SandboxLogger } from "./execution-types.js";
import { GuestContext, RuntimeSlot } from "./guest-context.js";
import { hostCalls } from "./host-ops.js";
import type { Dispatch } from "./prelude-realm.js";
import { loadPrelude, type PreludeBundle } from "./prelude-source.js";
import type { SandboxStats } from "./sandbox-host.js";

/** A runtime serves at most this many executions before it is replaced. */
const MAX_SLOT_USES = 5_000;
/**
 * A runtime with more live QuickJS blocks than this after its context is gone (garbage not yet
 * collected, or leaks) is replaced rather than reused. QuickJS counts 8 per block (MallocProbe).
 */
const SLOT_RECYCLE_COUNT_BYTES = 2 * 1024 * 1024;
/** After an execution that grew the heap by this much, its runtime is measured before reuse. */
const REUSE_GROWTH_BYTES = 4 * 1024 * 1024;
/** …and replaced if it still holds more than this (uncollected garbage). */
const SLOT_RECYCLE_BYTES = 8 * 1024 * 1024;
const DEFAULT_RECYCLE_AFTER = 1_000;
/** An idle runtime is measured every this many executions (see #pinned)… */
const AUDIT_EVERY = 64;
/** …and replaced if it holds this much more than a freshly prepared one. */
const AUDIT_SLACK_BYTES = 4 * 1024 * 1024;

export class ContextPool implements ExecutionHost {
  readonly engine: Engine;
  readonly #idle: RuntimeSlot[] = [];
  readonly #scripts = new Map<string, GuestContext[]>();
  #scriptCount = 0;
  #generation: Generation | undefined;
  #prelude: PreludeBundle | undefined;
  #preparing = false;
  readonly #dispatch: Dispatch;

  constructor(
    private readonly maxIdle: number,
    readonly logger: SandboxLogger | undefined,
    maxHeapBytes: number,
    watch: Float64Array | null,
  ) {
    this.engine = new Engine(logger, maxHeapBytes, watch);
    this.#dispatch = hostCalls(logger);
  }

  async #ready(): Promise<[Generation, PreludeBundle]> {
    const generation = this.engine.ready;
    if (generation && this.#prelude) return [generation, this.#prelude];
    const [g, prelude] = await Promise.all([this.engine.generation(), loadPrelude()]);
    this.#prelude = prelude;
    return [g, prelude];
  }

  async acquire(job: ExecutionJob): Promise<GuestContext> {
    const [generation, prelude] = await this.#ready();
    if (generation !== this.#generation) this.#purge(generation);
    if (job.script.isolation === "script") {
      const list = this.#scripts.get(job.script.versionId);
      while (list && list.length > 0) {
        const context = list.pop()!;
        this.#scriptCount--;
        if (list.length === 0) this.#scripts.delete(job.script.versionId);
        if (context.slot.generation === generation && context.alive) {
          generation.active++;
          return context;
        }
        this.#discard(context);
      }
    }
    const slot = this.#takeSlot(generation);
    generation.active++;
    try {
      const context = slot.prepared ?? this.#prepare(slot, prelude);
      slot.prepared = null;
      return context;
    } catch (error) {
      generation.active--;
      if (isWasmFailure(error)) generation.markDead(error);
      else this.#bury(slot, false, true);
      throw error;
    }
  }

  /** Boots a context; the first one in a module is measured, as the budget base of fresh executions. */
  #prepare(slot: RuntimeSlot, prelude: PreludeBundle): GuestContext {
    const context = new GuestContext(slot, prelude, this.#dispatch);
    const generation = slot.generation;
    if (generation.preparedUsage === 0) {
      try {
        generation.preparedUsage = slot.measure();
      } catch {
        generation.preparedUsage = 1;
      }
    }
    return context;
  }

  /** A new module took over: drop every pooled runtime of the old ones, so their memory can go. */
  #purge(generation: Generation): void {
    this.#generation = generation;
    for (const slot of this.#idle.splice(0)) if (slot.generation === generation) this.#idle.push(slot);
    for (const [versionId, contexts] of this.#scripts) {
      const kept = contexts.filter((context) => context.slot.generation === generation);
      this.#scriptCount -= contexts.length - kept.length;
      if (kept.length > 0) this.#scripts.set(versionId, kept);
      else this.#scripts.delete(versionId);
    }
  }

  #takeSlot(generation: Generation): RuntimeSlot {
    while (this.#idle.length > 0) {
      const slot = this.#idle.pop()!;
      if (slot.generation === generation) return slot;
      this.#retireSlot(slot);
    }
    return new RuntimeSlot(generation);
  }

  release(context: GuestContext, job: ExecutionJob, how: Release): void {
    const slot = context.slot;
    const generation = slot.generation;
    generation.active--;
    if (how.crashed || generation.dead) return;
    if (how.abandon) {
      // Freed with its runtime once the module is idle (and if that aborts, nobody is hurt).
      try {
        context.releaseHandles();
      } catch (error) {
        if (isWasmFailure(error)) generation.markDead(error);
        return;
      }
      this.#bury(slot, false, false, context);
      generation.collect();
      return;
    }
    if (context.ns !== null) {
      const limit = job.script.recycleAfter ?? DEFAULT_RECYCLE_AFTER;
      if (how.reusable && context.uses < limit && !generation.retiring) {
        this.#keepScript(context);
        generation.collect();
        return;
      }
    }
    // A reused context that failed is dropped; its runtime is as healthy as after a fresh one.
    context.dispose();
    this.#recycleSlot(slot, how.healthy);
  }

  #keepScript(context: GuestContext): void {
    const versionId = context.versionId!;
    const list = this.#scripts.get(versionId) ?? [];
    this.#scripts.delete(versionId);
    list.push(context);
    this.#scripts.set(versionId, list);
    this.#scriptCount++;
    // Least recently used versions go first when too many contexts are kept.
    while (this.#scriptCount > Math.max(16, this.maxIdle * 4)) {
      const [oldest, contexts] = this.#scripts.entries().next().value as [string, GuestContext[]];
      const victim = contexts.shift()!;
      if (contexts.length === 0) this.#scripts.delete(oldest);
      this.#scriptCount--;
      this.#discard(victim);
    }
  }

  #discard(context: GuestContext): void {
    const generation = context.slot.generation;
    if (generation.dead) return;
    try {
      context.dispose();
      this.#recycleSlot(context.slot, true);
    } catch (error) {
      if (isWasmFailure(error)) generation.markDead(error);
    }
  }

  /** A runtime whose context is gone: back to the idle pool if healthy and small, else to the graveyard. */
  #recycleSlot(slot: RuntimeSlot, healthy: boolean): void {
    const generation = slot.generation;
    if (
      healthy &&
      !generation.retiring &&
      slot.uses < MAX_SLOT_USES &&
      slot.mallocSize() < SLOT_RECYCLE_COUNT_BYTES &&
      (slot.ownGrowth <= REUSE_GROWTH_BYTES || slot.estimateBytes(true) <= SLOT_RECYCLE_BYTES) &&
      !slot.runtime.hasPendingJob() &&
      this.#idle.length < this.maxIdle * 2
    ) {
      this.#idle.push(slot);
      this.#schedulePrepare();
    } else this.#bury(slot, healthy, true);
    generation.collect();
  }

  /**
   * Hands a runtime to its generation's graveyard, after dropping every handle into it and,
   * unless it hit a limit, its contexts. After a limit hit (`dispose` false) the contexts
   * (`abandoned`, the prepared one, the realm's) are freed only with the runtime, when the
   * module is idle: if QuickJS aborts there, no execution is hurt.
   */
  #bury(slot: RuntimeSlot, healthy: boolean, dispose: boolean, abandoned?: GuestContext): void {
    const generation = slot.generation;
    const bytes = slot.estimateBytes(healthy);
    const contexts: QuickJSContext[] = [];
    try {
      if (dispose) {
        slot.prepared?.dispose();
        slot.disposeRealm();
      } else {
        slot.prepared?.releaseHandles();
        slot.releaseHandles();
        for (const context of [abandoned, slot.prepared, slot.realm])
          if (context?.vm.alive) contexts.push(context.vm);
      }
      slot.prepared = null;
    } catch (error) {
      if (isWasmFailure(error)) generation.markDead(error);
      return;
    }
    generation.bury(slot.runtime, bytes, contexts);
  }

  #retireSlot(slot: RuntimeSlot): void {
    const generation = slot.generation;
    if (generation.dead) return;
    try {
      this.#bury(slot, true, true);
      generation.collect();
    } catch (error) {
      if (isWasmFailure(error)) generation.markDead(error);
    }
  }

  /** Boots contexts into idle runtimes after the current tick, so results go out first. */
  #schedulePrepare(): void {
    if (this.#preparing) return;
    this.#preparing = true;
    setImmediate(() => {
      this.#preparing = false;
      this.prepareIdle();
    });
  }

  prepareIdle(): void {
    const prelude = this.#prelude;
    if (!prelude) return;
    for (const slot of [...this.#idle]) {
      if (slot.prepared || slot.generation.retiring) continue;
      if (this.#pinned(slot)) continue;
      try {
        slot.prepared = this.#prepare(slot, prelude);
      } catch (error) {
        if (isWasmFailure(error)) slot.generation.markDead(error);
        else this.logger?.error({ err: String(error) }, "sandbox: preparing a context failed");
        return;
      }
    }
  }

  /**
   * Every AUDIT_EVERY executions an idle runtime is measured before its next context: memory a
   * script pinned on a shared prelude object (a private field stamped through a constructor's
   * return value survives freezing) would count against later scripts' budgets, so a runtime
   * holding more than AUDIT_SLACK_BYTES beyond a prepared one is replaced.
   */
  #pinned(slot: RuntimeSlot): boolean {
    if (slot.uses < slot.auditedAt + AUDIT_EVERY) return false;
    slot.auditedAt = slot.uses;
    const generation = slot.generation;
    let used: number;
    try {
      used = slot.measure();
    } catch (error) {
      if (isWasmFailure(error)) generation.markDead(error);
      return true;
    }
    if (used <= generation.preparedUsage + AUDIT_SLACK_BYTES) return false;
    this.#idle.splice(this.#idle.indexOf(slot), 1);
    this.#bury(slot, true, true);
    generation.collect();
    if (!generation.retiring) {
      // Its replacement boots now, off the request path.
      this.#idle.push(new RuntimeSlot(generation));
      this.#schedulePrepare();
    }
    return true;
  }

  async warm(count: number): Promise<void> {
    const [generation] = await this.#ready();
    while (this.#idle.length < Math.min(count, this.maxIdle)) this.#idle.push(new RuntimeSlot(generation));
    this.prepareIdle();
  }

  stats(): SandboxStats {
    const generation = this.engine.ready;
    return {
      wasmBytes: generation?.wasmBytes ?? 0,
      generation: generation?.id ?? 0,
      moduleReloads: this.engine.reloads,
      idleRuntimes: this.#idle.length,
      preparedContexts: this.#idle.filter((slot) => slot.prepared).length,
      scriptContexts: this.#scriptCount,
    };
  }

  dispose(): void {
    this.engine.dispose();
    this.#idle.length = 0;
    this.#scripts.clear();
    this.#scriptCount = 0;
  }
}
