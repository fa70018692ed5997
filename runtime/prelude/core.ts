/**
 * Guest bootstrap of the shared prelude realm: one QuickJS context per
 * runtime, kept for the runtime's life. boot() installs every piece once
 * (compiling JavaScript is the dominant cost in QuickJS, so it is paid once
 * per runtime instead of once per execution), then seals the realm
 * (lockdown.ts). Each execution gets a fresh context of the same runtime:
 * adopt() prepares it, begin() binds the shared code to its intrinsics and
 * defines the Web globals its script names, run()/fire() drive it, end()
 * unbinds it. One execution runs on a runtime at a time.
 */
import { Op } from "../ops.js";
import { ARRAY_LOOPS, arrayGuards } from "./array-guard.js";
import type { CoreExports, Exec, Host, Internals, PieceName, Realm } from "./internals.js";
import { lockdown } from "./lockdown.js";

interface Meta {
  /** entry */
  e: "fetch" | "scheduled" | "trigger" | "email";
  /** execution token */
  t: number;
  /** vars: a fresh object, handed to the script as env */
  v: Record<string, unknown>;
  /** binding names */
  b: string[];
  /** ctx fields: a fresh object, handed to the script as ctx */
  x: Record<string, unknown>;
  /** fetch: [method, url, headers flat] */
  r?: [string, string, string[]];
  /** scheduled: [cron, scheduledTime] */
  s?: [string, number];
  /** trigger/email input, codec JSON */
  i?: string;
  /** maxResponseBytes */
  m: number;
}

interface FetchPiece {
  requestFromHost(r: [string, string, string[]], body: ArrayBuffer | undefined): unknown;
  /** Sends the Response; a promise only when its body had to be read first. */
  respond(result: unknown, maxBytes: number): Promise<void> | undefined;
}

interface CodecPiece {
  bindEnv(env: Record<string, unknown>, names: string[], token: number): void;
  input(
    entry: string,
    scheduled: [string, number] | undefined,
    json: string | undefined,
    bins: ArrayBuffer[] | undefined,
    env: Record<string, unknown>,
  ): unknown;
  output(entry: string, result: unknown): void;
}

type GlobalEntry =
  | { value: unknown }
  | { make: (exec: Exec) => unknown; get: () => unknown; set: (value: unknown) => void };

/** Not rebound per execution: names the shared code must not use, and the immutable primitives. */
const NOT_REBOUND = ["globalThis", "eval", "undefined", "NaN", "Infinity"];

/**
 * Boots the realm: installs `pieces` ("name,name,…") and seals. `words` lists every identifier
 * the prelude's code contains; only the realm's globals among them are rebound per execution.
 */
