/**
 * Types shared by the guest prelude pieces. Each piece is bundled and
 * evaluated separately (lazily, on first use), so pieces share code only
 * through the `Internals` object the core hands them, never through imports
 * of runtime values.
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

export interface Internals {
  host: Host;
  /** globalThis, untyped: the prelude defines the Web globals itself. */
  g: Record<PropertyKey, unknown>;
  /** Evaluates a piece once and returns its exports. */
  load<T = unknown>(name: PieceName): T;
  /** A piece's exports if it is already loaded (an object of its classes cannot exist otherwise). */
  peek<T = unknown>(name: PieceName): T | undefined;
  /** The current execution's token; host calls carry it so a stale env/ctx from a reused context is refused. */
  token(): number;
  /** Defines a global the way Web IDL does: writable, configurable, not enumerable. */
  define(target: object, name: PropertyKey, value: unknown): void;
  /** A DOMException (loads the events piece). */
  domError(message: string, name: string): Error;
  /** Timer callbacks by id, fired by the host through the core's fire(). */
  timers: Map<number, () => void>;
  /** Registers a promise with ctx.waitUntil semantics (used by the runner). */
  waitUntil(promise: unknown): void;
  /** A readable one-line description of any value (loads inspect for objects). */
  describe(value: unknown): string;
  /**
   * Host strings cross as C strings, which end at U+0000: text that may contain NUL goes
   * through JSON. toHost(s) → [text, isJson]; fromHost(r) undoes the host's [json] wrapping.
   */
  toHost(text: string): [string, boolean];
  /** Writes one console line (level 0 debug … 4 error). */
  log(level: number, message: string): void;
  fromHost(result: unknown): string;
}

/** What the core returns to the host. */
export interface CoreExports {
  /** Runs one execution's entry point; returns a promise the host polls. */
  run(
    meta: string,
    ns: unknown,
    body: ArrayBuffer | undefined,
    binaries: ArrayBuffer[] | undefined,
  ): Promise<void>;
  /** Fires timer `id`. */
  fire(id: number): void;
  /**
   * Sets the token of the execution about to run (before its script is evaluated) and defines
   * lazy getters for the globals its script names ("piece:Name,Name;…").
   */
  begin(token: number, globals: string): void;
  /** Forgets per-execution state (reused contexts). */
  end(): void;
}
