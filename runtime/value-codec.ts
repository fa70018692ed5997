/**
 * Host side of the boundary value format (the guest side is
 * runtime/prelude/pieces/codec.ts): JSON text where byte arrays travel beside
 * it, referenced as {"\u0000b": index}. Decoding yields only HostValue shapes.
 */
import type { HostValue } from "./host-types.js";

const BYTES = "\u0000b";
const UNDEFINED = "\u0000u";

export class BoundaryError extends Error {}

/** HostValue → [json | undefined, binaries]. Throws BoundaryError for values that are not HostValues. */
export function encodeValue(value: unknown): [string | undefined, Uint8Array[]] {
  const binaries: Uint8Array[] = [];
  const seen = new Set<object>();
  const walk = (v: unknown, inArray: boolean): unknown => {
    if (v === undefined) return inArray ? { [UNDEFINED]: 0 } : undefined;
    if (v === null || typeof v === "boolean" || typeof v === "string") return v;
    if (typeof v === "number") return Number.isFinite(v) ? v : null;
    if (v instanceof Uint8Array) return { [BYTES]: binaries.push(v) - 1 };
    if (typeof v !== "object") throw new BoundaryError(`a ${typeof v} cannot cross the sandbox boundary`);
    if (seen.has(v)) throw new BoundaryError("a cyclic value cannot cross the sandbox boundary");
    seen.add(v);
    let out: unknown;
    if (Array.isArray(v)) out = v.map((x) => walk(x, true));
    else if (v instanceof Date) out = v.toISOString();
    else {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null)
        throw new BoundaryError(
          `a ${proto?.constructor?.name ?? "object"} cannot cross the sandbox boundary`,
        );
      // No prototype: an own "__proto__" key (JSON.parse makes them) must stay a key, not set a prototype.
      const obj: Record<string, unknown> = Object.create(null);
      for (const key of Object.keys(v)) {
        const x = walk((v as Record<string, unknown>)[key], false);
        if (x !== undefined) obj[key] = x;
      }
      out = obj;
    }
    seen.delete(v);
    return out;
  };
  const tree = walk(value, false);
  return [tree === undefined ? undefined : JSON.stringify(tree), binaries];
}

/** [json, binaries] from the guest → HostValue. */
export function decodeValue(json: string | undefined, binaries: Uint8Array[]): HostValue {
  if (json === undefined) return undefined;
  return JSON.parse(json, (_key, v: unknown) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === BYTES) {
        const bytes = binaries[(v as Record<string, number>)[BYTES]!];
        if (bytes === undefined) throw new BoundaryError("a byte reference points to no bytes");
        return bytes;
      }
      if (keys.length === 1 && keys[0] === UNDEFINED) return undefined;
    }
    return v;
  }) as HostValue;
}
