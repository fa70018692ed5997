/**
 * A background loop that runs a task every `intervalMs` (plus jitter, so
 * several processes do not fire together). Failures are reported and the loop
 * carries on; start() and stop() are idempotent, and stop() waits for a run in
 * progress.
 */
export class Periodic {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private started = false;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
    private readonly jitter = 0.2,
  ) {}

  start(opts: { runNow?: boolean } = {}): void {
    if (this.started) return;
    this.started = true;
    if (opts.runNow) void this.tick();
    else this.schedule();
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Runs the task now (if not already running) and waits for it. */
  async runOnce(): Promise<void> {
    await this.tick();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.started) return;
    const delay = this.intervalMs * (1 + (Math.random() * 2 - 1) * this.jitter);
    this.timer = setTimeout(() => void this.tick(), delay);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        await this.task();
      } catch (err) {
        this.onError(err);
      } finally {
        this.running = null;
        this.schedule();
      }
    })();
    return this.running;
  }
}
