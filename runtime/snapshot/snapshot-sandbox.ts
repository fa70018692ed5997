/**
 * A snapshot sandbox: one QuickJS instance (its own wasm memory) holding one
 * script version, evaluated once, then snapshotted (memory-snapshot.ts). Each
 * execution runs on the evaluated module and the sandbox is restored after
 * it, so every execution starts from the state right after evaluation: no
 * compile cost per request, and nothing carries over between requests.
 *
 * Preparation runs the module's top-level code with no execution attached.
 * Top-level code that needs the host (console, timers, fetch, bindings) or
 * does not settle on its own cannot be snapshotted: such a version runs the
 * classic way (a fresh context per execution), and the reason is reported.
 */
import type { QuickJSHandle } from "quickjs-emscripten-core";
import { Engine, type Generation } from "../engine.js";
import type { SandboxLogger, ScriptSource } from "../execution-types.js";
import { GuestContext, guestStackBytes, RuntimeSlot } from "../guest-context.js";
import type { Bridge } from "../host-bridge.js";
import { type ExecutionOps, GuestFacingError } from "../host-ops.js";
import { ALL_GLOBALS } from "../prelude-globals.js";
import type { Dispatch } from "../prelude-realm.js";
import type { PreludeBundle } from "../prelude-source.js";
import { MemorySnapshot } from "./memory-snapshot.js";

/** Why a version cannot be snapshotted (it then runs the classic way). */
export class NotSnapshottable extends Error {}

/**
 * Stands in for an execution while the module is prepared: pure host work (URL parsing, digests,
 * random bytes) is served; anything bound to an execution refuses and marks the version.
 */
class PreparationOps implements ExecutionOps {
  wanted: string | null = null;
  readonly bridge: Bridge;

  constructor() {
    const refuse = (what: string) => (): never => this.#refuse(what);
    this.bridge = {
      bindingFactory: refuse("a binding"),
      bindingCall: refuse("a binding"),
      fetch: refuse("fetch()"),
      fetchAbort: () => {},
      close: () => {},
    };
  }

  #refuse(what: string): never {
    this.wanted ??= what;
    throw new GuestFacingError(`${what} cannot be used while the module is being prepared`);
  }

  log(): void {
    this.#refuse("console");
  }
  respond(): void {
    this.#refuse("a response");
  }
  returnValue(): void {
    this.#refuse("a result");
  }
  fail(): void {
    this.#refuse("an entry point");
  }
  invalid(): void {
    this.#refuse("an entry point");
  }
  waitAdd(): void {
    this.#refuse("ctx.waitUntil()");
  }
  waitDone(): void {
    this.#refuse("ctx.waitUntil()");
  }
  timerSet(): void {
    this.#refuse("a timer");
  }
  timerClear(): void {}
  now(): number {
    return 0;
  }
}

export interface SandboxOptions {
  script: ScriptSource;
  prelude: PreludeBundle;
  dispatch: Dispatch;
  logger: SandboxLogger | undefined;
  /** Hard cap of this sandbox's wasm memory. */
  maxHeapBytes: number;
  watch: Float64Array | null;
  /** The limits top-level code runs under (those of the execution that asked for the sandbox). */
  wallTimeMs: number;
  memoryBytes: number;
  stackBytes: number;
}

export class SnapshotSandbox {
  readonly versionId: string;
  readonly scriptId: string | undefined;
  /** Leased to an execution. */
  busy = false;
  /** Last time an execution released it (ms, performance.now()). */
  lastUsed = performance.now();
  #dropped = false;

  private constructor(
    readonly engine: Engine,
    readonly context: GuestContext,
    readonly snapshot: MemorySnapshot,
    script: ScriptSource,
  ) {
    this.versionId = script.versionId;
    this.scriptId = script.scriptId;
  }

  /** Boots an instance, evaluates the script, warms it up and takes the snapshot. */
  static async create(opts: SandboxOptions): Promise<SnapshotSandbox> {
    await MemorySnapshot.locate();
    const engine = new Engine(opts.logger, opts.maxHeapBytes, opts.watch);
    const generation = await engine.generation();
    const instance = generation.instance;
    if (!instance?.build.layout)
      throw new NotSnapshottable(instance?.build.layoutError ?? "this QuickJS build cannot be snapshotted");
    const slot = new RuntimeSlot(generation);
    const context = new GuestContext(slot, opts.prelude, opts.dispatch);
    const ops = new PreparationOps();
    context.current = ops;
    slot.modules = opts.script.modules;
    let snapshot: MemorySnapshot;
    try {
      // Top-level code runs under the limits of the execution that asked: a module that cannot
      // be evaluated within them fails the same way on the classic path.
      slot.deadline = Date.now() + opts.wallTimeMs;
      slot.limitMemory(slot.measure() + opts.memoryBytes, opts.memoryBytes);
      slot.runtime.setMaxStackSize(guestStackBytes(opts.stackBytes));
      context.begin(0, ALL_GLOBALS);
      const ns = evaluate(context, opts.script.source, ops);
      context.ns = ns;
      context.versionId = opts.script.versionId;
      warmUp(context, ns);
      if (ops.wanted) throw new NotSnapshottable(`its top-level code uses ${ops.wanted}`);
      drain(slot);
      if (slot.interrupted) throw new NotSnapshottable("its top-level code runs past the time limit");
      if (slot.overBudget()) throw new NotSnapshottable("its top-level code runs out of memory");
      context.end();
      slot.deadline = 0;
      slot.unlimitMemory();
      slot.runtime.setMemoryLimit(-1);
      context.baseUsage = slot.measure();
      snapshot = new MemorySnapshot(instance, slot.runtime, [context.realm.vm, context.vm]);
      snapshot.take();
      // The first execution gets a fresh Math.random seed too (QuickJS seeds from the clock).
      snapshot.reseed();
    } catch (error) {
      engine.dispose();
      if (error instanceof NotSnapshottable) throw error;
      if (slot.interrupted) throw new NotSnapshottable("its top-level code runs past the time limit");
      if (slot.memoryExceeded) throw new NotSnapshottable("its top-level code runs out of memory");
      // Guest code ran: whatever went wrong is this version's, not the process's.
      throw new NotSnapshottable(
        `preparing it failed (${error instanceof Error ? error.message : String(error)})`,
      );
    } finally {
      context.current = null;
      slot.modules = undefined;
      slot.deadline = 0;
      slot.unlimitMemory();
    }
    return new SnapshotSandbox(engine, context, snapshot, opts.script);
  }

