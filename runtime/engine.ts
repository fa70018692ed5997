/**
 * The QuickJS WebAssembly module and its runtimes. One module ("generation")
 * serves the process; each execution leases a runtime (the unit of memory
 * limit and interrupt handler) and idle runtimes are reused with a fresh
 * context. QuickJS can abort the whole module when a runtime is freed after
 * OOM or certain GC states (quickjs-emscripten #257/#269), so runtimes that
 * hit a limit are never freed while other executions run on the module: they
 * wait in a graveyard, freed only when the module is idle, and the module is
 * replaced when it aborted or too much memory sits in the graveyard.
 */
import {
  newQuickJSWASMModuleFromVariant,
  type QuickJSRuntime,
  type QuickJSWASMModule,
} from "quickjs-emscripten-core";
import type { SandboxLogger } from "./execution-types.js";

/** Retired-but-unfreed memory after which a busy generation is replaced. */
const GRAVEYARD_LIMIT_BYTES = 256 * 1024 * 1024;

/** A WASM trap or abort: the module's memory may be inconsistent, so the module must not be used again. */
const WasmRuntimeError = (globalThis as { WebAssembly?: { RuntimeError?: new () => Error } }).WebAssembly
  ?.RuntimeError;

export function isWasmFailure(error: unknown): boolean {
  if (WasmRuntimeError && error instanceof WasmRuntimeError) return true;
  const message = error instanceof Error ? error.message : String(error);
  return /^Aborted\(|memory access out of bounds|unreachable|call stack/i.test(message);
}

/** Reads JSRuntime.malloc_state straight from WASM memory; verified against a probe at load time. */
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
    // struct JSRuntime { JSMallocFunctions mf (4 pointers); JSMallocState { count, size, limit, opaque } ... }
    return { size: heap[(pointer + 20) >> 2]!, limit: heap[(pointer + 24) >> 2]! };
  }

  /** Bytes currently allocated by the runtime, or undefined if the layout could not be verified. */
  mallocSize(runtime: QuickJSRuntime): number | undefined {
    return this.#ok ? this.#words(runtime).size : undefined;
  }
}

/** Something running on a generation that must fail cleanly if the module aborts. */
export interface Crashable {
  crash(): void;
}

export class Generation {
  dead = false;
  /** Executions currently running on this module. */
  readonly executions = new Set<Crashable>();
  /** Leased runtimes (executions and preparations running on this module). */
  active = 0;
  readonly #graveyard: QuickJSRuntime[] = [];
  #graveyardBytes = 0;
  readonly probe: MallocProbe;

  constructor(
    readonly id: number,
    readonly module: QuickJSWASMModule,
    private readonly logger: SandboxLogger | undefined,
  ) {
    this.probe = new MallocProbe(module);
  }

  /** Too much unfreeable memory, or aborted: new work should go to a fresh module. */
  get retiring(): boolean {
    return this.dead || this.#graveyardBytes > GRAVEYARD_LIMIT_BYTES;
  }

  get wasmBytes(): number {
    return this.module.getWasmMemory().buffer.byteLength;
  }

  markDead(error: unknown): void {
    if (this.dead) return;
    this.dead = true;
    this.logger?.error(
      { generation: this.id, err: String(error) },
      "sandbox: QuickJS module aborted; loading a fresh one",
    );
    for (const execution of [...this.executions]) execution.crash();
    this.executions.clear();
  }

  /** A runtime that must not be reused; freed later, when nothing runs on this module. */
  bury(runtime: QuickJSRuntime, bytes: number): void {
    if (this.dead) return;
    this.#graveyard.push(runtime);
    this.#graveyardBytes += bytes;
  }

  /** Frees buried runtimes if the module is idle; an abort here hurts no execution. */
  collect(): void {
    if (this.active > 0 || this.dead) return;
    while (this.#graveyard.length > 0) {
      const runtime = this.#graveyard.pop()!;
      try {
        runtime.dispose();
      } catch (error) {
        this.markDead(error);
        return;
      }
    }
    this.#graveyardBytes = 0;
  }
}

/** Loads generations on demand; the current one serves new work until it is retiring. */
export class Engine {
  #current: Generation | undefined;
  #loading: Promise<Generation> | undefined;
  #nextId = 1;
  #disposed = false;

  constructor(private readonly logger: SandboxLogger | undefined) {}

  /** The generation new work should use (loads a module the first time and after an abort). */
  async generation(): Promise<Generation> {
    if (this.#disposed) throw new Error("sandbox host is disposed");
    const current = this.#current;
    if (current && !current.retiring) return current;
    this.#loading ??= (async () => {
      try {
        const module = await newQuickJSWASMModuleFromVariant(import("@jitl/quickjs-wasmfile-release-sync"));
        const generation = new Generation(this.#nextId++, module, this.logger);
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
