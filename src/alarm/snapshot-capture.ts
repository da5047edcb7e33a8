/**
 * On a motion start, get one full-resolution frame, never hanging and never
 * handing back an old image. Order:
 *
 * 1. the streamer's ONVIF snapshot URI (Digest auth, freshness checked) —
 *    a JPEG the SoC encoder already made, typically < 100 ms;
 * 2. one frame of the main stream through ffmpeg (`GrabFrame`) — waits for
 *    a keyframe, 0.5–2 s;
 * 3. the best-scoring frame of the pre-event ring — low-res gray, upscaled
 *    later and marked `lowRes`, but always there within a millisecond.
 *
 * Each step has its own timeout and all together a total budget; a step
 * that is not configured is skipped. Every failed step is reported in
 * `attempts`, so a wrong password (`snapshot_unauthorized`) shows up in
 * health reports even when the alarm still got a picture.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import { fail, ok, type Result, type SnapshotErrorCode } from './snapshot-error.js';
import type { GrabFrame } from './frame-grab.js';
import type { SnapshotFetcher } from './onvif-snapshot-source.js';
import type { PreEventRing } from './pre-event-ring.js';
import type { SnapshotFrame, SnapshotSource } from './snapshot-types.js';

export interface SnapshotCaptureConfig {
  /** Budget of the snapshot-URI request, challenge round trip included. */
  onvifTimeoutMs: number;
  /** Budget of the ffmpeg grab (covers the wait for a keyframe). */
  grabTimeoutMs: number;
  /** Whole capture; when it runs out the ring is used at once. */
  totalTimeoutMs: number;
  /** Ring frames this long before the trigger still count (the mover may have been clearest then). */
  ringLookbackMs: number;
}

export const SNAPSHOT_CAPTURE_DEFAULTS: SnapshotCaptureConfig = {
  onvifTimeoutMs: 1500,
  grabTimeoutMs: 3000,
  totalTimeoutMs: 4000,
  ringLookbackMs: 2000,
};

export interface SnapshotCaptureDeps {
  clock: Clock;
  logger: Logger;
  config: () => SnapshotCaptureConfig;
  /** Null when the streamer has no snapshot URI (or it is not known yet). */
  snapshot: SnapshotFetcher | null;
  /** Null when there is no main-stream URL to grab from. */
  grab: { grabFrame: GrabFrame; url: () => string } | null;
  ring: PreEventRing;
}

export interface CaptureTrigger {
  /** Wall-clock ms of the motion start (freshness is judged against it). */
  at: number;
  /** Clock.monotonic() of the motion start (for the ring). */
  atMono: number;
}

export interface CaptureAttempt {
  source: SnapshotSource;
  code: SnapshotErrorCode;
  ms: number;
}

export interface CapturedSnapshot {
  frame: SnapshotFrame;
  source: SnapshotSource;
  /** Failed steps before the one that delivered, in order. */
  attempts: CaptureAttempt[];
  /** Trigger → frame in hand. */
  ms: number;
}

export class SnapshotCapture {
  constructor(private readonly deps: SnapshotCaptureDeps) {}

  async capture(trigger: CaptureTrigger): Promise<Result<CapturedSnapshot, { code: SnapshotErrorCode; message: string; attempts: CaptureAttempt[] }>> {
    const { clock, config } = this.deps;
    const cfg = config();
    const started = clock.monotonic();
    const deadline = started + cfg.totalTimeoutMs;
    const attempts: CaptureAttempt[] = [];
    const remaining = (): number => deadline - clock.monotonic();

    const steps: Array<{ source: 'onvif' | 'grab'; budget: number; run: (ms: number) => Promise<Result<Buffer>> }> = [];
    const { snapshot, grab } = this.deps;
    if (snapshot && (snapshot.available?.() ?? true)) steps.push({ source: 'onvif', budget: cfg.onvifTimeoutMs, run: (ms) => snapshot.fetch(trigger.at, ms) });
    if (grab && grab.url() !== '') steps.push({ source: 'grab', budget: cfg.grabTimeoutMs, run: (ms) => grab.grabFrame(grab.url(), ms) });

    for (const step of steps) {
      const ms = Math.min(step.budget, remaining());
      if (ms <= 0) break;
      const t0 = clock.monotonic();
      const res = await this.#guard(step.run(ms), ms);
      if (res.ok) {
        return ok({
          frame: { kind: 'encoded', bytes: res.value, source: step.source, lowRes: false },
          source: step.source,
          attempts,
          ms: clock.monotonic() - started,
        });
      }
      attempts.push({ source: step.source, code: res.error.code, ms: clock.monotonic() - t0 });
      this.deps.logger.warn({ source: step.source, code: res.error.code, reason: res.error.message }, 'snapshot source failed; trying the next');
    }

    const best = this.deps.ring.best(trigger.atMono - cfg.ringLookbackMs);
    if (best) {
      return ok({
        frame: { kind: 'gray', data: best.data, width: best.width, height: best.height, source: 'pre-event', lowRes: true },
        source: 'pre-event',
        attempts,
        ms: clock.monotonic() - started,
      });
    }
    const last = attempts.at(-1);
    return {
      ok: false,
      error: {
        code: 'snapshot_unavailable',
        message: `no snapshot: ${last ? `last source ${last.source} failed with ${last.code}` : 'no source configured'} and the pre-event ring is empty`,
        attempts,
      },
    };
  }

  /**
   * Races a step against our own timer: a source that ignores its timeout
   * (a wedged socket, an ffmpeg that never exits) costs its budget, not the alarm.
   */
  #guard(p: Promise<Result<Buffer>>, ms: number): Promise<Result<Buffer>> {
    return new Promise((resolve) => {
      let done = false;
      // Slack so a source that honours its own deadline reports its own code.
      const timer = this.deps.clock.setTimeout(() => {
        if (done) return;
        done = true;
        resolve(fail('snapshot_timeout', `source gave no answer within ${ms} ms`));
      }, ms + 50);
      p.then(
        (r) => {
          if (done) return;
          done = true;
          timer.cancel();
          resolve(r);
        },
        (err: unknown) => {
          if (done) return;
          done = true;
          timer.cancel();
          resolve(fail('grab_failed', `source threw: ${err instanceof Error ? err.message : String(err)}`));
        },
      );
    });
  }
}
