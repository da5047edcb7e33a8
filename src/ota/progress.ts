import type { OtaProgress } from './types.js';

/**
 * Throttled progress reports with an ETA, for …/event/ota. Pure: the
 * caller passes the time. security.md §3.2 step 3: report in ≥ 10 % steps
 * or every 10 s, so a 100 MB download over a slow link still shows life
 * and a fast one does not flood the broker (at most ~10 reports plus one
 * per interval).
 */

export interface ProgressMeterOptions {
  totalBytes: number;
  /** A report at least this often while bytes arrive. */
  minIntervalMs?: number;
  /** A report whenever the percentage rose by this much since the last one. */
  minPercentStep?: number;
  /**
   * Time constant of the rate's exponential smoothing: a sample `dt` ms
   * after the previous one weighs 1 − e^(−dt/τ). Time-based rather than
   * per-sample, because chunks arrive at irregular intervals (64 KiB reads,
   * TCP stalls), and a per-sample weight would over-weigh bursts.
   */
  smoothingMs?: number;
}

export class ProgressMeter {
  readonly totalBytes: number;
  private readonly minIntervalMs: number;
  private readonly minPercentStep: number;
  private readonly smoothingMs: number;
  private bytes = 0;
  /** Where the current rate sample starts; null before the first update. */
  private base: { bytes: number; at: number } | null = null;
  /** Smoothed rate, bytes per ms; null until two samples some time apart. */
  private rate: number | null = null;
  private lastReport: { percent: number; bytes: number; at: number } | null = null;

  constructor({ totalBytes, minIntervalMs = 10_000, minPercentStep = 10, smoothingMs = 5_000 }: ProgressMeterOptions) {
    if (!Number.isSafeInteger(totalBytes) || totalBytes < 1) throw new RangeError(`totalBytes must be a positive integer, got ${totalBytes}`);
    if (!(minIntervalMs >= 0) || !(minPercentStep > 0) || !(smoothingMs > 0)) throw new RangeError('minIntervalMs ≥ 0, minPercentStep > 0 and smoothingMs > 0 are required');
    this.totalBytes = totalBytes;
    this.minIntervalMs = minIntervalMs;
    this.minPercentStep = minPercentStep;
    this.smoothingMs = smoothingMs;
  }

  /**
   * Records that `bytes` of the image are done at `nowMs`; returns a report
   * when one is due: the first update (where the transfer starts, possibly
   * resumed mid-way), a rise of ≥ minPercentStep, ≥ minIntervalMs since the
   * last report with new bytes, a drop (restart), and 100 % once. Null
 * otherwise.
   *
   * Bytes going down (a download restarted from zero) restarts the rate
   * estimate instead of producing a negative rate.
   */
  update(bytes: number, nowMs: number): OtaProgress | null {
    const b = Math.min(Math.max(0, Math.floor(bytes)), this.totalBytes);
    if (this.base === null || b < this.base.bytes || nowMs < this.base.at) {
      if (this.base !== null) this.rate = null;
      this.base = { bytes: b, at: nowMs };
    } else if (nowMs > this.base.at) {
      this.rate = this.smoothed(b, nowMs);
      this.base = { bytes: b, at: nowMs };
    }
    // Same millisecond: keep the base, so these bytes count in the next sample's rate.
    this.bytes = b;
    const report = this.current(nowMs);
    if (!this.due(report, nowMs)) return null;
    this.lastReport = { percent: report.percent, bytes: b, at: nowMs };
    return report;
  }

  /** The progress now, unthrottled. Time since the last bytes counts as a stall, so the ETA grows while nothing arrives. */
  current(nowMs: number): OtaProgress {
    const percent = Math.floor((this.bytes * 100) / this.totalBytes);
    const remaining = this.totalBytes - this.bytes;
    let etaS: number | null = null;
    if (remaining === 0) etaS = 0;
    else {
      const rate = this.base && nowMs > this.base.at && this.bytes === this.base.bytes ? this.smoothed(this.bytes, nowMs) : this.rate;
      if (rate !== null && rate > 0) etaS = Math.ceil(remaining / rate / 1000);
    }
    return { percent, bytes: this.bytes, totalBytes: this.totalBytes, etaS };
  }

  private smoothed(bytes: number, nowMs: number): number | null {
    const base = this.base!;
    const dt = nowMs - base.at;
    const sample = (bytes - base.bytes) / dt;
    if (this.rate === null) return sample;
    const weight = 1 - Math.exp(-dt / this.smoothingMs);
    return this.rate + weight * (sample - this.rate);
  }

  private due(report: OtaProgress, nowMs: number): boolean {
    const last = this.lastReport;
    if (last === null) return true;
    if (report.percent === 100) return last.percent !== 100;
    // A restarted download: the cloud's progress bar must go back now, not in 10 s.
    if (report.bytes < last.bytes) return true;
    if (report.percent - last.percent >= this.minPercentStep) return true;
    return report.bytes !== last.bytes && nowMs - last.at >= this.minIntervalMs;
  }
}
