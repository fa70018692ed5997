/**
 * Types shared by the guest prelude pieces. The prelude lives in one shared
 * realm per QuickJS runtime (see core.ts): every piece is evaluated there once
 * and sealed, and executions run in their own fresh contexts that receive the
 * pieces' objects. Pieces share code only through the `Internals` object the
 * core hands them, never through imports of runtime values.
 *
 * Rules for prelude code, which the realm's isolation depends on:
 * - Module-level and install-time objects are shared by every execution of the
 *   runtime and are frozen when the realm is sealed; nothing shared may change
 *   after install. Per-execution state lives on `I.exec()`, a fresh object per
 *   execution.
 * - Free references to ECMAScript globals (`Uint8Array`, `TypeError`, `JSON`,
 *   `Promise`, `Object`, …) resolve to the running execution's own intrinsics,
 *   so values the prelude makes with them belong to the script's realm.
 *   Literals (`{}`, `[]`), `async` functions and regular expressions still
 *   belong to the shared realm: values handed to a script are built with the
 *   execution's constructors (`Array.of()`, `new Object()`, `JSON.parse`,
 *   `I.promise(…)`; not `new Array()`, which the linter's fix turns into `[]`).
 * - Shared code never uses `globalThis`: the execution's global is `I.exec().g`.
 */
import type { Op } from "../ops.js";

/** The one host function: `host(op, ...args)`. */
export type Host = (op: Op, ...args: unknown[]) => unknown;

export type PieceName =
  | "fetch"
  | "fetch-body"
  | "url"
  | "encoding"
  | "crypto"
  | "clone"
  | "events"
  | "blob"
  | "streams"
  | "outbound"
  | "console"
  | "timers"
  | "inspect"
  | "codec";

export type Bytes = Uint8Array<ArrayBuffer>;

/** What one execution owns in the shared realm; a fresh object per execution. */
export interface Exec {
  /** The token the host checks on execution-bound calls (a stale env/ctx from a reused context is refused). */
  token: number;
  /** The execution's global object. */
  g: Record<PropertyKey, unknown>;
  /** Timer callbacks by id, fired by the host through the core's fire(). */
  timers: Map<number, () => void>;
  nextTimer: number;
  /** Per-execution state of the pieces, by key (console counters, the DOMException class, …). */
  own: Record<string, unknown>;
}

export interface Internals {
  host: Host;
  /** A piece's exports (every piece is installed when the realm boots). */
  load<T = unknown>(name: PieceName): T;
  /** Same as load(): kept for pieces that only need another piece's helpers when it is in use. */
  peek<T = unknown>(name: PieceName): T | undefined;
  /** The running execution (throws outside of one). */
  exec(): Exec;
  /** The running execution's token. */
  token(): number;
  /** Defines a property the way Web IDL does: writable, configurable, not enumerable. */
  define(target: object, name: PropertyKey, value: unknown): void;
  /** Declares a Web global shared by every execution (frozen when the realm is sealed). */
  expose(name: string, value: unknown): void;
  /**
   * Declares a Web global each execution makes for itself on first use: per-execution state
   * (console), or a class extending the execution's own intrinsics (DOMException extends Error).
   */
  exposeLazy(name: string, make: (exec: Exec) => unknown): void;
  /** This execution's value of a global declared with exposeLazy (made on first use). */
  lazy<T = unknown>(name: string): T;
  /** Registers a shared object that scripts can reach other than through a global (frozen at seal). */
  share(value: unknown): void;
  /** A DOMException of the running execution. */
  domError(message: string, name: string): Error;
  /** Registers a promise with ctx.waitUntil semantics (used by the runner). */
  waitUntil(promise: unknown): void;
  /** A readable one-line description of any value. */
  describe(value: unknown): string;
  /**
   * Host strings cross as C strings, which end at U+0000: text that may contain NUL goes
   * through JSON. toHost(s) → [text, isJson]; fromHost(r) undoes the host's [json] wrapping.
   */
  toHost(text: string): [string, boolean];
  /** Writes one console line (level 0 debug … 4 error). */
  log(level: number, message: string): void;
  fromHost(result: unknown): string;
  /**
   * A promise of the execution's realm that settles like `value` (async functions of the
   * prelude make shared-realm promises; API methods hand out this instead).
   */
  promise<T>(value: T | PromiseLike<T>): Promise<T>;
  /** True for a plain object of the execution's realm or of the shared one. */
  isPlain(value: object): boolean;
}

/** The per-context record adopt() returns: the context's global and intrinsics. */
export interface Realm {
  g: Record<PropertyKey, unknown>;
  /** Values of the rebound global names, in the order of the core's name list. */
  values: unknown[];
  /** The context's own Array.prototype methods that the array guard wraps. */
  natives: Record<string, (...args: unknown[]) => unknown>;
}

/** What the core returns to the host, once per runtime. */
export interface CoreExports {
  /** Prepares a fresh context (its global `g`): guards its arrays, records its intrinsics. */
  adopt(g: object): Realm;
  /**
   * Starts an execution in `realm`: binds the shared code to the context's intrinsics, sets
   * the token, and defines the globals named in `globals` ("Name,Name,…", or "*" for all).
   */
  begin(realm: Realm, token: number, globals: string): void;
  /** Runs one execution's entry point; returns a promise the host polls, or nothing when it is done. */
  run(meta: string, ns: unknown, body: ArrayBuffer | undefined, binaries: ArrayBuffer[] | undefined): unknown;
  /** Fires timer `id`. */
  fire(id: number): void;
  /** Ends the execution: forgets its state and unbinds its intrinsics. */
  end(): void;
}
