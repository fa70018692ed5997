/**
 * What a memory snapshot needs to know about the QuickJS WebAssembly build,
 * read from the binary itself and checked at load, so a different build fails
 * loudly instead of restoring the wrong bytes:
 *
 *   [0, stackLow)        static data and bss (dlmalloc's state, the sbrk break, QuickJS statics)
 *   [stackLow, spInit)   the C stack, growing down; dead whenever no call runs
 *   [spInit, brk)        the malloc heap (runtime, contexts, objects, handles)
 *   [brk, end)           memory sbrk has not handed out yet
 *
 * The only mutable wasm global is `__stack_pointer`: everything else of the
 * instance's state lives in linear memory.
 */

/** quickjs-emscripten's Emscripten builds reserve a 5 MiB C stack right below the heap. */
const STACK_BYTES = 5 * 1024 * 1024;

/** A wasm value type, as the binary encodes it (0x7f is i32). */
type ValueType = number;

export interface ExportInfo {
  name: string;
  /** Parameter and result types, for functions defined by the module (imports excluded). */
  signature?: { params: ValueType[]; results: ValueType[] };
}

export interface WasmLayout {
  /** Initial __stack_pointer: the top of the C stack and where the heap begins. */
  spInit: number;
  /** Bottom of the C stack: everything below is static data. */
  stackLow: number;
  /** End of the initialised data segments (must lie below stackLow). */
  dataEnd: number;
  /** Minimum memory pages the module imports. */
  memoryPages: number;
  exports: ExportInfo[];
}

/** A cursor over the binary with the two LEB128 readers the sections need. */
class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public at = 8,
  ) {}

  byte(): number {
    return this.bytes[this.at++]!;
  }

  u32(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return result;
  }

  i32(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte();
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    if (shift < 32 && b & 0x40) result |= -1 << shift;
    return result;
  }

  name(): string {
    const length = this.u32();
    const text = new TextDecoder().decode(this.bytes.subarray(this.at, this.at + length));
    this.at += length;
    return text;
  }

  types(): ValueType[] {
    const count = this.u32();
    const list = [...this.bytes.subarray(this.at, this.at + count)];
    this.at += count;
    return list;
  }
}

/** Parses the sections a snapshot depends on (types, imports, functions, globals, exports, data). */
export function readWasmLayout(bytes: Uint8Array): WasmLayout {
  const r = new Reader(bytes);
  const types: { params: ValueType[]; results: ValueType[] }[] = [];
  const functionTypes: number[] = [];
  const exports: ExportInfo[] = [];
  const mutableGlobals: { type: ValueType; init: number | undefined }[] = [];
  let importedFunctions = 0;
  let memoryPages = 0;
  let dataEnd = 0;
  while (r.at < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.at + size;
    if (id === 1) {
      for (let n = r.u32(); n > 0; n--) {
        r.byte(); // 0x60: func
        types.push({ params: r.types(), results: r.types() });
      }
    } else if (id === 2) {
      for (let n = r.u32(); n > 0; n--) {
        r.name();
        r.name();
        const kind = r.byte();
        if (kind === 0) {
          r.u32();
          importedFunctions++;
        } else if (kind === 1) {
          r.byte();
          const flags = r.byte();
          r.u32();
          if (flags & 1) r.u32();
        } else if (kind === 2) {
          const flags = r.byte();
          memoryPages = r.u32();
          if (flags & 1) r.u32();
        } else if (kind === 3) r.at += 2;
      }
    } else if (id === 3) {
      for (let n = r.u32(); n > 0; n--) functionTypes.push(r.u32());
    } else if (id === 6) {
      for (let n = r.u32(); n > 0; n--) {
        const type = r.byte();
        const mutable = r.byte() === 1;
        const op = r.byte();
        const init = op === 0x41 ? r.i32() : undefined;
        while (bytes[r.at] !== 0x0b) r.at++;
        r.at++;
        if (mutable) mutableGlobals.push({ type, init });
      }
    } else if (id === 7) {
      for (let n = r.u32(); n > 0; n--) {
        const name = r.name();
        const kind = r.byte();
        const index = r.u32();
        const own = kind === 0 && index >= importedFunctions;
        const signature = own ? types[functionTypes[index - importedFunctions]!] : undefined;
        exports.push(signature ? { name, signature } : { name });
      }
    } else if (id === 11) {
      for (let n = r.u32(); n > 0; n--) {
        const flags = r.u32();
        let offset = 0;
        if (flags === 0 || flags === 2) {
          if (flags === 2) r.u32();
          r.byte(); // i32.const
          offset = r.i32();
          r.byte(); // end
        }
        const length = r.u32();
        r.at += length;
        dataEnd = Math.max(dataEnd, offset + length);
      }
    }
    r.at = end;
  }
  const sp = mutableGlobals[0];
  if (mutableGlobals.length !== 1 || sp?.type !== 0x7f || sp.init === undefined)
    throw new Error(
      `snapshot: expected one mutable i32 global (__stack_pointer), found ${mutableGlobals.length}; this QuickJS build is not supported`,
    );
  const stackLow = sp.init - STACK_BYTES;
  if (stackLow < dataEnd)
    throw new Error("snapshot: the C stack does not sit between the data and the heap in this QuickJS build");
  return { spInit: sp.init, stackLow, dataEnd, memoryPages, exports };
}

/**
 * Emscripten's stackSave/stackRestore are exported under minified names and not put on the
 * Module: they are the only unnamed exports with signatures () → i32 and (i32) → ().
 */
export function stackFunctions(
  layout: WasmLayout,
  exports: Record<string, unknown>,
  named: Set<unknown>,
): { stackSave(): number; stackRestore(sp: number): void } {
  const pick = (params: ValueType[], results: ValueType[]) => {
    const found = layout.exports.filter(
      (e) =>
        e.signature &&
        !named.has(exports[e.name]) &&
        String(e.signature.params) === String(params) &&
        String(e.signature.results) === String(results),
    );
    if (found.length !== 1)
      throw new Error(
        `snapshot: cannot identify the export (${params}) → (${results}) (${found.length} candidates)`,
      );
    return exports[found[0]!.name] as (...args: number[]) => number;
  };
  const stackSave = pick([], [0x7f]) as () => number;
  const stackRestore = pick([0x7f], []) as (sp: number) => void;
  if (stackSave() !== layout.spInit)
    throw new Error("snapshot: stackSave() does not report the initial stack pointer");
  return { stackSave, stackRestore };
}

/**
 * The static address of Emscripten's sbrk break: the word that jumps by at least a large
 * allocation's size when one is made and stays there after it is freed (this dlmalloc build
 * never gives memory back). The static layout is the same in every instance of the module.
 */
export function locateBreak(
  memory: { buffer: ArrayBuffer },
  layout: WasmLayout,
  malloc: (size: number) => number,
  free: (pointer: number) => void,
): number {
  const words = () => new Uint32Array(memory.buffer, 0, layout.stackLow >> 2).slice();
  const before = words();
  const size = 8 * 1024 * 1024; // bigger than any free chunk: forces sbrk
  const pointer = malloc(size);
  const during = words();
  free(pointer);
  const after = words();
  const found: number[] = [];
  for (let i = 0; i < before.length; i++) {
    if (before[i]! < layout.spInit || during[i]! - before[i]! < size / 2) continue;
    if (during[i]! > memory.buffer.byteLength) continue;
    if (after[i] === during[i]) found.push(i << 2);
  }
  if (found.length !== 1)
    throw new Error(`snapshot: cannot locate the sbrk break (${found.length} candidates)`);
  return found[0]!;
}