export default function boot(host: Host, pieces: string, words: string): CoreExports {
  // The shared realm's own intrinsics, for the core's bookkeeping: after sealing, free references
  // to globals resolve to the running execution's (script-controlled) intrinsics, or to nothing.
  const PG = globalThis as unknown as Record<PropertyKey, unknown>;
  const { create, defineProperty, getPrototypeOf, hasOwn, keys } = Object;
  const apply = Reflect.apply;
  const SharedMap = Map;
  const sharedObjectPrototype = Object.prototype;
  const used = new Set(words.split(","));
  const REBOUND = Object.getOwnPropertyNames(PG).filter(
    (name) => used.has(name) && !NOT_REBOUND.includes(name),
  );
  const GUARDED = ARRAY_LOOPS.split(",");

  const loaded: Record<string, unknown> = create(null);
  const globals: Record<string, GlobalEntry> = create(null);
  const shared: unknown[] = [];
  /** The running execution's state, and the context it runs in; null between executions. */
  let exec: Exec | null = null;
  let realm: Realm | null = null;

  const define = (target: object, name: PropertyKey, value: unknown): void => {
    defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });
  };

  const current = (): Exec => {
    if (exec === null) throw new TypeError("The sandbox has no running execution");
    return exec;
  };

  const load = <T>(name: PieceName): T => {
    let piece = loaded[name];
    if (piece === undefined) {
      const install = host(Op.Load, name) as (internals: Internals) => unknown;
      piece = install(I) ?? {};
      loaded[name] = piece;
    }
    return piece as T;
  };

  const lazy = <T>(name: string): T => {
    const x = current();
    const key = `global:${name}`;
    let value = x.own[key];
    if (value === undefined) {
      const entry = globals[name];
      if (!entry || !("make" in entry)) throw new TypeError(`prelude: ${name} is not a lazy global`);
      value = entry.make(x);
      x.own[key] = value;
    }
    return value as T;
  };

  const describe = (value: unknown): string => {
    if (typeof value === "string") return value;
    if (value === null || (typeof value !== "object" && typeof value !== "function")) return String(value);
    return load<{ inspect(v: unknown): string }>("inspect").inspect(value);
  };

  const I: Internals = {
    host,
    load,
    peek: load,
    exec: current,
    token: () => current().token,
    define,
    expose(name, value) {
      globals[name] = { value };
      shared.push(value);
    },
    exposeLazy(name, make) {
      const entry: GlobalEntry = {
        make,
        get() {
          const value = lazy(name);
          define(current().g, name, value);
          return value;
        },
        set(value) {
          define(current().g, name, value);
        },
      };
      globals[name] = entry;
      shared.push(entry.get, entry.set);
    },
    lazy,
    share(value) {
      shared.push(value);
    },
    domError(message, name) {
      const DOMException = lazy<new (m: string, n: string) => Error>("DOMException");
      return new DOMException(message, name);
    },
    waitUntil(promise) {
      const t = current().token;
      host(Op.WaitAdd, t);
      Promise.resolve(promise).then(
        () => host(Op.WaitDone, t),
        (e) => host(Op.WaitDone, t, failureText(e)),
      );
    },
    describe,
    toHost: (text) => (text.includes("\0") ? [JSON.stringify(text), true] : [text, false]),
    log: (level, message) => host(Op.Log, level, ...I.toHost(message)),
    fromHost: (result) => (typeof result === "string" ? result : JSON.parse((result as string[])[0]!)),
    promise: (value) => Promise.resolve(value),
    isPlain(value) {
      const proto = getPrototypeOf(value);
      return proto === null || proto === Object.prototype || proto === sharedObjectPrototype;
    },
  };

  const failureText = (e: unknown): string => {
    const [name, message] = errorParts(e);
    return `${name}: ${message}`;
  };

  const errorParts = (e: unknown): [string, string, string] => {
    try {
      if (e !== null && typeof e === "object" && typeof (e as Error).message === "string") {
        const err = e as Error;
        const stack = typeof err.stack === "string" ? err.stack : "";
        return [typeof err.name === "string" ? err.name : "Error", err.message, stack];
      }
      return ["Error", `Uncaught ${describe(e)}`, ""];
    } catch {
      return ["Error", "Uncaught exception (not printable)", ""];
    }
  };

  for (const name of pieces.split(",")) load(name as PieceName);

  // Arrays of the shared realm reach scripts too (literals in prelude code): guard them with
  // the realm's own natives; each context's arrays get guards that call that context's natives.
  const sharedArrayPrototype = Array.prototype as unknown as Record<string, unknown>;
  const sharedNatives: Record<string, (...args: unknown[]) => unknown> = create(null);
  for (const name of GUARDED) {
    const native = sharedArrayPrototype[name];
    if (typeof native === "function") sharedNatives[name] = native as (...args: unknown[]) => unknown;
  }
  const sharedGuards = arrayGuards(GUARDED, (name) => sharedNatives[name], apply);
  for (const name of GUARDED) if (sharedNatives[name]) define(sharedArrayPrototype, name, sharedGuards[name]);
  const contextGuards = arrayGuards(GUARDED, (name) => realm?.natives[name], apply);
  shared.push(contextGuards);

  const passThroughOnException = function passThroughOnException(): void {};
  shared.push(passThroughOnException);
  lockdown(PG, REBOUND, shared);

  /** Defines the globals named in `spec` that the context does not have yet. */
  const expose = (g: Record<PropertyKey, unknown>, spec: string): void => {
    if (!spec) return;
    const names = spec === "*" ? keys(globals) : spec.split(",");
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const entry = globals[name];
      if (entry === undefined || hasOwn(g, name)) continue;
      if ("value" in entry) define(g, name, entry.value);
      else defineProperty(g, name, { configurable: true, enumerable: false, get: entry.get, set: entry.set });
    }
  };

  const fail = (e: unknown): void => {
    const [name, message, stack] = errorParts(e);
    host(Op.Fail, name, message, stack);
  };

  const isThenable = (value: unknown): value is PromiseLike<unknown> =>
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function";

  /**
   * Runs one execution's entry point. A handler that returns a Response (not a promise) whose
   * body needs no reading is answered synchronously; otherwise the result is a promise the host
   * polls. Every failure is reported through Op.Fail.
   */
  const run = (metaJson: string, ns: unknown, body?: ArrayBuffer, bins?: ArrayBuffer[]): unknown => {
    const x = current();
    try {
      const m = JSON.parse(metaJson) as Meta;
      const handler = ns == null ? undefined : (ns as { default?: Record<string, unknown> }).default;
      const fn = handler == null ? undefined : handler[m.e];
      if (typeof fn !== "function") {
        host(
          Op.Fail,
          "Error",
          `The script has no ${m.e}() entry point (export default { ${m.e}(...) {…} })`,
          "",
        );
        return undefined;
      }
      const ctx = m.x;
      ctx.waitUntil = function waitUntil(promise: unknown) {
        if (exec !== x) throw new Error("ctx.waitUntil() called after its execution ended");
        I.waitUntil(promise);
      };
      ctx.passThroughOnException = passThroughOnException;
      const fetch = m.e === "fetch";
      const env = m.v;
      if (m.b.length > 0) load<CodecPiece>("codec").bindEnv(env, m.b, m.t);
      const input = fetch
        ? load<FetchPiece>("fetch").requestFromHost(m.r!, body)
        : load<CodecPiece>("codec").input(m.e, m.s, m.i, bins, env);
      const finish = (result: unknown): unknown => {
        if (!fetch) return load<CodecPiece>("codec").output(m.e, result);
        const sent = load<FetchPiece>("fetch").respond(result, m.m);
        return sent === undefined ? undefined : Promise.resolve(sent).then(undefined, fail);
      };
      const result = (fn as (a: unknown, b: unknown, c: unknown) => unknown).call(handler, input, env, ctx);
      if (!isThenable(result)) return finish(result);
      return Promise.resolve(result).then(finish).then(undefined, fail);
    } catch (e) {
      fail(e);
      return undefined;
    }
  };

  return {
    adopt(g) {
      const values: unknown[] = [];
      for (let i = 0; i < REBOUND.length; i++) values.push((g as Record<string, unknown>)[REBOUND[i]!]);
      const arrayPrototype = (g as { Array: { prototype: Record<string, unknown> } }).Array.prototype;
      const natives: Realm["natives"] = create(null);
      for (let i = 0; i < GUARDED.length; i++) {
        const name = GUARDED[i]!;
        const native = arrayPrototype[name];
        if (typeof native !== "function") continue;
        natives[name] = native as (...args: unknown[]) => unknown;
        arrayPrototype[name] = contextGuards[name];
      }
      return { g: g as Record<PropertyKey, unknown>, values, natives };
    },
    begin(r, token, spec) {
      realm = r;
      const values = r.values;
      for (let i = 0; i < REBOUND.length; i++) PG[REBOUND[i]!] = values[i];
      exec = { token, g: r.g, timers: new SharedMap(), nextTimer: 1, own: create(null) };
      expose(r.g, spec);
    },
    run,
    fire(id) {
      const callback = exec?.timers.get(id);
      if (callback) callback();
    },
    end() {
      exec = null;
      realm = null;
      for (let i = 0; i < REBOUND.length; i++) PG[REBOUND[i]!] = undefined;
    },
  };
}
