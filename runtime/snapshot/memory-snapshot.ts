/**
 * A copy of one QuickJS instance's linear memory, taken at a quiet point
 * (nothing on the C stack, no pending job) and written back before every
 * execution, so each execution starts from exactly that state: globals,
 * prototypes, module variables and caches of an earlier execution are gone.
 *
 * What memory alone does not cover, and how it is handled (each has a test in
 * memory-snapshot.test.ts):
 * - `__stack_pointer` is a wasm global: a trap or a host exception thrown
 *   through wasm frames leaves it low; it is reset.
 * - memory cannot shrink: bytes sbrk handed out after the snapshot are zeroed,
 *   so nothing of an execution survives in memory the restored allocator forgets.
 * - quickjs-emscripten keeps host functions in a JS-side registry (id → function);
 *   an execution that adds or frees one changes it, so it is put back.
 * - Math.random's state lives in each context: every restore writes a fresh seed,
 *   or every execution would draw the same numbers.
 * - quickjs-emscripten's lazy JS-side caches (`_global`, `_Symbol`, …) hold heap
 *   pointers: any cache an execution filled is emptied again.
 * Handles an execution made are dropped, never disposed after a restore: their
 * memory went back with it.
 */
import { randomFillSync } from "node:crypto";
import type { QuickJSContext, QuickJSRuntime } from "quickjs-emscripten-core";
import { instantiateQuickJS, type QuickJSInstance } from "../quickjs-build.js";
import { pageStore, type StoredCopy } from "./page-store.js";
import { locateBreak, stackFunctions, type WasmLayout } from "./wasm-layout.js";

/** quickjs-emscripten's lazily filled handle caches on a context. */
const LAZY_CACHES = [
  "_global",
  "_undefined",
  "_null",
  "_true",
  "_false",
  "_BigInt",
  "_Symbol",
  "_SymbolIterator",
  "_SymbolAsyncIterator",
] as const;

interface HostRefMap {
  nextId: number;
  freelist: number[];
  groups: Map<number, Map<number, unknown>>;
  put(value: unknown): number;
  delete(id: number): void;
}

/** Where the build keeps things, found once per process (the static layout is the same in every instance). */
interface Locations {
  breakAddress: number;
  /** Offset of JSContext.random_state (Math.random's xorshift64* state). */
  randomOffset: number;
}
let locations: Locations | undefined;

export interface RestoreStats {
  restores: number;
  /** Bytes zeroed because executions grew the heap. */
  zeroedBytes: number;
  /** Restores that had to reset __stack_pointer. */
  stackResets: number;
  /** Restores that had to put the host-function registry back. */
  registryResets: number;
}

export class MemorySnapshot {
  readonly #instance: QuickJSInstance;
  readonly #layout: WasmLayout;
  readonly #stack: { stackSave(): number; stackRestore(sp: number): void };
  readonly #runtime: QuickJSRuntime;
  readonly #contexts: QuickJSContext[];
  readonly #where: Locations;
  /** Static data and heap as they were, in pages shared with other snapshots (page-store.ts). */
  #static: StoredCopy | null = null;
  #heap: StoredCopy | null = null;
  /** The sbrk break when the snapshot was taken. */
  #break = 0;
  /** The highest break any execution reached: memory up to it stays resident (it cannot shrink). */
  #highWater = 0;
  #refs: { nextId: number; freelist: number[]; groups: [number, [number, unknown][]][] } | null = null;
  #refsDirty = false;
  #caches: unknown[][] = [];
  readonly #seeds = new BigUint64Array(256);
  #nextSeed = this.#seeds.length;
  readonly stats: RestoreStats = { restores: 0, zeroedBytes: 0, stackResets: 0, registryResets: 0 };

