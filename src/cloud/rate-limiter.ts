import type { Clock, Timer } from '../core/clock.js';

/**
 * Publish rate limits per connection: AWS IoT allows 100 publishes/s and
 * 512 KB/s (performance.md §5.3). Two token buckets, one counting messages
 * and one bytes. A bucket of rate R and burst B lets through at most B + R·T
 * in any window of T seconds, so the defaults keep B + R under the limit
 * for T = 1 s with headroom for the responses and status messages that
 * share the connection:
 *   messages: 80/s + burst 10            → ≤ 90 in any second  (limit 100)
 *   bytes:    360 000 B/s + burst 131 072 → ≤ 491 072 B/s       (limit 512 000; the burst
 *             must hold one maximum-size 128 KiB message or it would never pass)
 */
export interface RateLimits {
  messagesPerSecond: number;
  messageBurst: number;
  bytesPerSecond: number;
  byteBurst: number;
}

export const AWS_SAFE_LIMITS: RateLimits = {
  messagesPerSecond: 80,
  messageBurst: 10,
  bytesPerSecond: 360_000,
  byteBurst: 131_072,
};

class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#at = now;
  }

  #refill(now: number): void {
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) * this.rate) / 1000);
    this.#at = now;
  }

  /** Milliseconds until `n` tokens are available (0: now). */
  waitFor(n: number, now: number): number {
    this.#refill(now);
    const need = Math.min(n, this.burst) - this.#tokens;
    return need <= 0 ? 0 : Math.ceil((need * 1000) / this.rate);
  }

  take(n: number, now: number): void {
    this.#refill(now);
    this.#tokens -= Math.min(n, this.burst);
  }
}

/** Pure: decides, given monotonic time, whether a message of `bytes` may go now. */
export class PublishRateLimiter {
  readonly #messages: TokenBucket;
  readonly #bytes: TokenBucket;

  constructor(limits: RateLimits, now: number) {
    this.#messages = new TokenBucket(limits.messagesPerSecond, limits.messageBurst, now);
    this.#bytes = new TokenBucket(limits.bytesPerSecond, limits.byteBurst, now);
  }

  /** 0 and the tokens are taken, or the ms to wait before asking again. */
  tryTake(bytes: number, now: number): number {
    const wait = Math.max(this.#messages.waitFor(1, now), this.#bytes.waitFor(bytes, now));
    if (wait > 0) return wait;
    this.#messages.take(1, now);
    this.#bytes.take(bytes, now);
    return 0;
  }
}

/** The limiter with waiting: resolves when a message of `bytes` may be published. FIFO. */
export class PublishThrottle {
  readonly #limiter: PublishRateLimiter;
  readonly #queue: Array<{ bytes: number; resolve: () => void }> = [];
  #timer: Timer | null = null;

  constructor(
    private readonly clock: Clock,
    limits: RateLimits = AWS_SAFE_LIMITS,
  ) {
    this.#limiter = new PublishRateLimiter(limits, clock.monotonic());
  }

  acquire(bytes: number): Promise<void> {
    return new Promise((resolve) => {
      this.#queue.push({ bytes, resolve });
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#timer) return;
    while (this.#queue.length) {
      const head = this.#queue[0]!;
      const wait = this.#limiter.tryTake(head.bytes, this.clock.monotonic());
      if (wait > 0) {
        this.#timer = this.clock.setTimeout(() => {
          this.#timer = null;
          this.#pump();
        }, wait);
        return;
      }
      this.#queue.shift();
      head.resolve();
    }
  }
}
