/**
 * Piece "events": DOMException, Event, EventTarget, AbortController and
 * AbortSignal (abort, timeout, any), as the DOM standard defines them for a
 * single-realm, tree-less world. DOMException extends the execution's own
 * Error, so each execution makes its class on first use (exposeLazy); the
 * other classes are shared.
 */
import type { Internals } from "../internals.js";
import type { EventsPiece, TimersPiece } from "../piece-types.js";

const CODES: Record<string, number> = {
  IndexSizeError: 1,
  HierarchyRequestError: 3,
  WrongDocumentError: 4,
  InvalidCharacterError: 5,
  NoModificationAllowedError: 7,
  NotFoundError: 8,
  NotSupportedError: 9,
  InvalidStateError: 11,
  SyntaxError: 12,
  InvalidModificationError: 13,
  NamespaceError: 14,
  InvalidAccessError: 15,
  TypeMismatchError: 17,
  SecurityError: 18,
  NetworkError: 19,
  AbortError: 20,
  URLMismatchError: 21,
  QuotaExceededError: 22,
  TimeoutError: 23,
  InvalidNodeTypeError: 24,
  DataCloneError: 25,
};

const EVENT = Symbol("event");
const LISTENERS = Symbol("listeners");
const SIGNAL = Symbol("signal");

interface EventState {
  type: string;
  bubbles: boolean;
  cancelable: boolean;
  composed: boolean;
  defaultPrevented: boolean;
  stop: boolean;
  target: unknown;
  currentTarget: unknown;
  timeStamp: number;
}

interface Listener {
  callback: unknown;
  capture: boolean;
  once: boolean;
}

interface SignalState {
  aborted: boolean;
  reason: unknown;
  algorithms: (() => void)[];
}

