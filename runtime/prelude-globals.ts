/**
 * Which Web globals a script mentions. Defining a global costs about a µs per
 * name in every context, so a context only gets the globals its script's
 * source names (a word match over the script and its modules, cached per
 * version); a script that reaches globals by computed names
 * (`globalThis[name]`) gets them all.
 */
import type { ScriptSource } from "./execution-types.js";

/** The Web globals the prelude defines (prelude/pieces expose them). */
const GLOBALS = new Set([
  "Headers",
  "Request",
  "Response",
  "URL",
  "URLSearchParams",
  "TextEncoder",
  "TextDecoder",
  "atob",
  "btoa",
  "crypto",
  "Crypto",
  "CryptoKey",
  "SubtleCrypto",
  "structuredClone",
  "Event",
  "EventTarget",
  "AbortController",
  "AbortSignal",
  "DOMException",
  "Blob",
  "File",
  "FormData",
  "ReadableStream",
  "ReadableStreamDefaultReader",
  "fetch",
  "console",
  "setTimeout",
  "clearTimeout",
  "setInterval",
  "clearInterval",
  "queueMicrotask",
  "performance",
  "navigator",
]);

/** Every global, in the form the guest core's begin() takes. */
export const ALL_GLOBALS = "*";

const WORD = /[A-Za-z_$][\w$]*/g;
/** globalThis[x], self[x], window[x], global[x], Reflect.get(globalThis…: names we cannot see. */
const COMPUTED =
  /\b(?:globalThis|self|window|global)\s*\[|Reflect\s*\.\s*(?:get|has|ownKeys)\s*\(\s*(?:globalThis|self|window|global)\b|Object\s*\.\s*(?:keys|entries|getOwnPropertyNames)\s*\(\s*(?:globalThis|self|window|global)\b/;

/** Names of prelude globals in `sources`, or null when the sources may reach any global. */
function scan(sources: string[]): Set<string> | null {
  if (sources.some((source) => COMPUTED.test(source))) return null;
  const names = new Set<string>();
  for (const source of sources)
    for (const match of source.matchAll(WORD)) if (GLOBALS.has(match[0])) names.add(match[0]);
  return names;
}

function spec(names: Set<string>): string {
  return [...names].join(",");
}

const MAX_CACHED = 512;
const scripts = new Map<
  string,
  { source: string; modules: Record<string, string> | undefined; names: Set<string> | null }
>();
const snippets = new Map<string, Set<string> | null>();

function remember<K, V>(cache: Map<K, V>, key: K, value: V): V {
  cache.delete(key);
  cache.set(key, value);
  if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
  return value;
}

/** The globals `script` and its bindings' guest sources name, as "Name,…" or "*" for all (cached). */
export function globalsFor(script: ScriptSource, bindings: readonly { guestSource: string }[] = []): string {
  const hit = scripts.get(script.versionId);
  let names =
    hit && hit.source === script.source && hit.modules === script.modules
      ? hit.names
      : remember(scripts, script.versionId, {
          source: script.source,
          modules: script.modules,
          names: scan([script.source, ...Object.values(script.modules ?? {})]),
        }).names;
  for (const binding of bindings) {
    if (names === null) break;
    const found = snippets.has(binding.guestSource)
      ? snippets.get(binding.guestSource)!
      : remember(snippets, binding.guestSource, scan([binding.guestSource]));
    names = found === null ? null : new Set([...names, ...found]);
  }
  return names === null ? ALL_GLOBALS : spec(names);
}
