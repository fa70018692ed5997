/**
 * What a script threw, as plain data: name, message and stack read from the
 * guest value without trusting it (it may be anything, with getters that
 * throw), bounded in size.
 */
import type { QuickJSHandle } from "quickjs-emscripten-core";
import type { GuestError } from "./execution-types.js";
import type { GuestContext } from "./guest-context.js";

const MAX_ERROR_TEXT = 8 * 1024;
/** Headroom granted while reading an error after an out-of-memory, so the read itself can allocate. */
const DESCRIBE_HEADROOM = 1024 * 1024;

export function cut(text: string, max = MAX_ERROR_TEXT): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Which limit, if any, a thrown error stands for. */
export function limitOf(error: GuestError): "memory" | "timeout" | "stack" | null {
  if (error.name === "InternalError" && /out of memory/.test(error.message)) return "memory";
  if (error.name === "InternalError" && error.message === "interrupted") return "timeout";
  if (/Maximum call stack size exceeded|stack overflow/i.test(error.message)) return "stack";
  return null;
}

/** Reads a thrown guest value (does not take ownership of `handle`). */
export function describeThrown(context: GuestContext, handle: QuickJSHandle): GuestError {
  const vm = context.vm;
  const runtime = context.slot.runtime;
  const limit = context.slot.generation.probe.mallocLimit(runtime);
  runtime.setMemoryLimit(context.slot.mallocSize() + DESCRIBE_HEADROOM);
  try {
    const type = vm.typeof(handle);
    if (type === "object" && !vm.sameValue(handle, vm.null)) {
      const read = (key: string): string | undefined => {
        const prop = vm.getProp(handle, key);
        try {
          return vm.typeof(prop) === "string" ? vm.getString(prop) : undefined;
        } finally {
          prop.dispose();
        }
      };
      const message = read("message");
      if (message !== undefined) {
        const stack = read("stack");
        const error: GuestError = { name: cut(read("name") ?? "Error", 200), message: cut(message) };
        if (stack) error.stack = cut(stack);
        return error;
      }
      return { name: "Error", message: "Uncaught exception (an object that is not an Error)" };
    }
    const shown = type === "string" ? JSON.stringify(vm.getString(handle)) : String(vm.dump(handle));
    return { name: "Error", message: cut(`Uncaught ${shown}`) };
  } catch {
    return { name: "Error", message: "Uncaught exception (not readable)" };
  } finally {
    if (limit !== undefined) runtime.setMemoryLimit(limit);
  }
}
