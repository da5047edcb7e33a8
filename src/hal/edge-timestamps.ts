/**
 * Maps the timestamps a button source stamps on its edges (evdev timeval,
 * gpiomon's kernel timestamp) onto the agent's monotonic clock. Pure.
 *
 * Why not just use arrival time: edges often arrive batched (a blocked event
 * loop, a pipe read that returns press and release together) and the hold
 * time must still be right. Why not use device time directly: it is another
 * clock (evdev defaults to CLOCK_REALTIME, which NTP steps) and the gesture
 * timers run on ours. So we keep an offset between the two clocks, estimated
 * from the least-delayed batch seen, and re-anchor when the device clock steps.
 */
export class DeviceTimeAligner {
  readonly #maxSkewMs: number;
  #offset: number | null = null;
  #lastLocal = -Infinity;

  /** @param maxSkewMs an apparent delivery delay above this means the device clock stepped back. */
  constructor(maxSkewMs = 1000) {
    this.#maxSkewMs = maxSkewMs;
  }

  /**
   * @param deviceMs timestamps of one batch, oldest first
   * @param arrivalMs local monotonic time the batch was read
   * @returns local monotonic times, never after arrival nor before an earlier result
   */
  toLocal(deviceMs: readonly number[], arrivalMs: number): number[] {
    const newest = deviceMs[deviceMs.length - 1];
    if (newest === undefined) return [];
    const candidate = arrivalMs - newest;
    // A smaller offset means less delivery delay than ever seen (or the device
    // clock stepped forward); a much larger one means it stepped back.
    if (this.#offset === null || candidate < this.#offset || candidate - this.#offset > this.#maxSkewMs) {
      this.#offset = candidate;
    }
    const offset = this.#offset;
    return deviceMs.map((d) => {
      const local = Math.max(this.#lastLocal, Math.min(arrivalMs, d + offset));
      this.#lastLocal = local;
      return local;
    });
  }
}
