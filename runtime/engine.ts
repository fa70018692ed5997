/**
 * The QuickJS WebAssembly module and its runtimes. One module ("generation")
 * serves the process; each execution leases a runtime (the unit of memory
 * limit and interrupt handler) and idle runtimes are reused with a fresh
 * context. QuickJS can abort the whole module when a runtime is freed after
 * OOM or certain GC states (quickjs-emscripten #257/#269), so runtimes that
 * hit a limit are never freed while other executions run on the module: they
 * wait in a graveyard, freed only when the module is idle, and the module is
 * replaced when it aborted or too much memory sits in the graveyard.
 *
 * Each module gets its own WebAssembly.Memory with a hard maximum: QuickJS's
 * per-runtime limit cannot see block sizes in this build (see MallocProbe),
 * so the cap is what bounds the process if a script outruns the periodic
 * per-execution checks.
 */
import type { QuickJSContext, QuickJSRuntime, QuickJSWASMModule } from "quickjs-emscripten-core";
import type { SandboxLogger } from "./execution-types.js";
import { patchHeapViews } from "./heap-views.js";
import { instantiateQuickJS, type QuickJSInstance } from "./quickjs-build.js";

/** Retired-but-unfreed memory after which a busy generation is replaced (at most half the heap cap). */
const GRAVEYARD_LIMIT_BYTES = 256 * 1024 * 1024;
/** A generation whose heap passed this share of the cap is replaced as soon as it holds any buried runtime. */
const HEAP_HIGH_WATER = 0.75;
const PAGE = 65_536;
const WasmRuntimeError = (globalThis as { WebAssembly?: { RuntimeError?: new () => Error } }).WebAssembly
  ?.RuntimeError;

/** A WASM trap or abort: the module's memory may be inconsistent, so the module must not be used again. */
export function isWasmFailure(error: unknown): boolean {
  if (WasmRuntimeError && error instanceof WasmRuntimeError) return true;
  const message = error instanceof Error ? error.message : String(error);
  return /^Aborted\(|memory access out of bounds|unreachable|call stack/i.test(message);
}

/**
 * Reads JSRuntime.malloc_state straight from WASM memory; the layout is verified against a
 * probe runtime at load time. In this build QuickJS cannot see block sizes
 * (malloc_usable_size is 0 under Emscripten, quickjs-emscripten #271), so malloc_size grows
 * by 8 bytes per live allocation: it counts allocations, and QuickJS's own limit check only
 * compares single requests against (limit − malloc_size).
 */
class MallocProbe {
  #ok = false;

  constructor(private readonly module: QuickJSWASMModule) {
    const probe = module.newRuntime();
    try {
      probe.setMemoryLimit(123_456_789);
      const view = this.#words(probe);
      this.#ok = view.limit === 123_456_789 && view.size > 0 && view.size < 16 * 1024 * 1024;
    } finally {
      probe.dispose();
    }
  }

  #words(runtime: QuickJSRuntime): { size: number; limit: number } {
    const pointer = (runtime as unknown as { rt: { value: number } }).rt.value;
    const heap = new Uint32Array(this.module.getWasmMemory().buffer);
    // struct JSRuntime { JSMallocFunctions mf (4 pointers); JSMallocState { count, size, limit, opaque } … }
    return { size: heap[(pointer + 20) >> 2]!, limit: heap[(pointer + 24) >> 2]! };
  }

  /** QuickJS's malloc_size for `runtime` (0 if the layout could not be verified). */
  mallocSize(runtime: QuickJSRuntime): number {
    return this.#ok ? this.#words(runtime).size : 0;
  }

  /** QuickJS's malloc_limit for `runtime` (undefined if the layout could not be verified). */
  mallocLimit(runtime: QuickJSRuntime): number | undefined {
    return this.#ok ? this.#words(runtime).limit : undefined;
  }
}

/**
 * quickjs-emscripten writes into what the module's malloc returns without checking for NULL;
 * once the heap is full that would corrupt WASM memory. Failing loudly instead turns it into
 * an ordinary host error.
 */
function guardHostMalloc(module: QuickJSWASMModule): void {
  const emscripten = (module as unknown as { module: { _malloc(size: number): number } }).module;
  const malloc = emscripten._malloc.bind(emscripten);
  emscripten._malloc = (size: number) => {
    const pointer = malloc(size);
    if (pointer === 0 && size > 0) throw new RangeError("sandbox: the WebAssembly heap is exhausted");
    return pointer;
  };
}

/** Something running on a generation that must fail cleanly if the module aborts. */
export interface Crashable {
  crash(): void;
}

/** The runtime whose guest code is on the stack; asked before the WebAssembly heap grows. */
export interface HeapGrowthGuard {
  /** False to refuse growing the heap to `newBytes` (the allocation then fails: QuickJS throws out of memory). */
  allowHeap(newBytes: number): boolean;
  /** The module's heap is at its hard cap: the running script is the one that hit it. */
  heapExhausted(): void;
}

export class Generation {
  dead = false;
  /** Executions currently running on this module. */
  readonly executions = new Set<Crashable>();
  /** Leased runtimes (executions running on this module). */
  active = 0;
  /** Measured memory of a freshly prepared context (same prelude, so the same for all). */
  preparedUsage = 0;
  /** Set while guest code of a runtime with a memory budget runs (one at a time: one thread). */
  running: HeapGrowthGuard | null = null;
  /**
   * Where the deadline of the guest code running right now is published (cell 0, epoch ms; 0 when
   * none runs), for a watchdog outside this thread (threads/threaded-host.ts). Null: not watched.
   */
  watch: Float64Array | null = null;
  /** The wasm instance behind `module` (its memory and raw exports, for snapshots). */
  instance: QuickJSInstance | null = null;
  readonly #graveyard: { runtime: QuickJSRuntime; contexts: QuickJSContext[]; bytes: number }[] = [];
  #graveyardBytes = 0;
  readonly probe: MallocProbe;

