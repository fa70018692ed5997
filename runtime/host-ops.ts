/**
 * The host side of `host(op, ...args)`: argument checking for everything that
 * crosses from the guest, the pure primitives (random bytes, digests, HMAC,
 * UTF-8, base64, WHATWG URL parsing via Node's parser), and delegation of
 * execution-bound ops (results, logs, timers, bindings, fetch) to the
 * execution currently attached to the context.
 */
import { createHash, createHmac, randomFillSync, timingSafeEqual } from "node:crypto";
import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten-core";
import { isWasmFailure } from "./engine.js";
import type { SandboxLogger } from "./execution-types.js";
import type { GuestContext } from "./guest-context.js";
import type { Bridge } from "./host-bridge.js";
import { decoder, encodingName, textDecode } from "./host-text-decode.js";
import { isSettableUrlPart, Op, URL_PARTS } from "./ops.js";
import type { Dispatch } from "./prelude-realm.js";

/** A failure whose message is safe to show to the script (anything else becomes a generic error). */
export class GuestFacingError extends Error {}

/** What an execution serves while it is attached to a context. */
export interface ExecutionOps {
  log(level: number, message: string): void;
  respond(status: number, statusText: string, headersJson: string, body: Uint8Array | string | null): void;
  returnValue(json: string | undefined): void;
  fail(name: string, message: string, stack: string): void;
  invalid(message: string): void;
  waitAdd(token: number): void;
  waitDone(token: number, failure: string | undefined): void;
  timerSet(token: number, id: number, ms: number): void;
  timerClear(id: number): void;
  now(): number;
  readonly bridge: Bridge;
}

const HASHES: Record<string, string> = {
  "SHA-1": "sha1",
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
};
const MAX_RANDOM = 65_536;

/** Random bytes come from a pooled buffer: one syscall per 4 KiB instead of per call. */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;
function randomBytes(n: number): Uint8Array {
  if (n > pool.length) return randomFillSync(new Uint8Array(n));
  if (poolOffset + n > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = new Uint8Array(pool.subarray(poolOffset, poolOffset + n));
  poolOffset += n;
  return out;
}

function urlParts(url: URL): string {
  return JSON.stringify(URL_PARTS.map((part) => url[part]));
}

function flag(vm: QuickJSContext, handle: QuickJSHandle | undefined): boolean {
  return handle !== undefined && vm.typeof(handle) === "boolean" && vm.dump(handle) === true;
}

/**
 * Text from the guest. Strings cross as C strings, which end at U+0000, so the guest
 * sends text containing NUL as JSON with `isJson` set (see Internals.toHost).
 */
export function argText(
  vm: QuickJSContext,
  handle: QuickJSHandle | undefined,
  isJson: QuickJSHandle | undefined,
  what: string,
): string {
  const text = argString(vm, handle, what);
  if (!flag(vm, isJson)) return text;
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== "string") throw new GuestFacingError(`${what} must be a string`);
  return parsed;
}

/** Text to the guest: a string, or [json] when it contains NUL (see Internals.fromHost). */
export function newText(vm: QuickJSContext, text: string): QuickJSHandle {
  if (!text.includes("\0")) return vm.newString(text);
  const array = vm.newArray();
  const json = vm.newString(JSON.stringify(text));
  vm.setProp(array, 0, json);
  json.dispose();
  return array;
}

// ---- argument readers: check the guest type first, so no guest code (toString/valueOf) runs ----

export function argString(vm: QuickJSContext, handle: QuickJSHandle | undefined, what: string): string {
  if (!handle || vm.typeof(handle) !== "string") throw new GuestFacingError(`${what} must be a string`);
  return vm.getString(handle);
}

export function argOptionalString(vm: QuickJSContext, handle: QuickJSHandle | undefined): string | undefined {
  if (!handle) return undefined;
  const type = vm.typeof(handle);
  if (type === "undefined") return undefined;
  if (type !== "string") throw new GuestFacingError("expected a string");
  return vm.getString(handle);
}

export function argNumber(vm: QuickJSContext, handle: QuickJSHandle | undefined, what: string): number {
  if (!handle || vm.typeof(handle) !== "number") throw new GuestFacingError(`${what} must be a number`);
  return vm.getNumber(handle);
}

