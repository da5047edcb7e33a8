import type { FrameSourceHealth, GrayFrame } from '../../media/frame-source.js';
import { fail, pass, type CheckOutcome, type SelfTestCheck } from '../check.js';

/** The part of FrameSource this check uses. */
export interface FrameFeed {
  on(name: 'frame', listener: (frame: GrayFrame) => void): () => void;
  on(name: 'health', listener: (health: FrameSourceHealth) => void): () => void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface CameraFramesOptions {
  /** The configured video input ('' = none configured). */
  input: string;
  /** Builds the frame source for that input; called once per run. */
  createFeed: () => FrameFeed;
  /** Default 5: one frame proves the pipe opens, several prove the sensor keeps delivering. */
  minFrames?: number;
  timeoutMs?: number;
}

/**
 * Below this luma deviation (0–255 scale) a frame is one flat colour: lens
 * cap on, sensor not clocked, or ffmpeg inventing gray. Real scenes, even a
 * blank wall, carry ≥ 5 from sensor noise and vignetting.
 */
export const MIN_LUMA_STDDEV = 3;
/** Mean luma under this with no structure is "black", not "uniform". */
const BLACK_MEAN = 16;

export interface LumaStats {
  mean: number;
  stddev: number;
}

export function lumaStats(data: Uint8Array): LumaStats {
  if (data.length === 0) return { mean: 0, stddev: 0 };
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    sum += v;
    sq += v * v;
  }
  const mean = sum / data.length;
  return { mean, stddev: Math.sqrt(Math.max(0, sq / data.length - mean * mean)) };
}

/** Judges the frames received: the most structured one counts (the first may be black while exposure settles). */
export function judgeFrames(stats: readonly LumaStats[], minFrames: number): CheckOutcome {
  const best = stats.reduce<LumaStats | null>((b, s) => (b === null || s.stddev > b.stddev ? s : b), null);
  const measured = `${stats.length} frames, σ ${best ? best.stddev.toFixed(1) : '-'}`;
  if (stats.length < minFrames || best === null) return fail('camera_no_frames', measured, `${stats.length} of ${minFrames} frames arrived`);
  if (best.stddev < MIN_LUMA_STDDEV) {
    return best.mean < BLACK_MEAN
      ? fail('camera_image_black', measured, `every frame is black (mean luma ${best.mean.toFixed(1)})`)
      : fail('camera_image_uniform', measured, `every frame is one flat gray (mean luma ${best.mean.toFixed(1)})`);
  }
  return pass(measured);
}

export function cameraFramesCheck(opts: CameraFramesOptions): SelfTestCheck {
  const minFrames = opts.minFrames ?? 5;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  return {
    id: 'camera-frames',
    proves: 'the image sensor delivers live, non-uniform video frames',
    limit: `>= ${minFrames} frames, luma σ >= ${MIN_LUMA_STDDEV}`,
    // The runner's bound sits above the check's own wait, so the check reports what it saw.
    timeoutMs: timeoutMs + 5_000,
    async run(ctx) {
      if (opts.input.trim() === '') return fail('camera_not_configured', null, 'video.input is empty');
      const feed = opts.createFeed();
      ctx.onCleanup(() => feed.stop());
      const stats: LumaStats[] = [];
      const outcome = await new Promise<CheckOutcome | null>((resolve) => {
        const offs: (() => void)[] = [];
        const done = (o: CheckOutcome | null): void => {
          offs.forEach((off) => off());
          timer.cancel();
          resolve(o);
        };
        const timer = ctx.clock.setTimeout(() => done(null), timeoutMs);
        ctx.signal.addEventListener('abort', () => done(null), { once: true });
        offs.push(
          feed.on('frame', (frame) => {
            stats.push(lumaStats(frame.data));
            if (stats.length >= minFrames) done(null);
          }),
          // At the end of the line the video pipeline is already up, so its first
          // failure is a fault: report it now rather than wait through restarts.
          feed.on('health', (h) => {
            if (h.state === 'down') done(fail('camera_no_frames', `${stats.length} frames`, `${h.code}: ${h.reason}`));
          }),
        );
        feed.start().catch((err: unknown) => done(fail('camera_no_frames', '0 frames', err instanceof Error ? err.message : String(err))));
      });
      return outcome ?? judgeFrames(stats, minFrames);
    },
  };
}