  constructor(
    readonly id: number,
    readonly module: QuickJSWASMModule,
    private readonly logger: SandboxLogger | undefined,
    private readonly maxHeapBytes: number,
    private readonly onDead: () => void = () => {},
  ) {
    this.probe = new MallocProbe(module);
  }

  /** Too much unfreeable memory, the heap near its cap, or aborted: new work should go to a fresh module. */
  get retiring(): boolean {
    if (this.dead) return true;
    if (this.#graveyard.length === 0) return false;
    return (
      this.#graveyardBytes > Math.min(GRAVEYARD_LIMIT_BYTES, this.maxHeapBytes / 2) ||
      this.wasmBytes > this.maxHeapBytes * HEAP_HIGH_WATER
    );
  }

  get wasmBytes(): number {
    return this.module.getWasmMemory().buffer.byteLength;
  }

  markDead(error: unknown): void {
    if (this.dead) return;
    this.dead = true;
    this.onDead();
    this.logger?.error(
      { generation: this.id, err: String(error) },
      "sandbox: QuickJS module aborted; loading a fresh one",
    );
    for (const execution of [...this.executions]) execution.crash();
    this.executions.clear();
  }

  /**
   * A runtime that must not be reused; freed later, when nothing runs on this module, after
   * `contexts` (left in it after a limit hit). JS_FreeRuntime asserts that no object is left,
   * and a context is one: freeing a runtime with a live context always aborts the module.
   */
  bury(runtime: QuickJSRuntime, bytes: number, contexts: QuickJSContext[] = []): void {
    if (this.dead) return;
    this.#graveyard.push({ runtime, contexts, bytes });
    this.#graveyardBytes += bytes;
  }

  /** Frees buried runtimes if the module is idle; an abort here hurts no execution. */
  collect(): void {
    if (this.active > 0 || this.dead) return;
    const kept: { runtime: QuickJSRuntime; contexts: QuickJSContext[]; bytes: number }[] = [];
    while (this.#graveyard.length > 0) {
      const entry = this.#graveyard.pop()!;
      // A runtime abandoned after a limit hit is never freed: freeing its contexts aborted the module
      // now and then under load (JS_FreeContext on a context freed twice, memory access out of
      // bounds), and a job still queued holds its context too. It stays buried, its bytes count
      // toward retiring the module, and it goes with the whole module then.
      if (entry.contexts.length > 0 || entry.runtime.hasPendingJob()) {
        kept.push(entry);
        continue;
      }
      try {
        for (const context of entry.contexts) if (context.alive) context.dispose();
        entry.runtime.dispose();
      } catch (error) {
        this.markDead(error);
        return;
      }
      this.#graveyardBytes -= entry.bytes;
    }
    this.#graveyard.push(...kept);
    if (kept.length === 0) this.#graveyardBytes = 0;
  }
}

/** Loads generations on demand; the current one serves new work until it is retiring. */
export class Engine {
  #current: Generation | undefined;
  #loading: Promise<Generation> | undefined;
  #nextId = 1;
  #disposed = false;
  /** Modules that aborted (each is replaced by a fresh one when work comes). */
  reloads = 0;

  constructor(
    private readonly logger: SandboxLogger | undefined,
    /** Hard cap of each module's WebAssembly memory. */
    readonly maxHeapBytes: number,
    /** See Generation.watch. */
    private readonly watch: Float64Array | null = null,
  ) {}

  /** The generation new work should use (loads a module the first time and after an abort). */
  async generation(): Promise<Generation> {
    if (this.#disposed) throw new Error("sandbox host is disposed");
    const current = this.#current;
    if (current && !current.retiring) return current;
    this.#loading ??= (async () => {
      try {
        const pages = Math.max(256, Math.min(32_768, Math.floor(this.maxHeapBytes / PAGE)));
        const instance = await instantiateQuickJS(256, pages);
        const { module, memory: wasmMemory } = instance;
        // QuickJS cannot see allocation sizes here, so heap growth is where a running script's
        // budget is enforced at allocation time: Emscripten calls grow() when malloc runs dry.
        let generation: Generation | undefined;
        const grow = wasmMemory.grow.bind(wasmMemory);
        wasmMemory.grow = (delta: number) => {
          const guard = generation?.running;
          if (guard && !guard.allowHeap(wasmMemory.buffer.byteLength + delta * PAGE))
            throw new RangeError("sandbox: heap growth refused (memory limit)");
          try {
            return grow(delta);
          } catch (error) {
            guard?.heapExhausted();
            throw error;
          }
        };
        guardHostMalloc(module);
        const first = module.newRuntime();
        try {
          patchHeapViews(first);
        } finally {
          first.dispose();
        }
        generation = new Generation(this.#nextId++, module, this.logger, pages * PAGE, () => {
          this.reloads++;
        });
        generation.watch = this.watch;
        generation.instance = instance;
        this.#current = generation;
        return generation;
      } finally {
        this.#loading = undefined;
      }
    })();
    return this.#loading;
  }

  /** The current generation if loaded and healthy (synchronous fast path). */
  get ready(): Generation | undefined {
    const current = this.#current;
    return current && !current.retiring ? current : undefined;
  }

  dispose(): void {
    this.#disposed = true;
    this.#current = undefined;
  }
}
