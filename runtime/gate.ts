/**
 * The global concurrency gate (SPEC §2): a fixed number of execution slots.
 * HTTP work takes a slot with tryAcquire() and answers 503 when none is free;
 * background work waits in FIFO order with acquire(). A freed slot goes to the
 * oldest waiter first, so tryAcquire() never overtakes queued work.
 */

/** One held slot. release() is idempotent. */
export interface Permit {
  release(): void;
  readonly released: boolean;
}

interface Waiter {
  resolve(permit: Permit): void;
  reject(reason: unknown): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class ConcurrencyGate {
  #inUse = 0;
  readonly #waiters: Waiter[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`gate size must be a positive integer, got ${size}`);
  }

  get inUse(): number {
    return this.#inUse;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /** A permit if a slot is free right now (and nobody is queued), else null. */
  tryAcquire(): Permit | null {
    if (this.#inUse >= this.size || this.#waiters.length > 0) return null;
    this.#inUse++;
    return this.#newPermit();
  }

  /** Waits for a slot in FIFO order; rejects with the signal's reason if aborted first. */
  acquire(signal?: AbortSignal): Promise<Permit> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const permit = this.tryAcquire();
    if (permit) return Promise.resolve(permit);
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      if (signal) {
        waiter.signal = signal;
        waiter.onAbort = () => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(signal.reason);
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
    });
  }

  #newPermit(): Permit {
    let released = false;
    return {
      get released() {
        return released;
      },
      release: () => {
        if (released) return;
        released = true;
        this.#handOver();
      },
    };
  }

  /** A slot was freed: give it to the oldest waiter, or return it to the pool. */
  #handOver(): void {
    const next = this.#waiters.shift();
    if (!next) {
      this.#inUse--;
      return;
    }
    if (next.signal && next.onAbort) next.signal.removeEventListener("abort", next.onAbort);
    next.resolve(this.#newPermit());
  }
}
