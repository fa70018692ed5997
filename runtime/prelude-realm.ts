/**
 * The shared prelude realm of one QuickJS runtime: a context that compiles
 * and installs the whole guest prelude once (prelude/core.ts boot), then is
 * sealed (frozen intrinsics, no code compilation, nothing shared that can
 * change; see prelude/lockdown.ts). Every execution context of the runtime
 * is adopted by it and uses its Web API objects, so a fresh execution no
 * longer compiles the prelude. Executions on one runtime never overlap, which
 * is what lets the realm bind its code to one execution's intrinsics at a
 * time (begin/end).
 */
import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten-core";
import type { RuntimeSlot } from "./guest-context.js";
import type { PreludeBundle } from "./prelude-source.js";

type CallResult = ReturnType<QuickJSContext["callFunction"]>;

/** Serves the guest's `host(op, ...args)` calls for the execution running on `slot`. */
export type Dispatch = (slot: RuntimeSlot, args: QuickJSHandle[]) => QuickJSHandle | undefined;

/** Limits applied while no execution runs (booting the realm, preparing a context). */
export const PREPARE_MEMORY_BYTES = 32 * 1024 * 1024;
export const PREPARE_TIME_MS = 5_000;

/** Runs `fn` under the limits of preparation work (no execution budget applies). */
export function preparing<T>(slot: RuntimeSlot, fn: () => T): T {
  slot.deadline = Date.now() + PREPARE_TIME_MS;
  slot.runtime.setMemoryLimit(PREPARE_MEMORY_BYTES);
  try {
    return fn();
  } finally {
    slot.deadline = 0;
  }
}

const WORD = /[A-Za-z_$][\w$]*/g;
const bundleWords = new WeakMap<PreludeBundle, string>();

/**
 * Every identifier-like word of the prelude's code ("a,b,…"): the realm rebinds only the globals
 * among them to each execution's intrinsics, as each rebound name costs a little per execution.
 */
function wordsOf(prelude: PreludeBundle): string {
  let words = bundleWords.get(prelude);
  if (words === undefined) {
    const found = new Set<string>();
    for (const source of [prelude.core, ...Object.values(prelude.pieces)])
      for (const match of source.matchAll(WORD)) found.add(match[0]);
    words = [...found].join(",");
    bundleWords.set(prelude, words);
  }
  return words;
}

export class PreludeRealm {
  readonly vm: QuickJSContext;
  readonly #adopt: QuickJSHandle;
  readonly #begin: QuickJSHandle;
  readonly #run: QuickJSHandle;
  readonly #fire: QuickJSHandle;
  readonly #end: QuickJSHandle;
  #booting = true;
  #released = false;

  constructor(slot: RuntimeSlot, prelude: PreludeBundle, dispatch: Dispatch) {
    const vm = preparing(slot, () => slot.runtime.newContext());
    this.vm = vm;
    const handles: QuickJSHandle[] = [];
    let exports: QuickJSHandle[] = [];
    try {
      preparing(slot, () => {
        const host = vm.newFunction("host", (...args) =>
          this.#booting ? this.#load(prelude, args) : dispatch(slot, args),
        );
        handles.push(host);
        const boot = vm.unwrapResult(
          vm.evalCode(prelude.core, "picloud:core", { type: "global", strict: true }),
        );
        handles.push(boot);
        const names = vm.newString(Object.keys(prelude.pieces).join(","));
        handles.push(names);
        const words = vm.newString(wordsOf(prelude));
        handles.push(words);
        const core = vm.unwrapResult(vm.callFunction(boot, vm.undefined, host, names, words));
        handles.push(core);
        exports = ["adopt", "begin", "run", "fire", "end"].map((name) => vm.getProp(core, name));
      });
    } catch (error) {
      for (const handle of [...handles, ...exports]) if (handle.alive) handle.dispose();
      vm.dispose();
      throw error;
    } finally {
      this.#booting = false;
    }
    for (const handle of handles) handle.dispose();
    [this.#adopt, this.#begin, this.#run, this.#fire, this.#end] = exports as [
      QuickJSHandle,
      QuickJSHandle,
      QuickJSHandle,
      QuickJSHandle,
      QuickJSHandle,
    ];
  }

  /** Op.Load while booting: evaluates a piece in the realm (no execution can ask for one later). */
  #load(prelude: PreludeBundle, args: QuickJSHandle[]): QuickJSHandle {
    const vm = this.vm;
    const name = args[1] && vm.typeof(args[1]) === "string" ? vm.getString(args[1]) : "";
    const source = Object.hasOwn(prelude.pieces, name) ? prelude.pieces[name] : undefined;
    if (source === undefined) throw new Error(`unknown prelude piece "${name}"`);
    return vm.unwrapResult(vm.evalCode(source, `picloud:${name}`, { type: "global", strict: true }));
  }

  /** Prepares a fresh context of this runtime; returns its record (caller disposes). */
  adopt(context: QuickJSContext): QuickJSHandle {
    const vm = this.vm;
    const global = context.global;
    return vm.unwrapResult(vm.callFunction(this.#adopt, vm.undefined, global));
  }

  begin(record: QuickJSHandle, token: number, globals: string): void {
    const vm = this.vm;
    const handle = vm.newNumber(token);
    const spec = vm.newString(globals);
    try {
      const result = vm.callFunction(this.#begin, vm.undefined, record, handle, spec);
      if (result.error) {
        result.error.dispose();
        throw new Error("prelude begin() failed");
      }
      result.value.dispose();
    } finally {
      handle.dispose();
      spec.dispose();
    }
  }

  /** run(meta, ns, body, binaries) → the guest promise, or what the call threw (caller disposes). */
  run(args: QuickJSHandle[]): CallResult {
    const vm = this.vm;
    return vm.callFunction(this.#run, vm.undefined, args);
  }

  /** Fires guest timer `id`. Callback errors are reported by the guest; only uncatchable ones come back. */
  fire(id: number): QuickJSHandle | undefined {
    const vm = this.vm;
    const handle = vm.newNumber(id);
    try {
      const result = vm.callFunction(this.#fire, vm.undefined, handle);
      if (result.error) return result.error;
      result.value.dispose();
      return undefined;
    } finally {
      handle.dispose();
    }
  }

  end(): void {
    const vm = this.vm;
    const result = vm.callFunction(this.#end, vm.undefined);
    if (result.error) {
      result.error.dispose();
      throw new Error("prelude end() failed");
    }
    result.value.dispose();
  }

  /**
   * Drops this object's handles. A runtime that hit a memory or stack limit is freed with its
   * contexts still in it (see Release.abandon); any other runtime also needs dispose().
   */
  releaseHandles(): void {
    if (this.#released) return;
    this.#released = true;
    for (const handle of [this.#adopt, this.#begin, this.#run, this.#fire, this.#end])
      if (handle.alive) handle.dispose();
  }

  /** Frees the realm's context (every execution context of the runtime must be gone already). */
  dispose(): void {
    this.releaseHandles();
    if (this.vm.alive) this.vm.dispose();
  }
}