/** True for a missing argument, undefined or null. */
export function isNullish(vm: QuickJSContext, handle: QuickJSHandle | undefined): boolean {
  if (!handle) return true;
  const type = vm.typeof(handle);
  return type === "undefined" || (type === "object" && vm.sameValue(handle, vm.null));
}

export function argBytes(vm: QuickJSContext, handle: QuickJSHandle | undefined, what: string): Uint8Array {
  if (!handle || vm.typeof(handle) !== "object") throw new GuestFacingError(`${what} must be an ArrayBuffer`);
  const view = vm.getArrayBuffer(handle);
  try {
    return view.value.slice();
  } finally {
    view.dispose();
  }
}

export function argBytesList(
  vm: QuickJSContext,
  handle: QuickJSHandle | undefined,
  what: string,
): Uint8Array[] {
  if (!handle || vm.typeof(handle) !== "object") return [];
  const length = vm.getLength(handle) ?? 0;
  const out: Uint8Array[] = [];
  for (let i = 0; i < length; i++) {
    const item = vm.getProp(handle, i);
    try {
      out.push(argBytes(vm, item, what));
    } finally {
      item.dispose();
    }
  }
  return out;
}

/** A guest ArrayBuffer holding exactly `bytes` (never a whole pooled Node buffer). */
export function newBytes(vm: QuickJSContext, bytes: Uint8Array): QuickJSHandle {
  // Node Buffers may be views of a shared pool, and Buffer#slice does not copy: copy as a Uint8Array.
  const exact =
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? bytes.buffer
      : Uint8Array.prototype.slice.call(bytes).buffer;
  return vm.newArrayBuffer(exact);
}