export default function install(I: Internals): EventsPiece {
  // Evaluated per execution: `Error` is then the execution's own.
  const makeDOMException = () => {
    const DOMException = class DOMException extends Error {
      declare readonly code: number;

      constructor(message: unknown = "", name: unknown = "Error") {
        super(String(message));
        Object.defineProperty(this, "name", { value: String(name), configurable: true, writable: true });
        Object.defineProperty(this, "code", { value: CODES[String(name)] ?? 0, configurable: true });
      }
    };
    // A plain value, as WebIDL defines it (a getter would be one more function object to freeze).
    Object.defineProperty(DOMException.prototype, Symbol.toStringTag, {
      value: "DOMException",
      configurable: true,
    });
    return DOMException;
  };

  const eventState = (event: unknown): EventState => {
    const s =
      event !== null && typeof event === "object" ? (event as { [EVENT]?: EventState })[EVENT] : undefined;
    if (!s) throw new TypeError("Illegal invocation: not an Event");
    return s;
  };

  class Event {
    declare [EVENT]: EventState;

    get [Symbol.toStringTag](): string {
      return "Event";
    }

    constructor(type: unknown, init: { bubbles?: unknown; cancelable?: unknown; composed?: unknown } = {}) {
      if (type === undefined) throw new TypeError("Event constructor requires a type");
      this[EVENT] = {
        type: String(type),
        bubbles: Boolean(init?.bubbles),
        cancelable: Boolean(init?.cancelable),
        composed: Boolean(init?.composed),
        defaultPrevented: false,
        stop: false,
        target: null,
        currentTarget: null,
        timeStamp: Date.now(),
      };
    }

    get type(): string {
      return eventState(this).type;
    }
    get bubbles(): boolean {
      return eventState(this).bubbles;
    }
    get cancelable(): boolean {
      return eventState(this).cancelable;
    }
    get composed(): boolean {
      return eventState(this).composed;
    }
    get defaultPrevented(): boolean {
      return eventState(this).defaultPrevented;
    }
    get target(): unknown {
      return eventState(this).target;
    }
    get currentTarget(): unknown {
      return eventState(this).currentTarget;
    }
    get srcElement(): unknown {
      return eventState(this).target;
    }
    get timeStamp(): number {
      return eventState(this).timeStamp;
    }
    get eventPhase(): number {
      return eventState(this).currentTarget === null ? 0 : 2;
    }
    get isTrusted(): boolean {
      return false;
    }
    get returnValue(): boolean {
      return !eventState(this).defaultPrevented;
    }
    preventDefault(): void {
      const s = eventState(this);
      if (s.cancelable) s.defaultPrevented = true;
    }
    stopPropagation(): void {}
    stopImmediatePropagation(): void {
      eventState(this).stop = true;
    }
    composedPath(): unknown[] {
      const s = eventState(this);
      return s.currentTarget === null ? Array.of() : Array.of(s.currentTarget);
    }
  }

  const listeners = (target: unknown): Map<string, Listener[]> => {
    const map =
      target !== null && typeof target === "object"
        ? (target as { [LISTENERS]?: Map<string, Listener[]> })[LISTENERS]
        : undefined;
    if (!map) throw new TypeError("Illegal invocation: not an EventTarget");
    return map;
  };

  const report = (error: unknown): void => {
    I.log(4, `Uncaught (in event listener) ${I.describe(error)}`);
  };

  class EventTarget {
    declare [LISTENERS]: Map<string, Listener[]>;

    get [Symbol.toStringTag](): string {
      return "EventTarget";
    }

    constructor() {
      this[LISTENERS] = new Map();
    }

    addEventListener(type: unknown, callback: unknown, options?: unknown): void {
      const map = listeners(this);
      if (callback === null || callback === undefined) return;
      const opts =
        typeof options === "object" && options !== null ? (options as Record<string, unknown>) : {};
      const capture = typeof options === "boolean" ? options : Boolean(opts.capture);
      const signal = opts.signal;
      if (signal !== undefined && signalState(signal)[0]) return;
      const key = String(type);
      const list = map.get(key) ?? [];
      if (list.some((l) => l.callback === callback && l.capture === capture)) return;
      list.push({ callback, capture, once: Boolean(opts.once) });
      map.set(key, list);
      if (signal !== undefined) onAbort(signal, () => this.removeEventListener(key, callback, { capture }));
    }

    removeEventListener(type: unknown, callback: unknown, options?: unknown): void {
      const list = listeners(this).get(String(type));
      if (!list) return;
      const capture =
        typeof options === "boolean"
          ? options
          : Boolean(
              typeof options === "object" && options !== null && (options as { capture?: unknown }).capture,
            );
      const index = list.findIndex((l) => l.callback === callback && l.capture === capture);
      if (index >= 0) list.splice(index, 1);
    }

    dispatchEvent(event: unknown): boolean {
      const s = eventState(event);
      const list = listeners(this).get(s.type);
      s.target = this;
      s.currentTarget = this;
      for (const listener of list ? list.slice() : []) {
        if (s.stop) break;
        if (listener.once) this.removeEventListener(s.type, listener.callback, { capture: listener.capture });
        try {
          const callback = listener.callback as { handleEvent?: unknown } | ((e: unknown) => void);
          if (typeof callback === "function") callback.call(this, event);
          else if (typeof callback?.handleEvent === "function")
            (callback.handleEvent as (e: unknown) => void).call(callback, event);
        } catch (error) {
          report(error);
        }
      }
      s.currentTarget = null;
      return !s.defaultPrevented;
    }
  }

  const signalOf = (signal: unknown): SignalState => {
    const s =
      signal !== null && typeof signal === "object"
        ? (signal as { [SIGNAL]?: SignalState })[SIGNAL]
        : undefined;
    if (!s) throw new TypeError("Illegal invocation: not an AbortSignal");
    return s;
  };

  const signalState = (signal: unknown): [boolean, unknown] => {
    const s = signalOf(signal);
    return [s.aborted, s.reason];
  };

  const onAbort = (signal: unknown, listener: () => void): void => {
    const s = signalOf(signal);
    if (!s.aborted) s.algorithms.push(listener);
  };

  const abortSignal = (signal: AbortSignal, reason: unknown): void => {
    const s = signalOf(signal);
    if (s.aborted) return;
    s.aborted = true;
    s.reason = reason === undefined ? I.domError("This operation was aborted", "AbortError") : reason;
    const algorithms = s.algorithms;
    s.algorithms = [];
    for (const algorithm of algorithms) {
      try {
        algorithm();
      } catch (error) {
        report(error);
      }
    }
    signal.dispatchEvent(new Event("abort"));
  };

  let constructing = false;

  class AbortSignal extends EventTarget {
    declare [SIGNAL]: SignalState;

    override get [Symbol.toStringTag](): string {
      return "AbortSignal";
    }

    constructor() {
      if (!constructing) throw new TypeError("Illegal constructor");
      super();
      this[SIGNAL] = { aborted: false, reason: undefined, algorithms: [] };
    }

    static abort(reason?: unknown): AbortSignal {
      const signal = newSignal();
      abortSignal(signal, reason);
      return signal;
    }

    static timeout(ms: unknown): AbortSignal {
      const delay = Number(ms);
      if (!Number.isFinite(delay) || delay < 0) throw new TypeError("AbortSignal.timeout: invalid delay");
      const signal = newSignal();
      I.load<TimersPiece>("timers").setTimeout(
        () => abortSignal(signal, I.domError("The operation timed out.", "TimeoutError")),
        delay,
      );
      return signal;
    }

    static any(signals: Iterable<unknown>): AbortSignal {
      const result = newSignal();
      const list = [...signals];
      for (const signal of list) {
        const s = signalOf(signal);
        if (s.aborted) {
          abortSignal(result, s.reason);
          return result;
        }
      }
      for (const signal of list) onAbort(signal, () => abortSignal(result, signalOf(signal).reason));
      return result;
    }

    get aborted(): boolean {
      return signalOf(this).aborted;
    }

    get reason(): unknown {
      return signalOf(this).reason;
    }

    throwIfAborted(): void {
      const s = signalOf(this);
      if (s.aborted) throw s.reason;
    }
  }

  const onabort = new WeakMap<object, unknown>();
  Object.defineProperty(AbortSignal.prototype, "onabort", {
    configurable: true,
    enumerable: true,
    get(this: AbortSignal) {
      return onabort.get(this) ?? null;
    },
    set(this: AbortSignal, handler: unknown) {
      const previous = onabort.get(this);
      if (previous) this.removeEventListener("abort", previous);
      if (typeof handler === "function") {
        onabort.set(this, handler);
        this.addEventListener("abort", handler);
      } else onabort.delete(this);
    },
  });

  const newSignal = (): AbortSignal => {
    constructing = true;
    try {
      return new AbortSignal();
    } finally {
      constructing = false;
    }
  };

  class AbortController {
    readonly #signal = newSignal();

    get [Symbol.toStringTag](): string {
      return "AbortController";
    }

    get signal(): AbortSignal {
      return this.#signal;
    }

    abort(reason?: unknown): void {
      abortSignal(this.#signal, reason);
    }
  }

  I.exposeLazy("DOMException", makeDOMException);
  I.expose("Event", Event);
  I.expose("EventTarget", EventTarget);
  I.expose("AbortSignal", AbortSignal);
  I.expose("AbortController", AbortController);

  return {
    controlled() {
      const signal = newSignal();
      return [signal, (reason?: unknown) => abortSignal(signal, reason)];
    },
    isSignal: (value) => value !== null && typeof value === "object" && SIGNAL in value,
    signalState,
    onAbort,
  };
}
