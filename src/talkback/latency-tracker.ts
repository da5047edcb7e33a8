/**
 * Added latency of the downlink, frame by frame: when a frame is handed to
 * the decoder we note the sample position its last sample will have in the
 * decoded stream and when the frame arrived; when the playback has taken
 * the PCM through that position, the difference is the frame's latency
 * (arrival → its samples reaching ALSA). Pure; times are monotonic ms.
 *
 * Positions are counted in decoded samples from the session's start.
 * Decoders that trim a start-up delay (Opus pre-skip, 6.5 ms) make the
 * figure slightly pessimistic, never optimistic.
 */
const MAX_SAMPLES = 4096;
const MAX_PENDING = 1024;

export class LatencyTracker {
  #pending: Array<{ position: number; arrivalMs: number }> = [];
  /** A ring of the latest measurements; enough for p95 over minutes of audio. */
  #samples: number[] = [];
  #count = 0;

  /** A frame whose last sample will be at `position` arrived at `arrivalMs`. */
  expect(position: number, arrivalMs: number): void {
    this.#pending.push({ position, arrivalMs });
    // A device that never takes samples must not grow this without bound.
    if (this.#pending.length > MAX_PENDING) this.#pending.shift();
  }

  /** The device has taken every sample up to `position` at `nowMs`. */
  reached(position: number, nowMs: number): void {
    while (this.#pending.length > 0 && (this.#pending[0]?.position ?? Infinity) <= position) {
      const p = this.#pending.shift();
      if (!p) break;
      this.#record(nowMs - p.arrivalMs);
    }
  }

  /** Samples through `position` were dropped, not played: their frames get no measurement. */
  discardThrough(position: number): void {
    while (this.#pending.length > 0 && (this.#pending[0]?.position ?? Infinity) <= position) this.#pending.shift();
  }

  samples(): readonly number[] {
    return this.#samples;
  }

  summary(): { count: number; p50: number | null; p95: number | null; max: number | null } {
    if (this.#samples.length === 0) return { count: 0, p50: null, p95: null, max: null };
    const sorted = [...this.#samples].sort((a, b) => a - b);
    const at = (q: number): number => round1(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
    return { count: this.#count, p50: at(0.5), p95: at(0.95), max: round1(sorted[sorted.length - 1] ?? 0) };
  }

  #record(ms: number): void {
    this.#count++;
    this.#samples.push(ms);
    if (this.#samples.length > MAX_SAMPLES) this.#samples.shift();
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
