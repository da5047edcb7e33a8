/**
 * At most `maxPerMinute` alarms in any rolling 60 s. The detector's own
 * cooldown already merges one burst of movement into one event; this cap
 * protects the user's phone (and the upload budget) from a scene that starts
 * a new event every few seconds — a flag in the wind, rain at night.
 * Suppressed starts are counted so `info`/logs can say why alarms are missing.
 * Pure: the caller passes the time, which must be monotonic (Clock.monotonic()):
 * with wall time a backward step would keep the window full until the clock
 * caught up again.
 */
export class AlarmRateLimit {
  readonly #times: number[] = [];
  #suppressed = 0;

  constructor(private readonly maxPerMinute: () => number) {}

  /** True when an alarm may be raised at monotonic `nowMs` (and counts it); false when over the cap. */
  take(nowMs: number): boolean {
    while (this.#times.length > 0 && this.#times[0]! <= nowMs - 60_000) this.#times.shift();
    if (this.#times.length >= this.maxPerMinute()) {
      this.#suppressed++;
      return false;
    }
    this.#times.push(nowMs);
    return true;
  }

  get suppressed(): number {
    return this.#suppressed;
  }
}
