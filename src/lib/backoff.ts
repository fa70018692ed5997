/**
 * Retry delays: exponential (delay·2^(n-1)), linear (delay·n) or constant,
 * capped, with "equal jitter" (half fixed, half random) so retries of many
 * failures spread out but never collapse to zero.
 */
export type BackoffKind = "exponential" | "linear" | "constant";

/** The delay before retry number `attempt` (1 = the first retry). */
export function backoffDelay(
  kind: BackoffKind,
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const n = Math.max(1, attempt);
  const raw =
    kind === "exponential" ? baseMs * 2 ** Math.min(n - 1, 30) : kind === "linear" ? baseMs * n : baseMs;
  const capped = Math.min(raw, maxMs);
  return Math.round(capped / 2 + (random() * capped) / 2);
}