  /** `contexts`: every context of `runtime` whose Math.random must differ per execution. */
  constructor(instance: QuickJSInstance, runtime: QuickJSRuntime, contexts: QuickJSContext[]) {
    const layout = instance.build.layout;
    if (!layout) throw new Error(instance.build.layoutError ?? "snapshot: unsupported QuickJS build");
    this.#instance = instance;
    this.#layout = layout;
    this.#runtime = runtime;
    this.#contexts = contexts;
    const named = new Set<unknown>();
    const emscripten = (instance.module as unknown as { module: Record<string, unknown> }).module;
    for (const [key, value] of Object.entries(emscripten))
      if (key.startsWith("_") && typeof value === "function") named.add(value);
    this.#stack = stackFunctions(layout, instance.exports, named);
    if (!locations) throw new Error("snapshot: call MemorySnapshot.locate() first");
    this.#where = locations;
  }

  /**
   * Finds, once per process, where this build keeps the sbrk break and Math.random's state, on
   * a throwaway instance (probing leaves a large free chunk in its heap).
   */
  static async locate(): Promise<void> {
    if (locations) return;
    const probe = await instantiateQuickJS(256, 1024);
    if (!probe.build.layout)
      throw new Error(probe.build.layoutError ?? "snapshot: unsupported QuickJS build");
    locations ??= locate(probe, probe.build.layout);
  }

