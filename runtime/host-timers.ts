/**
 * The host timers behind one execution's setTimeout/setInterval: bounded in
 * number, all cleared when the execution ends.
 */
import { GuestFacingError } from "./host-ops.js";

const MAX_TIMERS = 10_000;

export class HostTimers {
  readonly #timers = new Map<number, NodeJS.Timeout>();

  /** (Re)arms timer `id`; `fire` runs once after `delay` ms. */
  set(id: number, delay: number, fire: () => void): void {
    if (!Number.isInteger(id)) throw new GuestFacingError("invalid timer id");
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    if (this.#timers.size >= MAX_TIMERS)
      throw new GuestFacingError(`too many pending timers (limit ${MAX_TIMERS})`);
    this.#timers.set(
      id,
      setTimeout(() => {
        this.#timers.delete(id);
        fire();
      }, delay),
    );
  }

  clear(id: number): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
  }

  clearAll(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