  get generation(): Generation {
    return this.context.slot.generation;
  }

  /** Memory this sandbox keeps resident: the heap it touched plus the snapshot's copy. */
  get bytes(): number {
    return this.snapshot.residentBytes + this.snapshot.bytes;
  }

  /** Heap an execution made the sandbox take beyond the snapshot (memory cannot shrink). */
  get growth(): number {
    return this.snapshot.currentBreak - this.snapshot.snapshotBreak;
  }

  get alive(): boolean {
    return !this.#dropped && !this.generation.dead;
  }

  /** Rolls back to the state right after the module was evaluated. */
  restore(): void {
    const slot = this.context.slot;
    slot.current = null;
    slot.interrupted = false;
    slot.memoryExceeded = false;
    slot.deadline = 0;
    this.snapshot.restore();
  }

  /** Forgets the instance: its memory goes with the garbage collector (nothing is freed inside it). */
  drop(): void {
    this.#dropped = true;
    this.engine.dispose();
  }
}

/** Evaluates the module; its namespace, or NotSnapshottable if it throws or waits on something. */
function evaluate(context: GuestContext, source: string, ops: PreparationOps): QuickJSHandle {
  const vm = context.vm;
  const slot = context.slot;
  const result = slot.enter(() => vm.evalCode(source, "script.js", { type: "module", strict: true }));
  if (result.error) {
    result.error.dispose();
    throw new NotSnapshottable(
      ops.wanted ? `its top-level code uses ${ops.wanted}` : "its top-level code throws",
    );
  }
  const value = result.value;
  const settled = vm.getPromiseState(value);
  if (settled.type === "fulfilled" && settled.notAPromise) return value;
  drain(slot);
  const state = vm.getPromiseState(value);
  value.dispose();
  if (state.type === "fulfilled") return state.value;
  if (state.type === "rejected") state.error.dispose();
  throw new NotSnapshottable(
    ops.wanted
      ? `its top-level code uses ${ops.wanted}`
      : state.type === "rejected"
        ? "its top-level code throws"
        : "its top-level await does not settle",
  );
}

/** Runs pending jobs until none is left (preparation limits apply). */
function drain(slot: RuntimeSlot): void {
  for (let round = 0; slot.runtime.hasPendingJob(); round++) {
    if (round > 1000) throw new NotSnapshottable("its top-level code keeps queueing jobs");
    const result = slot.enter(() => slot.runtime.executePendingJobs());
    if (result.error) {
      result.error.dispose();
      throw new NotSnapshottable("its top-level code throws");
    }
  }
}

/**
 * Builds the lazy state a router makes on its first match, without running any route of the
 * script: when the default export has `router.match(method, path)` (a Hono app), it is called
 * once for GET /. Plain fetch handlers have nothing to warm up. A warm-up that throws is ignored.
 */
function warmUp(context: GuestContext, ns: QuickJSHandle): void {
  const vm = context.vm;
  const owned: QuickJSHandle[] = [];
  const get = (from: QuickJSHandle, key: string): QuickJSHandle | null => {
    if (vm.typeof(from) !== "object" && vm.typeof(from) !== "function") return null;
    const result = context.slot.enter(() => vm.getProp(from, key));
    owned.push(result);
    return result;
  };
  try {
    const app = get(ns, "default");
    const router = app && get(app, "router");
    const match = router && get(router, "match");
    if (!router || !match || vm.typeof(match) !== "function") return;
    const method = vm.newString("GET");
    const path = vm.newString("/");
    owned.push(method, path);
    const result = context.slot.enter(() => vm.callFunction(match, router, method, path));
    if (result.error) result.error.dispose();
    else result.value.dispose();
  } catch (error) {
    if (error instanceof Error && /QuickJS|memory access|unreachable/.test(error.message)) throw error;
  } finally {
    for (const handle of owned) if (handle.alive) handle.dispose();
  }
}
