/**
 * Reconnect delays: exponential backoff with full jitter, as the AWS IoT
 * SDKs do it (security.md §2.8, performance.md §5.4). mqtt.js retries at a
 * fixed 1 s; a fleet that loses its broker would then come back in one
 * synchronised wave (and EMQX's flapping detection bans clients that
 * reconnect 15 times a minute).
 *
 *   delay(n) = random(0, min(maxMs, minMs · 2^n))            full jitter
 *
 * The attempt counter goes back to 0 only after the connection stayed up
 * for `resetAfterMs`: a broker that accepts and then drops us at once must
 * not get a fresh burst of fast retries each time. The first connect after
 * start waits random(0, startDelayMaxMs) so a power cut that reboots a whole
 * street does not make every camera connect in the same second — and so
 * does the first reconnect after a *stable* connection is lost: a broker
 * restart disconnects the whole fleet in the same instant, exactly like
 * that power cut. With a 1 s window the fleet would come back in a wave
 * only ~10× flatter than mqtt.js's fixed 1 s period (scripts/fleet-sim
 * measured 3.5×); the default 5 s window costs a single camera 2.5 s on
 * average after a Wi-Fi blip, while its alarms wait safely in the outbox.
 *
 * AWS IoT allows one CONNECT per second per client id; `minGapMs` keeps
 * consecutive attempts at least that far apart whatever the dice say.
 */
export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  resetAfterMs: number;
  startDelayMaxMs: number;
  minGapMs: number;
  /** Uniform in [0, 1); Math.random in production, a seeded source in tests. */
  random: () => number;
}

export const DEFAULT_BACKOFF: Omit<BackoffOptions, 'random'> = {
  minMs: 1_000,
  maxMs: 120_000,
  resetAfterMs: 30_000,
  startDelayMaxMs: 5_000,
  minGapMs: 1_000,
};

export class ReconnectBackoff {
  #attempt = 0;
  #connectedAt: number | null = null;
  /** The next delay is the first after a stable connection was lost. */
  #afterStableLoss = false;

  constructor(private readonly opts: BackoffOptions) {}

  /** Attempts since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** Delay before the very first connect. */
  startDelay(): number {
    return Math.floor(this.opts.random() * this.opts.startDelayMaxMs);
  }

  /**
   * Delay before the next attempt; `sinceLastAttemptMs` is how long ago the
   * previous CONNECT went out (Infinity if none).
   */
  nextDelay(sinceLastAttemptMs = Infinity): number {
    const { minMs, maxMs, minGapMs, random, startDelayMaxMs } = this.opts;
    // 2^n overflows to Infinity long after min() has capped it; clamp n anyway.
    let ceiling = Math.min(maxMs, minMs * 2 ** Math.min(this.#attempt, 30));
    if (this.#afterStableLoss) ceiling = Math.max(ceiling, startDelayMaxMs);
    this.#afterStableLoss = false;
    this.#attempt++;
    const jittered = Math.floor(random() * ceiling);
    return Math.max(jittered, minGapMs - sinceLastAttemptMs, 0);
  }

  /** The link is up (CONNACK accepted) at monotonic time `now`. */
  connected(now: number): void {
    this.#connectedAt = now;
  }

  /** The link went down at monotonic time `now`; resets the attempts if it had been stable. */
  disconnected(now: number): void {
    if (this.#connectedAt !== null && now - this.#connectedAt >= this.opts.resetAfterMs) {
      this.#attempt = 0;
      this.#afterStableLoss = true;
    }
    this.#connectedAt = null;
  }
}
