/**
 * Piece "clone": structuredClone for the serializable types of the HTML
 * standard that exist in a worker without a DOM (primitives and wrappers,
 * Date, RegExp, ArrayBuffer and views, Map, Set, Error, arrays, plain
 * objects), preserving shared and cyclic references. Anything else throws a
 * DataCloneError.
 */
import type { Internals } from "../internals.js";

const ERRORS = ["Error", "EvalError", "RangeError", "ReferenceError", "SyntaxError", "TypeError", "URIError"];

/** The execution's error constructors (free references resolve to the running execution's intrinsics). */
const errorConstructors = (): Record<string, ErrorConstructor> => ({
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
});

type ViewConstructor = new (b: ArrayBuffer, o: number, l: number) => unknown;

/** The execution's typed array constructors, by their toStringTag. */
const viewConstructors = (): Record<string, ViewConstructor> => ({
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
});

export default function install(I: Internals): object {
  const fail = (what: string): Error => I.domError(`${what} could not be cloned`, "DataCloneError");

  const clone = (value: unknown, memory: Map<object, unknown>): unknown => {
    if (typeof value === "function") throw fail("A function");
    if (typeof value === "symbol") throw fail("A symbol");
    if (value === null || typeof value !== "object") return value;
    const known = memory.get(value);
    if (known !== undefined) return known;
    const tag = Object.prototype.toString.call(value).slice(8, -1);
    let out: unknown;
    switch (tag) {
      case "Boolean":
      case "Number":
      case "String":
      case "BigInt":
        out = Object((value as { valueOf(): unknown }).valueOf());
        break;
      case "Date":
        out = new Date((value as Date).getTime());
        break;
      case "RegExp":
        out = new RegExp((value as RegExp).source, (value as RegExp).flags);
        break;
      case "ArrayBuffer":
        out = (value as ArrayBuffer).slice(0);
        break;
      case "DataView": {
        const view = value as DataView;
        const buffer = clone(view.buffer, memory) as ArrayBuffer;
        out = new DataView(buffer, view.byteOffset, view.byteLength);
        break;
      }
      case "Map": {
        const map = new Map();
        memory.set(value, map);
        for (const [k, v] of value as Map<unknown, unknown>) map.set(clone(k, memory), clone(v, memory));
        return map;
      }
      case "Set": {
        const set = new Set();
        memory.set(value, set);
        for (const v of value as Set<unknown>) set.add(clone(v, memory));
        return set;
      }
      case "Array": {
        const array: unknown[] = new Array((value as unknown[]).length);
        memory.set(value, array);
        for (const key of Object.keys(value))
          (array as unknown as Record<string, unknown>)[key] = clone(
            (value as Record<string, unknown>)[key],
            memory,
          );
        return array;
      }
      case "Error": {
        const error = value as Error;
        const name = ERRORS.includes(error.name) ? error.name : "Error";
        const Ctor = errorConstructors()[name]!;
        const copy = new Ctor(String(error.message));
        memory.set(value, copy);
        if (typeof error.stack === "string")
          Object.defineProperty(copy, "stack", { value: error.stack, writable: true, configurable: true });
        if ("cause" in error) (copy as { cause?: unknown }).cause = clone(error.cause, memory);
        return copy;
      }
      case "Object": {
        if (!I.isPlain(value)) {
          const proto = Object.getPrototypeOf(value);
          const name = (proto as { constructor?: { name?: string } }).constructor?.name;
          if (name && name !== "Object") throw fail(`A ${name}`);
        }
        const obj = new Object() as Record<string, unknown>;
        memory.set(value, obj);
        for (const key of Object.keys(value)) {
          const copy = clone((value as Record<string, unknown>)[key], memory);
          // An own "__proto__" key must be copied as a key: assigning it would set the prototype.
          if (key === "__proto__")
            Object.defineProperty(obj, key, {
              value: copy,
              writable: true,
              enumerable: true,
              configurable: true,
            });
          else obj[key] = copy;
        }
        return obj;
      }
      default:
        if (ArrayBuffer.isView(value)) {
          const view = value as unknown as { buffer: ArrayBuffer; byteOffset: number; length: number };
          const buffer = clone(view.buffer, memory) as ArrayBuffer;
          const Ctor = viewConstructors()[tag];
          if (Ctor === undefined) throw fail(`A ${tag}`);
          out = new Ctor(buffer, view.byteOffset, view.length);
          break;
        }
        throw fail(`A ${tag}`);
    }
    memory.set(value, out);
    return out;
  };

  I.expose("structuredClone", function structuredClone(value: unknown, options?: { transfer?: unknown[] }) {
    if (options?.transfer !== undefined && [...options.transfer].length > 0)
      throw I.domError("structuredClone transfer lists are not supported", "DataCloneError");
    return clone(value, new Map());
  });
  return {};
}
