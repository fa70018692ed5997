/**
 * A fix for quickjs-emscripten 0.32's out-parameters. ModuleMemory.newTypedArray
 * makes its view of the WebAssembly memory before the FFI call that writes
 * through it; when the call grows the memory, that view is detached and reads
 * as `undefined`. executePendingJobs then takes `undefined` for the job's
 * context pointer and creates a brand-new QuickJS context that nobody frees,
 * so freeing the runtime later aborts the module (`list_empty(&rt->gc_obj_list)`,
 * quickjs-emscripten #269); newPromise and getLength read garbage the same way.
 * The patch makes `typedArray` a fresh view on every read.
 */
import { Lifetime, type QuickJSRuntime } from "quickjs-emscripten-core";

type ArrayKind = { new (buffer: ArrayBufferLike, offset: number, length: number): ArrayLike<number> } & {
  BYTES_PER_ELEMENT: number;
};
interface EmscriptenHeap {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(pointer: number): void;
}
interface ModuleMemoryPrototype {
  newTypedArray(this: { module: EmscriptenHeap }, kind: ArrayKind, length: number): unknown;
}

const patched = new WeakSet<object>();

/** Patches the ModuleMemory class `runtime` uses (shared by every module of this process). */
export function patchHeapViews(runtime: QuickJSRuntime): void {
  const memory = (runtime as unknown as { memory?: object }).memory;
  const proto = memory ? (Object.getPrototypeOf(memory) as Partial<ModuleMemoryPrototype>) : undefined;
  if (!proto || patched.has(proto)) return;
  if (typeof proto.newTypedArray !== "function")
    throw new Error("quickjs-emscripten changed: ModuleMemory.newTypedArray not found (see heap-views.ts)");
  proto.newTypedArray = function newTypedArray(kind: ArrayKind, length: number) {
    const module = this.module;
    const pointer = module._malloc(length * kind.BYTES_PER_ELEMENT);
    module.HEAPU8.fill(0, pointer, pointer + length * kind.BYTES_PER_ELEMENT);
    return new Lifetime(
      {
        ptr: pointer,
        get typedArray() {
          return new kind(module.HEAPU8.buffer, pointer, length);
        },
      },
      undefined,
      (value) => module._free(value.ptr),
    );
  };
  patched.add(proto);
}
