/**
 * Piece "console": captured into the execution's log through Op.Log. Plain
 * strings skip the inspect piece; the host enforces the log volume limit.
 * The methods are shared; each execution gets its own console object (a
 * script may replace its methods) and its own counters, timers and indent.
 */
import { Op } from "../../ops.js";
import type { Internals } from "../internals.js";
import type { InspectPiece } from "../piece-types.js";

const DEBUG = 0;
const INFO = 1;
const LOG = 2;
const WARN = 3;
const ERROR = 4;

interface ConsoleState {
  indent: string;
  counts: Map<string, number>;
  timers: Map<string, number>;
}

export default function install(I: Internals): object {
  const own = (): ConsoleState => {
    const x = I.exec().own;
    let s = x.console as ConsoleState | undefined;
    if (s === undefined) {
      s = { indent: "", counts: new Map(), timers: new Map() };
      x.console = s;
    }
    return s;
  };

  const text = (args: unknown[]): string => {
    let allStrings = true;
    for (const arg of args) if (typeof arg !== "string") allStrings = false;
    const out =
      allStrings && !(args.length > 1 && (args[0] as string).includes("%"))
        ? args.join(" ")
        : I.load<InspectPiece>("inspect").format(args);
    const indent = own().indent;
    return indent ? indent + out.replace(/\n/g, `\n${indent}`) : out;
  };

  const emit = (level: number, args: unknown[]): void => {
    I.log(level, text(args));
  };

  const now = (): number => I.host(Op.Now) as number;

  const console: Record<string, (...args: unknown[]) => void> = {
    log: (...args) => emit(LOG, args),
    info: (...args) => emit(INFO, args),
    debug: (...args) => emit(DEBUG, args),
    warn: (...args) => emit(WARN, args),
    error: (...args) => emit(ERROR, args),
    trace: (...args) => emit(DEBUG, ["Trace:", ...args, `\n${new Error().stack ?? ""}`.trimEnd()]),
    dir: (value) => emit(LOG, [I.load<InspectPiece>("inspect").inspect(value)]),
    dirxml: (...args) => emit(LOG, args),
    table: (...args) => emit(LOG, args),
    assert: (condition, ...args) => {
      if (!condition) emit(ERROR, args.length > 0 ? ["Assertion failed:", ...args] : ["Assertion failed"]);
    },
    count: (label = "default") => {
      const key = String(label);
      const counts = own().counts;
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      emit(INFO, [`${key}: ${n}`]);
    },
    countReset: (label = "default") => {
      own().counts.delete(String(label));
    },
    time: (label = "default") => {
      own().timers.set(String(label), now());
    },
    timeLog: (label = "default", ...args) => {
      const start = own().timers.get(String(label));
      if (start === undefined) emit(WARN, [`Timer '${String(label)}' does not exist`]);
      else emit(INFO, [`${String(label)}: ${(now() - start).toFixed(3)}ms`, ...args]);
    },
    timeEnd: (label = "default") => {
      const timers = own().timers;
      const start = timers.get(String(label));
      timers.delete(String(label));
      if (start === undefined) emit(WARN, [`Timer '${String(label)}' does not exist`]);
      else emit(INFO, [`${String(label)}: ${(now() - start).toFixed(3)}ms`]);
    },
    group: (...args) => {
      if (args.length > 0) emit(LOG, args);
      own().indent += "  ";
    },
    groupCollapsed: (...args) => {
      if (args.length > 0) emit(LOG, args);
      own().indent += "  ";
    },
    groupEnd: () => {
      const s = own();
      s.indent = s.indent.slice(2);
    },
  };
  I.share(console);
  I.exposeLazy("console", () => Object.assign(new Object(), console));
  return {};
}
