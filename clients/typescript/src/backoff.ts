/**
 * Reconnection timing: exponential backoff with jitter, Retry-After, and an
 * abortable sleep. Tests inject `sleep` and `random` instead of waiting.
 */

export interface BackoffOptions {
  /** First delay (default 1000 ms); a server `retry:` field replaces it. */
  initialMs?: number;
  /** Ceiling (default 30000 ms), also applied to Retry-After. */
  maxMs?: number;
  /** Growth per failed attempt (default 2). */
  factor?: number;
  /** Fraction of the delay that is randomized (default 0.5: a delay d becomes d/2 … d). */
  jitter?: number;
  /** Source of randomness in [0, 1) (default Math.random). */
  random?: () => number;
  /** Waits `ms` or until `signal` aborts (default: setTimeout). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface ResolvedBackoff {
  initialMs: number;
  maxMs: number;
  factor: number;
  jitter: number;
  random: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

export function resolveBackoff(options: BackoffOptions = {}): ResolvedBackoff {
  const jitter = options.jitter ?? 0.5;
  return {
    initialMs: Math.max(0, options.initialMs ?? 1000),
    maxMs: Math.max(0, options.maxMs ?? 30_000),
    factor: Math.max(1, options.factor ?? 2),
    jitter: Math.min(1, Math.max(0, jitter)),
    random: options.random ?? Math.random,
    sleep: options.sleep ?? abortableSleep,
  };
}

/** Delay before retry number `attempt` (0-based), with equal jitter. */
export function backoffDelay(
  attempt: number,
  backoff: ResolvedBackoff,
  initialMs = backoff.initialMs,
): number {
  const base = Math.min(backoff.maxMs, initialMs * backoff.factor ** attempt);
  return Math.round(base * (1 - backoff.jitter * backoff.random()));
}

/** Retry-After in milliseconds (delta-seconds or an HTTP date), if present and sane. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^[0-9]+$/.test(trimmed)) return Number.parseInt(trimmed, 10) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
