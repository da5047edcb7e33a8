import type { Clock } from '../../core/clock.js';
import { fail, pass, waitFor, type CheckOutcome, type SelfTestCheck } from '../check.js';

/** An RTC or NTP this far past the firmware's build is wrong, not a unit that sat in a warehouse. */
export const MAX_AFTER_BUILD_MS = 5 * 365 * 24 * 3600 * 1000;
const SAMPLE_GAP_MS = 100;

export interface ClockSample {
  wallMs: number;
  monoMs: number;
}

/**
 * The wall clock must be past the firmware's build time (a reset RTC reads
 * 1970 or 2000 and breaks certificate validity checks) and not absurdly far
 * ahead; the monotonic clock must advance between two samples taken a known
 * timer delay apart.
 */
export function judgeClock(before: ClockSample, after: ClockSample, buildTimeMs: number, gapMs: number): CheckOutcome {
  const measured = new Date(after.wallMs).toISOString();
  if (after.wallMs < buildTimeMs) return fail('clock_before_build', measured, `earlier than the firmware build (${new Date(buildTimeMs).toISOString()})`);
  if (after.wallMs > buildTimeMs + MAX_AFTER_BUILD_MS) return fail('clock_far_future', measured, 'more than 5 years after the firmware build');
  const advanced = after.monoMs - before.monoMs;
  if (!(advanced >= gapMs / 2)) return fail('monotonic_stalled', measured, `monotonic clock moved ${advanced.toFixed(1)} ms in a ${gapMs} ms wait`);
  return pass(measured);
}

export function clockSanityCheck(opts: { clock: Clock; buildTimeMs: number }): SelfTestCheck {
  return {
    id: 'clock',
    proves: 'the wall clock is set and the monotonic clock runs',
    limit: `after ${new Date(opts.buildTimeMs).toISOString().slice(0, 10)}, < 5 years later`,
    timeoutMs: 5_000,
    async run(ctx) {
      const sample = (): ClockSample => ({ wallMs: opts.clock.now(), monoMs: opts.clock.monotonic() });
      const before = sample();
      await waitFor(ctx.clock, SAMPLE_GAP_MS, ctx.signal);
      return judgeClock(before, sample(), opts.buildTimeMs, SAMPLE_GAP_MS);
    },
  };
}