  /** Bytes the copy allocated (the pages it shares with other snapshots are counted by theirs). */
  get bytes(): number {
    return (this.#static?.ownBytes ?? 0) + (this.#heap?.ownBytes ?? 0);
  }

  /**
   * Memory of the instance that is likely resident: static data, the heap up to its break and
   * a little of the C stack (the rest of the stack region is reserved, never touched).
   */
  get residentBytes(): number {
    const top = Math.max(this.currentBreak, this.#highWater);
    return this.#layout.stackLow + 64 * 1024 + (top - this.#layout.spInit);
  }

  /** The heap's end when the snapshot was taken. */
  get snapshotBreak(): number {
    return this.#break;
  }

  /** The heap's current end (the high-water mark of every execution since the snapshot). */
  get currentBreak(): number {
    return new Uint32Array(this.#instance.memory.buffer)[this.#where.breakAddress >> 2]!;
  }

  /** Copies the memory now. Call only at a quiet point: no call running, no pending job. */
  take(): void {
    const { stackLow, spInit } = this.#layout;
    if (this.#stack.stackSave() !== spInit) throw new Error("snapshot: taken while a call is running");
    if (this.#runtime.hasPendingJob()) throw new Error("snapshot: taken with jobs pending");
    const bytes = new Uint8Array(this.#instance.memory.buffer);
    this.#break = this.currentBreak;
    this.#highWater = this.#break;
    if (!(spInit < this.#break && this.#break <= bytes.length))
      throw new Error("snapshot: the sbrk break is out of range");
    this.#static = pageStore.copy(bytes, 0, stackLow);
    this.#heap = pageStore.copy(bytes, spInit, this.#break);
    const refs = hostRefs(this.#runtime);
    this.#refs = {
      nextId: refs.nextId,
      freelist: [...refs.freelist],
      groups: [...refs.groups].map(([id, group]) => [id, [...group]]),
    };
    if (!Object.hasOwn(refs, "put")) {
      const put = refs.put.bind(refs);
      const remove = refs.delete.bind(refs);
      refs.put = (value) => {
        this.#refsDirty = true;
        return put(value);
      };
      refs.delete = (id) => {
        this.#refsDirty = true;
        remove(id);
      };
    }
    this.#refsDirty = false;
    this.#caches = this.#contexts.map((vm) =>
      LAZY_CACHES.map((key) => (vm as unknown as Record<string, unknown>)[key]),
    );
  }

  /** Puts the instance back into the snapshot's state. */
  restore(): void {
    const staticCopy = this.#static;
    const heapCopy = this.#heap;
    if (!staticCopy || !heapCopy) throw new Error("snapshot: restore before take");
    const buffer = this.#instance.memory.buffer;
    const bytes = new Uint8Array(buffer);
    // sbrk never moves down in this build: its value is the highest end any execution reached.
    const reached = this.currentBreak;
    this.#highWater = Math.max(this.#highWater, reached);
    for (const segment of staticCopy.segments) bytes.set(segment.bytes, segment.at);
    for (const segment of heapCopy.segments) bytes.set(segment.bytes, segment.at);
    if (reached > this.#break) {
      bytes.fill(0, this.#break, reached);
      this.stats.zeroedBytes += reached - this.#break;
    }
    const { spInit } = this.#layout;
    if (this.#stack.stackSave() !== spInit) {
      this.#stack.stackRestore(spInit);
      this.stats.stackResets++;
    }
    if (this.#refsDirty) {
      const refs = hostRefs(this.#runtime);
      const saved = this.#refs!;
      refs.nextId = saved.nextId;
      refs.freelist = [...saved.freelist];
      refs.groups = new Map(saved.groups.map(([id, group]) => [id, new Map(group)]));
      this.#refsDirty = false;
      this.stats.registryResets++;
    }
    this.#contexts.forEach((vm, i) => {
      const record = vm as unknown as Record<string, unknown>;
      const saved = this.#caches[i]!;
      LAZY_CACHES.forEach((key, k) => {
        if (record[key] !== saved[k]) record[key] = saved[k];
      });
    });
    this.reseed();
    this.stats.restores++;
  }

  /** Gives every context's Math.random a fresh seed (each restore does; also right after take()). */
  reseed(): void {
    const view = new DataView(this.#instance.memory.buffer);
    for (const vm of this.#contexts) {
      const at = (vm as unknown as { ctx: { value: number } }).ctx.value + this.#where.randomOffset;
      view.setBigUint64(at, this.#seed(), true);
    }
  }

  #seed(): bigint {
    if (this.#nextSeed >= this.#seeds.length) {
      randomFillSync(this.#seeds);
      this.#nextSeed = 0;
    }
    // xorshift64* must not be seeded with 0.
    return this.#seeds[this.#nextSeed++]! | 1n;
  }
}

function hostRefs(runtime: QuickJSRuntime): HostRefMap {
  const refs = (runtime as unknown as { hostRefs?: HostRefMap }).hostRefs;
  if (!refs || !(refs.groups instanceof Map) || !Array.isArray(refs.freelist))
    throw new Error("snapshot: quickjs-emscripten changed: QuickJSRuntime.hostRefs not found");
  return refs;
}

/** Finds the sbrk break and Math.random's state on a throwaway runtime of `instance`. */
function locate(instance: QuickJSInstance, layout: WasmLayout): Locations {
  const emscripten = (
    instance.module as unknown as { module: { _malloc(n: number): number; _free(p: number): void } }
  ).module;
  const breakAddress = locateBreak(instance.memory, layout, emscripten._malloc.bind(emscripten), (p) =>
    emscripten._free(p),
  );
  const runtime = instance.module.newRuntime();
  try {
    const vm = runtime.newContext();
    try {
      return { breakAddress, randomOffset: locateRandomState(instance, vm) };
    } finally {
      vm.dispose();
    }
  } finally {
    runtime.dispose();
  }
}

/** The offset in JSContext of the 8 bytes that change on every Math.random() and decide its next value. */
function locateRandomState(instance: QuickJSInstance, vm: QuickJSContext): number {
  const ctx = (vm as unknown as { ctx: { value: number } }).ctx.value;
  const span = 2048;
  const draw = () => {
    const handle = vm.unwrapResult(vm.evalCode("Math.random()"));
    try {
      return vm.getNumber(handle);
    } finally {
      handle.dispose();
    }
  };
  const words = () => new BigUint64Array(instance.memory.buffer.slice(ctx, ctx + span));
  const a = words();
  draw();
  const b = words();
  draw();
  const c = words();
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i] || b[i] === c[i]) continue;
    const offset = i * 8;
    const view = () => new DataView(instance.memory.buffer);
    const saved = view().getBigUint64(ctx + offset, true);
    const seeded = (seed: bigint) => {
      view().setBigUint64(ctx + offset, seed, true);
      return draw();
    };
    const first = seeded(0x0123456789abcdefn);
    const again = seeded(0x0123456789abcdefn);
    const other = seeded(0x1111222233334444n);
    view().setBigUint64(ctx + offset, saved, true);
    if (first === again && first !== other) return offset;
  }
  throw new Error("snapshot: cannot locate Math.random's state in this QuickJS build");
}
