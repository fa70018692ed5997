/**
 * Piece "inspect": readable one-line (or short multi-line) renderings of
 * values for console output, in the spirit of Node's util.inspect: nested
 * depth 2, at most 100 items per collection, cycles marked.
 */
import type { Internals } from "../internals.js";
import type { InspectPiece } from "../piece-types.js";

const MAX_DEPTH = 2;
const MAX_ITEMS = 100;
const MAX_STRING = 10_000;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

export default function install(_I: Internals): InspectPiece {
  const quote = (s: string): string => {
    const text =
      s.length > MAX_STRING ? `${s.slice(0, MAX_STRING)}... ${s.length - MAX_STRING} more characters` : s;
    return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n")}'`;
  };

  const key = (k: string): string => (IDENTIFIER.test(k) ? k : quote(k));

  const wrap = (open: string, items: string[], close: string, more: number): string => {
    const all = more > 0 ? [...items, `... ${more} more item${more > 1 ? "s" : ""}`] : items;
    if (all.length === 0) return `${open}${close}`;
    const line = `${open} ${all.join(", ")} ${close}`;
    if (line.length <= 80 && !line.includes("\n")) return line;
    return `${open}\n${all.map((item) => `  ${item.replace(/\n/g, "\n  ")}`).join(",\n")}\n${close}`;
  };

  const errorText = (e: Error): string => {
    let head: string;
    try {
      head = `${String(e.name)}: ${String(e.message)}`;
    } catch {
      head = "Error";
    }
    const stack = typeof e.stack === "string" ? e.stack.trimEnd() : "";
    return stack && !stack.startsWith(head) ? `${head}\n${stack}` : stack || head;
  };

  const tagOf = (v: object): string | undefined => {
    const tag = (v as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag];
    return typeof tag === "string" ? tag : undefined;
  };

  const inspectValue = (v: unknown, depth: number, seen: object[]): string => {
    switch (typeof v) {
      case "string":
        return depth === 0 ? v : quote(v);
      case "number":
        return Object.is(v, -0) ? "-0" : String(v);
      case "bigint":
        return `${v}n`;
      case "symbol":
        return v.toString();
      case "undefined":
        return "undefined";
      case "boolean":
        return String(v);
      case "function": {
        const name = (v as { name?: unknown }).name;
        const isClass = /^class[\s{]/.test(Function.prototype.toString.call(v));
        if (isClass) return `[class ${typeof name === "string" && name ? name : "(anonymous)"}]`;
        return typeof name === "string" && name ? `[Function: ${name}]` : "[Function (anonymous)]";
      }
    }
    if (v === null) return "null";
    const obj = v as object;
    if (seen.includes(obj)) return "[Circular]";
    if (obj instanceof Error) return depth === 0 ? errorText(obj) : `[${errorText(obj).split("\n")[0]}]`;
    if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? "Invalid Date" : obj.toISOString();
    if (obj instanceof RegExp) return String(obj);
    if (obj instanceof Promise) return "Promise { <unknown> }";
    if (obj instanceof WeakMap || obj instanceof WeakSet)
      return `${obj instanceof WeakMap ? "WeakMap" : "WeakSet"} { <items unknown> }`;
    const next = [...seen, obj];
    const nested = (x: unknown) => inspectValue(x, depth + 1, next);
    if (obj instanceof ArrayBuffer) {
      const bytes = [...new Uint8Array(obj, 0, Math.min(obj.byteLength, 50))].map((b) =>
        b.toString(16).padStart(2, "0"),
      );
      return `ArrayBuffer { [Uint8Contents]: <${bytes.join(" ")}${obj.byteLength > 50 ? " ..." : ""}>, byteLength: ${obj.byteLength} }`;
    }
    if (ArrayBuffer.isView(obj) && !(obj instanceof DataView)) {
      const array = obj as unknown as ArrayLike<number | bigint>;
      if (depth > MAX_DEPTH) return `[${tagOf(obj)}]`;
      const items = Array.from({ length: Math.min(array.length, MAX_ITEMS) }, (_, i) => nested(array[i]));
      return wrap(`${tagOf(obj)}(${array.length}) [`, items, "]", array.length - items.length);
    }
    if (Array.isArray(obj)) {
      if (depth > MAX_DEPTH) return "[Array]";
      const items: string[] = [];
      for (let i = 0; i < Math.min(obj.length, MAX_ITEMS); i++)
        items.push(i in obj ? nested(obj[i]) : "<empty>");
      return wrap("[", items, "]", obj.length - items.length);
    }
    if (obj instanceof Map) {
      if (depth > MAX_DEPTH) return "[Map]";
      const items = [...obj].slice(0, MAX_ITEMS).map(([k, x]) => `${nested(k)} => ${nested(x)}`);
      return wrap(`Map(${obj.size}) {`, items, "}", obj.size - items.length);
    }
    if (obj instanceof Set) {
      if (depth > MAX_DEPTH) return "[Set]";
      const items = [...obj].slice(0, MAX_ITEMS).map(nested);
      return wrap(`Set(${obj.size}) {`, items, "}", obj.size - items.length);
    }
    const tag = tagOf(obj);
    if (tag === "URL") return `URL '${String(obj)}'`;
    if (tag === "URLSearchParams" || tag === "Headers" || tag === "FormData") {
      if (depth > MAX_DEPTH) return `[${tag}]`;
      const items = [...(obj as Iterable<[string, unknown]>)].map(([k, x]) => `${quote(k)} => ${nested(x)}`);
      return wrap(`${tag} {`, items, "}", 0);
    }
    if (tag === "Request" || tag === "Response") {
      const r = obj as Record<string, unknown>;
      const fields =
        tag === "Request"
          ? ["method", "url", "headers", "bodyUsed"]
          : ["status", "statusText", "headers", "bodyUsed"];
      return wrap(
        `${tag} {`,
        fields.map((f) => `${f}: ${nested(r[f])}`),
        "}",
        0,
      );
    }
    const proto = Object.getPrototypeOf(obj) as { constructor?: { name?: unknown } } | null;
    const ctorName = proto === null ? "[Object: null prototype]" : proto.constructor?.name;
    const prefix =
      proto === null
        ? "[Object: null prototype] "
        : typeof ctorName === "string" && ctorName !== "Object"
          ? `${ctorName} `
          : tag
            ? `Object [${tag}] `
            : "";
    if (depth > MAX_DEPTH) return `[${prefix.trim() || "Object"}]`;
    const keys = Object.keys(obj);
    const items = keys.slice(0, MAX_ITEMS).map((k) => {
      const desc = Object.getOwnPropertyDescriptor(obj, k);
      if (desc && (desc.get || desc.set))
        return `${key(k)}: [${desc.get ? (desc.set ? "Getter/Setter" : "Getter") : "Setter"}]`;
      return `${key(k)}: ${nested((obj as Record<string, unknown>)[k])}`;
    });
    return wrap(`${prefix}{`, items, "}", keys.length - items.length);
  };

  const inspect = (value: unknown): string => {
    try {
      return inspectValue(value, 0, []);
    } catch {
      return "[object (not printable)]";
    }
  };

  const format = (args: unknown[]): string => {
    const first = args[0];
    let rest = args;
    let head = "";
    if (typeof first === "string" && first.includes("%") && args.length > 1) {
      let index = 1;
      head = first.replace(/%[sdifjoOc%]/g, (directive) => {
        if (directive === "%%") return "%";
        if (index >= args.length) return directive;
        const arg = args[index++];
        switch (directive) {
          case "%s":
            return typeof arg === "string"
              ? arg
              : typeof arg === "object" && arg !== null
                ? inspect(arg)
                : String(arg);
          case "%d":
          case "%i": {
            const n = typeof arg === "bigint" ? arg : Number(arg);
            return typeof n === "bigint" ? `${n}n` : String(directive === "%i" ? Math.trunc(n) : n);
          }
          case "%f":
            return String(Number(arg));
          case "%j":
            try {
              return JSON.stringify(arg) ?? "undefined";
            } catch {
              return "[Circular]";
            }
          case "%c":
            return "";
          default:
            return inspectValue(arg, 1, []);
        }
      });
      rest = args.slice(index);
    } else if (args.length > 0) {
      head = inspect(first);
      rest = args.slice(1);
    }
    const tail = rest.map((arg) => inspect(arg));
    return [head, ...tail].join(" ");
  };

  return { inspect, format };
}
