#!/usr/bin/env node
/**
 * Which interfaces and globals of the WinterTC Minimum Common API a PiCloud sandbox has (both
 * isolation modes), next to Node's own globals in a vm context. Prints a Markdown table.
 *
 *   npm run build && node test/wpt/min-common-api.mjs
 *
 * Per interface: present, its `name`, and the `Object.prototype.toString` tag of its prototype.
 */
import { dirname, join, resolve } from "node:path";
import vm from "node:vm";

const INTERFACES = [
  "AbortController",
  "AbortSignal",
  "Blob",
  "ByteLengthQueuingStrategy",
  "CompressionStream",
  "CountQueuingStrategy",
  "Crypto",
  "CryptoKey",
  "CustomEvent",
  "DecompressionStream",
  "DOMException",
  "ErrorEvent",
  "Event",
  "EventTarget",
  "File",
  "FormData",
  "Headers",
  "Performance",
  "PromiseRejectionEvent",
  "ReadableByteStreamController",
  "ReadableStream",
  "ReadableStreamBYOBReader",
  "ReadableStreamBYOBRequest",
  "ReadableStreamDefaultController",
  "ReadableStreamDefaultReader",
  "Request",
  "Response",
  "SubtleCrypto",
  "TextDecoder",
  "TextDecoderStream",
  "TextEncoder",
  "TextEncoderStream",
  "TransformStream",
  "TransformStreamDefaultController",
  "URL",
  "URLPattern",
  "URLSearchParams",
  "WebAssembly",
  "WritableStream",
  "WritableStreamDefaultController",
  "WritableStreamDefaultWriter",
];
/** Globals checked by an expression: its value's type ("undefined" = missing). */
const GLOBALS = {
  "atob()": "typeof atob",
  "btoa()": "typeof btoa",
  console: "typeof console",
  crypto: "typeof crypto",
  "crypto.subtle": "typeof (typeof crypto === 'object' ? crypto.subtle : undefined)",
  "crypto.randomUUID()": "typeof (typeof crypto === 'object' ? crypto.randomUUID : undefined)",
  "fetch()": "typeof fetch",
  "navigator.userAgent": "typeof (typeof navigator === 'object' ? navigator.userAgent : undefined)",
  onerror: "'onerror' in globalThis ? 'property' : 'undefined'",
  onunhandledrejection: "'onunhandledrejection' in globalThis ? 'property' : 'undefined'",
  onrejectionhandled: "'onrejectionhandled' in globalThis ? 'property' : 'undefined'",
  "performance.now()": "typeof (typeof performance === 'object' ? performance.now : undefined)",
  "performance.timeOrigin": "typeof (typeof performance === 'object' ? performance.timeOrigin : undefined)",
  "queueMicrotask()": "typeof queueMicrotask",
  "reportError()": "typeof reportError",
  "setTimeout() / clearTimeout()":
    "typeof setTimeout === typeof clearTimeout ? typeof setTimeout : 'undefined'",
  "setInterval() / clearInterval()":
    "typeof setInterval === typeof clearInterval ? typeof setInterval : 'undefined'",
  "structuredClone()": "typeof structuredClone",
  self: "typeof self",
};

const PROBE = `(() => {
  const out = {};
  for (const name of ${JSON.stringify(INTERFACES)}) {
    const value = globalThis[name];
    if (value === undefined) { out[name] = null; continue; }
    let tag = "";
    try { tag = typeof value === "function" ? Object.prototype.toString.call(value.prototype).slice(8, -1) : Object.prototype.toString.call(value).slice(8, -1); } catch (e) { tag = "?"; }
    out[name] = { type: typeof value, name: typeof value === "function" ? value.name : "", tag };
  }
  const globals = {};
  for (const [label, expr] of Object.entries(${JSON.stringify(GLOBALS)})) {
    try { globals[label] = (0, eval)(expr); } catch (e) { globals[label] = "error: " + e.message; }
  }
  return { interfaces: out, globals };
})()`;

const dist = resolve(dirname(new URL(import.meta.url).pathname), "../../dist/runtime");
const { createSandboxHost } = await import(join(dist, "index.js"));
const { inGuest } = await import(join(dist, "testing/jobs.js"));

const columns = {};
for (const [label, snapshots] of [
  ["PiCloud (snapshot sandboxes)", true],
  ["PiCloud (classic contexts)", false],
]) {
  const host = createSandboxHost({ maxConcurrent: 1, snapshots });
  columns[label] = await inGuest(host, `return ${PROBE}`);
  await host.dispose();
}
const context = vm.createContext({});
const own = new Set(vm.runInContext("Object.getOwnPropertyNames(globalThis)", context));
for (const name of Object.getOwnPropertyNames(globalThis)) {
  if (own.has(name) || name === "global" || name === "process" || name === "require") continue;
  // Accessors (crypto, navigator) check their receiver: copy their value instead.
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, name);
  if (descriptor?.get)
    Object.defineProperty(context, name, { value: globalThis[name], writable: true, configurable: true });
  else if (descriptor) Object.defineProperty(context, name, descriptor);
}
columns["Node 20 vm"] = vm.runInContext(PROBE, context);

const labels = Object.keys(columns);
const cell = (entry, name) => {
  if (!entry) return "missing";
  const notes = [];
  if (entry.type === "function" && entry.name !== name) notes.push(`name "${entry.name}"`);
  if (entry.type === "function" && entry.tag !== name && entry.tag !== "Object")
    notes.push(`tag ${entry.tag}`);
  if (entry.type === "function" && entry.tag === "Object") notes.push("no tag");
  return notes.length === 0 ? "yes" : `yes (${notes.join(", ")})`;
};
console.log(`| interface | ${labels.join(" | ")} |`);
console.log(`| --- | ${labels.map(() => "---").join(" | ")} |`);
for (const name of INTERFACES)
  console.log(`| ${name} | ${labels.map((l) => cell(columns[l].interfaces[name], name)).join(" | ")} |`);
console.log("");
console.log(`| global | ${labels.join(" | ")} |`);
console.log(`| --- | ${labels.map(() => "---").join(" | ")} |`);
for (const name of Object.keys(GLOBALS))
  console.log(
    `| ${name} | ${labels
      .map((l) => {
        const t = columns[l].globals[name];
        return t === "undefined" ? "missing" : t.startsWith("error") ? t : `yes (${t})`;
      })
      .join(" | ")} |`,
  );
process.exit(0);
