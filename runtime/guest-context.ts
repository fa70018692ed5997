/**
 * A QuickJS runtime slot and the guest context living in it: the context
 * boots the prelude core with the one host function, and keeps handles to the
 * core's run/fire/end for its whole life. Every handle taken here is disposed
 * in dispose() — QuickJS aborts the module when a runtime is freed with live
 * handles.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from "quickjs-emscripten-core";

type CallResult = ReturnType<QuickJSContext["callFunction"]>;

import type { Generation } from "./engine.js";
import type { PreludeBundle } from "./prelude-source.js";

/** Serves the guest's `host(op, ...args)` calls for one context. */
export type Dispatch = (context: GuestContext, args: QuickJSHandle[]) => QuickJSHandle | undefined;

/** Limits applied while no execution runs (preparing a context). */
const PREPARE_MEMORY_BYTES = 32 * 1024 * 1024;
const PREPARE_TIME_MS = 5_000;

export class RuntimeSlot {
  readonly runtime: QuickJSRuntime;
  /** epoch ms after which guest code is interrupted; 0 = no deadline. */
  deadline = 0;
  interrupted = false;
  uses = 0;
  /** A context booted ahead of time, off the request path. */
  prepared: GuestContext | null = null;
  /** Sources for `import` while an execution runs. */
  modules: Record<string, string> | undefined;

  constructor(readonly generation: Generation) {
    const runtime = generation.module.newRuntime();
    this.runtime = runtime;
    runtime.setInterruptHandler(() => {
      if (this.deadline > 0 && Date.now() > this.deadline) {
        this.interrupted = true;
        return true;
      }
      return false;
    });
    runtime.setModuleLoader((name) => {
      const source = this.modules?.[name];
      if (source === undefined) return { error: new Error(`Cannot find module "${name}"`) };
      return source;
    });
  }

  /** Bytes allocated by this runtime (undefined if not measurable). */
  mallocSize(): number | undefined {
    return this.generation.probe.mallocSize(this.runtime);
  }
}

export class GuestContext {
  readonly vm: QuickJSContext;
  readonly #run: QuickJSHandle;
  readonly #fire: QuickJSHandle;
  readonly #end: QuickJSHandle;
  readonly #begin: QuickJSHandle;
  /** Whatever the current execution attaches (its op handlers); null between executions. */
  current: unknown = null;
  /** isolation = "script": the evaluated module namespace and its version. */
  ns: QuickJSHandle | null = null;
  versionId: string | null = null;
  uses = 0;
  #disposed = false;

  constructor(
    readonly slot: RuntimeSlot,
    readonly prelude: PreludeBundle,
    dispatch: Dispatch,
    preload: readonly string[],
  ) {
    slot.deadline = Date.now() + PREPARE_TIME_MS;
    slot.runtime.setMemoryLimit(PREPARE_MEMORY_BYTES);
    const vm = slot.runtime.newContext();
    this.vm = vm;
    const handles: QuickJSHandle[] = [];
    let exports: QuickJSHandle[] = [];
    try {
      const host = vm.newFunction("host", (...args) => dispatch(this, args));
      handles.push(host);
      const boot = vm.unwrapResult(
        vm.evalCode(prelude.core, "picloud:core", { type: "global", strict: true }),
      );
      handles.push(boot);
      const core = vm.unwrapResult(vm.callFunction(boot, vm.undefined, host));
      handles.push(core);
      exports = ["run", "fire", "end", "begin"].map((name) => vm.getProp(core, name));
      for (const name of preload) vm.unwrapResult(vm.evalCode(`void ${name}`, "picloud:preload")).dispose();
    } catch (error) {
      for (const handle of [...handles, ...exports]) if (handle.alive) handle.dispose();
      vm.dispose();
      slot.deadline = 0;
      throw error;
    }
    for (const handle of handles) handle.dispose();
    slot.deadline = 0;
    [this.#run, this.#fire, this.#end, this.#begin] = exports as [
      QuickJSHandle,
      QuickJSHandle,
      QuickJSHandle,
      QuickJSHandle,
    ];
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
        const handle = vm.newArrayBuffer(body.slice().buffer);
        owned.push(handle);
        args.push(handle);
      } else args.push(vm.undefined);
      if (binaries) {
        const array = vm.newArray();
        owned.push(array);
        binaries.forEach((bytes, i) => {
          const handle = vm.newArrayBuffer(bytes.slice().buffer);
          vm.setProp(array, i, handle);
          handle.dispose();
        });
        args.push(array);
      }
      return vm.callFunction(this.#run, vm.undefined, args);
    } finally {
      for (const handle of owned) handle.dispose();
    }
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

  /** Tells the guest which execution's token its host calls carry from now on. */
  begin(token: number): void {
    const vm = this.vm;
    const handle = vm.newNumber(token);
    try {
      const result = vm.callFunction(this.#begin, vm.undefined, handle);
      if (result.error) {
        result.error.dispose();
        throw new Error("prelude begin() failed");
      }
      result.value.dispose();
    } finally {
      handle.dispose();
    }
  }

  /** Forgets per-execution guest state before the context serves another execution. */
  end(): void {
    this.vm.callFunction(this.#end, this.vm.undefined).dispose();
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const handle of [this.#run, this.#fire, this.#end, this.#begin, this.ns])
      if (handle?.alive) handle.dispose();
    this.ns = null;
    if (this.vm.alive) this.vm.dispose();
  }
}
