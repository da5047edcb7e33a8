/**
 * When to try a failed snapshot delivery again: exponential from `minMs`,
 * capped at `maxMs`, with "equal jitter" (half fixed, half random) so a
 * fleet whose upload endpoint failed at the same moment does not retry in
 * one wave, yet no retry comes sooner than half the nominal delay
 * (security.md §2.8).
 */
export interface SpoolBackoff {
  minMs: number;
  maxMs: number;
}

export const DEFAULT_SPOOL_BACKOFF: SpoolBackoff = { minMs: 5_000, maxMs: 10 * 60_000 };

/** Delay after the `attempts`-th failure (1 = first failure). */
export function spoolRetryDelayMs(attempts: number, opts: SpoolBackoff, random: () => number): number {
  const n = Math.max(0, Math.min(attempts - 1, 30));
  const nominal = Math.min(opts.maxMs, opts.minMs * 2 ** n);
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

/**
 * Whether a retry stored for `nextAttemptAt` (wall-clock ms) is due at `now`.
 * Due times are wall-clock so they survive a restart, but the wall clock can
 * step back (NTP correcting a fast clock, RTC reset); a due time would then
 * wait for the clock to catch up — an hour after a 1 h step. No real due
 * time lies further ahead than the largest backoff (`maxMs`), so one that
 * does was written before a backward step and is due now.
 */
export function retryIsDue(nextAttemptAt: number, now: number, maxMs: number): boolean {
  return nextAttemptAt <= now || nextAttemptAt - now > maxMs;
}
