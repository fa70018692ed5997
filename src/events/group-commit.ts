/**
 * Group commit: items added while a write is in flight go out together in the
 * next one. The first item of a quiet period is written at once (no added
 * latency); under load, one statement covers every item that finished during
 * the previous statement, so the database sees one round trip per batch
 * instead of one per item. Each `add` settles when its own batch is written.
 */
export class GroupCommit<T> {
  #waiting: { item: T; resolve: () => void; reject: (err: unknown) => void }[] = [];
  #running = false;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly maxBatch = 500,
  ) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    // Items that finish in the same turn of the event loop join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.#waiting.length > 0) {
        const batch = this.#waiting.splice(0, this.maxBatch);
        try {
          await this.write(batch.map((w) => w.item));
          for (const w of batch) w.resolve();
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}