/** Serves one `host(op, ...args)` call. */
export function dispatch(context: GuestContext, args: QuickJSHandle[]): QuickJSHandle | undefined {
  const vm = context.vm;
  const op = argNumber(vm, args[0], "op");
  const a = args[1];
  const b = args[2];
  const c = args[3];
  switch (op) {
    case Op.Random: {
      const n = argNumber(vm, a, "length");
      if (!Number.isInteger(n) || n < 0 || n > MAX_RANDOM)
        throw new GuestFacingError("invalid random length");
      return newBytes(vm, randomBytes(n));
    }
    case Op.Digest: {
      const hash = HASHES[argString(vm, a, "algorithm")];
      if (!hash) throw new GuestFacingError("unsupported digest");
      return newBytes(
        vm,
        createHash(hash)
          .update(argBytes(vm, b, "data"))
          .digest(),
      );
    }
    case Op.Hmac: {
      const hash = HASHES[argString(vm, a, "hash")];
      if (!hash) throw new GuestFacingError("unsupported hash");
      return newBytes(
        vm,
        createHmac(hash, argBytes(vm, b, "key"))
          .update(argBytes(vm, c, "data"))
          .digest(),
      );
    }
    case Op.TimingSafeEqual: {
      const x = argBytes(vm, a, "a");
      const y = argBytes(vm, b, "b");
      return x.length === y.length && timingSafeEqual(x, y) ? vm.true : vm.false;
    }
    case Op.Utf8Encode:
      return newBytes(vm, Buffer.from(argText(vm, a, b, "text"), "utf8"));
    case Op.Utf8Decode: {
      const bytes = argBytes(vm, a, "bytes");
      let text: string;
      try {
        text = decoder(flag(vm, b), flag(vm, c)).decode(bytes);
      } catch {
        return vm.null;
      }
      return newText(vm, text);
    }
    case Op.EncodingName: {
      const name = encodingName(argText(vm, a, b, "label"));
      return name === null ? vm.null : vm.newString(name);
    }
    case Op.Base64: {
      const text = argText(vm, a, b, "text");
      return newText(
        vm,
        flag(vm, c)
          ? Buffer.from(text, "base64").toString("latin1")
          : Buffer.from(text, "latin1").toString("base64"),
      );
    }
    case Op.UrlParse: {
      const input = argString(vm, a, "url");
      const base = argOptionalString(vm, b);
      let url: URL;
      try {
        url = base === undefined ? new URL(input) : new URL(input, base);
      } catch {
        return vm.null;
      }
      return vm.newString(urlParts(url));
    }
    case Op.UrlSet: {
      const url = new URL(argString(vm, a, "href"));
      const part = argString(vm, b, "part");
      if (!isSettableUrlPart(part)) throw new GuestFacingError("unknown URL part");
      (url as unknown as Record<string, string>)[part] = argString(vm, c, "value");
      return vm.newString(urlParts(url));
    }
  }
  const execution = context.current as ExecutionOps | null;
  if (!execution) throw new GuestFacingError("no execution is running in this context");
  switch (op) {
    case Op.TextDecode: {
      const text = textDecode(
        execution,
        argString(vm, a, "encoding"),
        argBytes(vm, b, "bytes"),
        flag(vm, c),
        flag(vm, args[4]),
        flag(vm, args[5]),
        argNumber(vm, args[6], "id"),
      );
      return text === null ? vm.null : newText(vm, text);
    }
    case Op.Log:
      execution.log(argNumber(vm, a, "level"), argText(vm, b, c, "message"));
      return undefined;
    case Op.Respond: {
      const bodyHandle = args[4];
      let body: Uint8Array | string | null = null;
      if (!isNullish(vm, bodyHandle)) {
        body =
          vm.typeof(bodyHandle!) === "string" ? vm.getString(bodyHandle!) : argBytes(vm, bodyHandle, "body");
      }
      execution.respond(
        argNumber(vm, a, "status"),
        argString(vm, b, "statusText"),
        argString(vm, c, "headers"),
        body,
      );
      return undefined;
    }
    case Op.ReturnValue:
      execution.returnValue(argOptionalString(vm, a));
      return undefined;
    case Op.Fail:
      execution.fail(argString(vm, a, "name"), argString(vm, b, "message"), argString(vm, c, "stack"));
      return undefined;
    case Op.Invalid:
      execution.invalid(argString(vm, a, "message"));
      return undefined;
    case Op.WaitAdd:
      execution.waitAdd(argNumber(vm, a, "token"));
      return undefined;
    case Op.WaitDone:
      execution.waitDone(argNumber(vm, a, "token"), argOptionalString(vm, b));
      return undefined;
    case Op.TimerSet:
      execution.timerSet(argNumber(vm, a, "token"), argNumber(vm, b, "id"), argNumber(vm, c, "delay"));
      return undefined;
    case Op.TimerClear:
      execution.timerClear(argNumber(vm, a, "id"));
      return undefined;
    case Op.Now:
      return vm.newNumber(execution.now());
    case Op.BindingFactory:
      return execution.bridge.bindingFactory(argString(vm, a, "binding"));
    case Op.BindingCall:
      return execution.bridge.bindingCall(
        argNumber(vm, a, "token"),
        argString(vm, b, "binding"),
        argString(vm, c, "method"),
        argString(vm, args[4], "arguments"),
        argBytesList(vm, args[5], "binary argument"),
      );
    case Op.Fetch: {
      const bodyHandle = args[6];
      const body = isNullish(vm, bodyHandle) ? null : argBytes(vm, bodyHandle, "body");
      return execution.bridge.fetch(
        argNumber(vm, a, "token"),
        argNumber(vm, b, "id"),
        argString(vm, c, "method"),
        argString(vm, args[4], "url"),
        argString(vm, args[5], "headers"),
        body,
        argString(vm, args[7], "redirect"),
      );
    }
    case Op.FetchAbort:
      execution.bridge.fetchAbort(argNumber(vm, a, "id"));
      return undefined;
  }
  throw new GuestFacingError(`unknown host operation ${op}`);
}

/**
 * The host function's handler for a runtime: serves the call for the execution running on it.
 * What it throws reaches the script as an error of the execution's realm (the host function
 * itself lives in the shared prelude realm); only GuestFacingError messages are shown, anything
 * else is logged and becomes a generic error, and a WASM failure marks the module dead.
 */
export function hostCalls(logger: SandboxLogger | undefined): Dispatch {
  return (slot, args) => {
    try {
      const context = slot.current;
      if (!context) throw new GuestFacingError("no execution is running in this sandbox");
      return dispatch(context, args);
    } catch (error) {
      if (isWasmFailure(error)) {
        slot.generation.markDead(error);
        throw error;
      }
      let message = "internal error in the sandbox";
      if (error instanceof GuestFacingError) message = error.message;
      else
        logger?.error(
          { err: error instanceof Error ? error.stack : String(error) },
          "sandbox: host operation failed",
        );
      throw slot.current?.vm.newError({ name: "Error", message }) ?? new GuestFacingError(message);
    }
  };
}
