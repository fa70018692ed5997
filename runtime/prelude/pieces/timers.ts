/**
 * Piece "timers": setTimeout/setInterval (host timers, so they fire between
 * pumps and never outlive the execution's time limit), queueMicrotask,
 * performance.now and navigator. Timer ids and callbacks belong to the
 * execution (I.exec()), so they restart at 1 for every execution.
 */
import { Op } from "../../ops.js";
import type { Internals } from "../internals.js";
import type { TimersPiece } from "../piece-types.js";

const MAX_DELAY = 2 ** 31 - 1;

export default function install(I: Internals): TimersPiece {
  const report = (where: string, error: unknown): void => {
    I.log(4, `Uncaught (in ${where}) ${I.describe(error)}`);
  };

  const delayOf = (ms: unknown): number => {
    const delay = Math.trunc(Number(ms));
    return Number.isFinite(delay) && delay > 0 ? Math.min(delay, MAX_DELAY) : 0;
  };

  const schedule = (callback: unknown, ms: unknown, args: unknown[], repeat: boolean): number => {
    if (typeof callback !== "function") throw new TypeError("The timer callback must be a function");
    const x = I.exec();
    const id = x.nextTimer++;
    const delay = delayOf(ms);
    const token = x.token;
    const timers = x.timers;
    timers.set(id, () => {
      if (!repeat) timers.delete(id);
      try {
        (callback as (...a: unknown[]) => void)(...args);
      } catch (error) {
        report(repeat ? "interval" : "timeout", error);
      }
      if (repeat && timers.has(id)) I.host(Op.TimerSet, token, id, delay);
    });
    I.host(Op.TimerSet, token, id, delay);
    return id;
  };

  const clear = (id: unknown): void => {
    const key = Number(id);
    if (I.exec().timers.delete(key)) I.host(Op.TimerClear, key);
  };

  const now = (): number => I.host(Op.Now) as number;
  const performance = {
    now,
    /** When the execution started (performance.now() counts from there). */
    get timeOrigin(): number {
      const own = I.exec().own;
      if (own.timeOrigin === undefined) own.timeOrigin = Date.now() - now();
      return own.timeOrigin as number;
    },
    toJSON() {
      const json = new Object() as { timeOrigin: number };
      json.timeOrigin = performance.timeOrigin;
      return json;
    },
  };

  const setTimeout = (callback: unknown, ms?: unknown, ...args: unknown[]) =>
    schedule(callback, ms, args, false);
  const timers: Record<string, unknown> = {
    setTimeout,
    setInterval: (callback: unknown, ms?: unknown, ...args: unknown[]) => schedule(callback, ms, args, true),
    clearTimeout: clear,
    clearInterval: clear,
    queueMicrotask(callback: unknown) {
      if (typeof callback !== "function") throw new TypeError("queueMicrotask callback must be a function");
      Promise.resolve().then(() => {
        try {
          (callback as () => void)();
        } catch (error) {
          report("microtask", error);
        }
      });
    },
    performance,
    navigator: { userAgent: "PiCloud", hardwareConcurrency: 1, language: "en" },
  };
  for (const name of Object.keys(timers)) I.expose(name, timers[name]);
  return { setTimeout: setTimeout as TimersPiece["setTimeout"] };
}
