/**
 * Guest bootstrap, evaluated into every context: it installs the Web globals
 * as lazy getters (each piece is compiled only when a script first touches
 * one of its names — compiling is the dominant per-context cost in QuickJS)
 * and exposes run()/fire()/end() to the host. Kept deliberately small: every
 * function here is compiled for every execution.
 */
import { Op } from "../ops.js";
import type { CoreExports, Host, Internals, PieceName } from "./internals.js";

/** Array methods whose native loop runs to `length` without polling the interrupt handler. */
const ARRAY_LOOPS =
  "concat,copyWithin,every,fill,filter,flat,flatMap,forEach,includes,indexOf,join,lastIndexOf,map,reduce," +
  "reduceRight,reverse,shift,unshift,slice,some,sort,splice,toLocaleString,toReversed,toSorted,toSpliced,with";
const HUGE_ARRAY = 2 ** 24;

interface Meta {
  /** entry */
  e: "fetch" | "scheduled" | "trigger" | "email";
  /** execution token */
  t: number;
  /** vars */
  v: Record<string, string>;
  /** binding names */
  b: string[];
  /** [executionId, rootExecutionId, depth] */
  c: [string, string, number];
  /** params */
  p: Record<string, string>;
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
  respond(result: unknown, maxBytes: number): Promise<void>;
}

interface CodecPiece {
  bindEnv(env: Record<string, unknown>, names: string[], token: number): void;
  input(
    entry: string,
    scheduled: [string, number] | undefined,
    json: string | undefined,
    bins: ArrayBuffer[] | undefined,
  ): unknown;
  output(entry: string, result: unknown): void;
}

export default function boot(host: Host): CoreExports {
  const g = globalThis as unknown as Record<PropertyKey, unknown>;
  const loaded: Record<string, unknown> = Object.create(null);
  let token = 0;

  const define = (target: object, name: PropertyKey, value: unknown): void => {
    Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });
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

  const describe = (value: unknown): string => {
    if (typeof value === "string") return value;
    if (value === null || (typeof value !== "object" && typeof value !== "function")) return String(value);
    return load<{ inspect(v: unknown): string }>("inspect").inspect(value);
  };

  const I: Internals = {
    host,
    g,
    load,
    peek: <T>(name: PieceName) => loaded[name] as T | undefined,
    token: () => token,
    define,
    domError(message, name) {
      load("events");
      const DOMException = g.DOMException as new (m: string, n: string) => Error;
      return new DOMException(message, name);
    },
    timers: new Map(),
    waitUntil(promise) {
      const t = token;
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

  // Native array loops never poll the interrupt handler (quickjs-emscripten #219): on a sparse
  // array of length 1e9 they would block the process for minutes. No dense array that large fits
  // in a sandbox's memory, so such lengths are refused before the native loop starts.
  const AP = Array.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const tooLong = (value: unknown): boolean =>
    value != null &&
    (value as { length?: unknown }).length !== undefined &&
    Number((value as { length: unknown }).length) > HUGE_ARRAY;
  for (const name of ARRAY_LOOPS.split(",")) {
    const native = AP[name];
    if (typeof native !== "function") continue;
    define(
      AP,
      name,
      {
        [name](this: unknown, ...args: unknown[]) {
          if (tooLong(this) || (name === "concat" && args.some(tooLong)))
            throw new RangeError(
              `Array.prototype.${name} on more than ${HUGE_ARRAY} elements is not allowed in the sandbox`,
            );
          return native.apply(this, args);
        },
      }[name],
    );
  }

  /** Lazy getters for the globals named in `spec` ("piece:Name,Name;…") that are not defined yet. */
  const expose = (spec: string): void => {
    if (!spec) return;
    for (const group of spec.split(";")) {
      const [piece, names] = group.split(":") as [PieceName, string];
      for (const name of names.split(",")) {
        if (Object.hasOwn(g, name)) continue;
        Object.defineProperty(g, name, {
          configurable: true,
          enumerable: false,
          get() {
            load(piece);
            const desc = Object.getOwnPropertyDescriptor(g, name);
            if (!desc || desc.get) throw new Error(`prelude: ${name} was not installed`);
            return desc.value;
          },
          set(value) {
            define(g, name, value);
          },
        });
      }
    }
  };

  const run = async (
    metaJson: string,
    ns: unknown,
    body?: ArrayBuffer,
    bins?: ArrayBuffer[],
  ): Promise<void> => {
    const m = JSON.parse(metaJson) as Meta;
    try {
      const handler = ns == null ? undefined : (ns as { default?: Record<string, unknown> }).default;
      const fn = handler == null ? undefined : handler[m.e];
      if (typeof fn !== "function") {
        host(
          Op.Fail,
          "Error",
          `The script has no ${m.e}() entry point (export default { ${m.e}(...) {…} })`,
          "",
        );
        return;
      }
      const t = m.t;
      const ctx = {
        waitUntil(promise: unknown) {
          if (t !== token) throw new Error("ctx.waitUntil() called after its execution ended");
          I.waitUntil(promise);
        },
        passThroughOnException() {},
        executionId: m.c[0],
        rootExecutionId: m.c[1],
        depth: m.c[2],
        params: m.p,
      };
      const fetch = m.e === "fetch";
      const env = Object.assign({}, m.v);
      if (m.b.length > 0) load<CodecPiece>("codec").bindEnv(env, m.b, t);
      const input = fetch
        ? load<FetchPiece>("fetch").requestFromHost(m.r!, body)
        : load<CodecPiece>("codec").input(m.e, m.s, m.i, bins);
      const result = await (fn as (a: unknown, b: unknown, c: unknown) => unknown).call(
        handler,
        input,
        env,
        ctx,
      );
      if (fetch) await load<FetchPiece>("fetch").respond(result, m.m);
      else load<CodecPiece>("codec").output(m.e, result);
    } catch (e) {
      const [name, message, stack] = errorParts(e);
      host(Op.Fail, name, message, stack);
    }
  };

  return {
    run,
    begin(t, spec) {
      token = t;
      expose(spec);
    },
    fire(id) {
      const callback = I.timers.get(id);
      if (callback) callback();
    },
    end() {
      token = 0;
      I.timers.clear();
    },
  };
}
