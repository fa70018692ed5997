/**
 * The QuickJS WebAssembly build, compiled once per process (or thread) and
 * instantiated many times: every module ("generation", snapshot sandbox) gets
 * its own instance and memory from the same compiled code, through
 * Emscripten's instantiateWasm hook, which also hands us the raw exports a
 * memory snapshot needs (see snapshot/wasm-layout.ts).
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from "quickjs-emscripten-core";
import { readWasmLayout, type WasmLayout } from "./snapshot/wasm-layout.js";

const VARIANT = "@jitl/quickjs-wasmfile-release-sync";
export const WASM_PAGE = 65_536;

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number }) => GrowableMemory;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface GrowableMemory {
  readonly buffer: ArrayBuffer;
  grow(delta: number): number;
}

export interface QuickJSBuild {
  variant: QuickJSSyncVariant;
  compiled: object;
  /** Null when this build's layout is not one a snapshot can handle (snapshots are then off). */
  layout: WasmLayout | null;
  layoutError?: string;
}

let build: Promise<QuickJSBuild> | undefined;

/** The variant, its compiled wasm and its memory layout (loaded once). */
export function quickJSBuild(): Promise<QuickJSBuild> {
  build ??= (async () => {
    const variant = (await import(VARIANT)).default as unknown as QuickJSSyncVariant;
    const require = createRequire(import.meta.url);
    const bytes = new Uint8Array(await readFile(require.resolve(`${VARIANT}/wasm`)));
    const compiled = new wasm.Module(bytes);
    try {
      return { variant, compiled, layout: readWasmLayout(bytes) };
    } catch (error) {
      return { variant, compiled, layout: null, layoutError: String(error) };
    }
  })();
  return build;
}

export interface QuickJSInstance {
  module: QuickJSWASMModule;
  memory: GrowableMemory;
  /** The instance's raw exports (including the minified ones Emscripten keeps off its Module). */
  exports: Record<string, unknown>;
  build: QuickJSBuild;
}

/**
 * A new instance of the build with its own memory (`initialPages` up to `maxPages`).
 * `memory.grow` can be wrapped by the caller before any guest code runs.
 */
export async function instantiateQuickJS(initialPages: number, maxPages: number): Promise<QuickJSInstance> {
  const loaded = await quickJSBuild();
  const memory = new wasm.Memory({ initial: initialPages, maximum: maxPages });
  let exports: Record<string, unknown> | undefined;
  // Emscripten prints aborts to stderr; the engine reports them through the logger instead.
  const emscriptenModule = {
    print: () => {},
    printErr: () => {},
    instantiateWasm(imports: object, done: (instance: object, module: object) => void) {
      const instance = new wasm.Instance(loaded.compiled, imports);
      exports = instance.exports;
      done(instance, loaded.compiled);
      return instance.exports;
    },
  };
  const module = await newQuickJSWASMModuleFromVariant(
    newVariant(loaded.variant, { wasmMemory: memory as never, emscriptenModule: emscriptenModule as never }),
  );
  if (!exports) throw new Error("QuickJS: the instantiateWasm hook was not called");
  return { module, memory, exports, build: loaded };
}
