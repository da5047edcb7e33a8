/**
 * When to restart a failed worker process: exponential backoff that forgets
 * past failures once the worker has been healthy for a while. Pure: time is
 * passed in, nothing is scheduled here.
 */
export interface RestartBackoffOptions {
  /** First delay after a failure. */
  initialMs: number;
  /** Ceiling for the doubling. */
  maxMs: number;
  /** A run that stayed healthy this long resets the delay to initialMs. */
  resetAfterMs: number;
}

/**
 * 1 s doubling to 30 s: a camera that reboots (about 30–60 s on typical SoCs)
 * is picked up within one ceiling period, while a permanently wrong URL costs
 * one ffmpeg spawn per 30 s. Healthy for 60 s means the last failure was a
 * blip, not a pattern.
 */
export const defaultRestartBackoff: RestartBackoffOptions = {
  initialMs: 1_000,
  maxMs: 30_000,
  resetAfterMs: 60_000,
};

export class RestartBackoff {
  readonly #opts: RestartBackoffOptions;
  #failures = 0;
  #healthySince: number | null = null;

  constructor(opts: RestartBackoffOptions = defaultRestartBackoff) {
    this.#opts = opts;
  }

  /** The worker delivered work at `nowMs`; the first call of a run starts its healthy period. */
  markHealthy(nowMs: number): void {
    this.#healthySince ??= nowMs;
  }

  /** The worker failed at `nowMs`; returns how long to wait before restarting it. */
  nextDelay(nowMs: number): number {
    if (this.#healthySince !== null && nowMs - this.#healthySince >= this.#opts.resetAfterMs) {
      this.#failures = 0;
    }
    this.#healthySince = null;
    // Cap the exponent too, so a long outage cannot overflow to Infinity.
    const exponent = Math.min(this.#failures, 30);
    this.#failures += 1;
    return Math.min(this.#opts.initialMs * 2 ** exponent, this.#opts.maxMs);
  }

  /** Consecutive failures since the last reset. */
  get failures(): number {
    return this.#failures;
  }
}
