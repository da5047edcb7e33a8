import type { Clock } from '../core/clock.js';

/**
 * One log line per kind per window. Bad input from the broker is not under
 * our control: a misbehaving cloud service sending garbage at 100 msg/s must
 * not fill the flash with log lines or drown the journal.
 */
export class LogThrottle {
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly windowMs = 60_000,
  ) {}

  /** Whether to log this kind now, and how many lines were suppressed since the last one. */
  take(kind: string): { log: boolean; suppressed: number } {
    const now = this.clock.monotonic();
    const e = this.#last.get(kind);
    if (e && now - e.at < this.windowMs) {
      e.suppressed++;
      return { log: false, suppressed: e.suppressed };
    }
    const suppressed = e?.suppressed ?? 0;
    this.#last.set(kind, { at: now, suppressed: 0 });
    return { log: true, suppressed };
  }
}
