/**
 * Configuration of the analysis frame source. The agent's convict schema
 * mirrors these keys (`video.input`, `video.loop`, `video.analysis.width|height|fps`,
 * `video.stallTimeoutSeconds`) and these ranges.
 */
import { MediaError } from './media-error.js';

export interface FrameSourceConfig {
  /**
   * What to read: `rtsp://user:pass@host/path`, a file path, or
   * `lavfi:<filtergraph>` for a synthetic source (see ffmpeg-args.ts).
   */
  input: string;
  /** Loop a file input forever. A non-looping file that ends leaves the source down for good. */
  loop: boolean;
  /** Analysis frame width in pixels, 8–1920. */
  width: number;
  /** Analysis frame height in pixels, 8–1080. */
  height: number;
  /** Analysis frames per second, 0.1–30. */
  fps: number;
  /** No frame for this long means ffmpeg is stuck: kill and restart it. At least 1000 ms and two frame periods. */
  stallTimeoutMs: number;
}

/**
 * 320×180 at 5 fps: enough resolution for motion regions on a 16:9 sensor
 * while keeping decode-and-compare well under a few % of one ARM core
 * (57,600 bytes per frame, 288 kB/s).
 */
export const frameSourceDefaults: Omit<FrameSourceConfig, 'input'> = {
  loop: true,
  width: 320,
  height: 180,
  fps: 5,
  stallTimeoutMs: 10_000,
};

/** Returns the first problem with `config`, or null when it is usable. */
export function checkFrameSourceConfig(config: FrameSourceConfig): MediaError | null {
  const bad = (message: string): MediaError => new MediaError('invalid_config', message);
  if (config.input.trim() === '') return bad('video input is empty');
  if (!isIntIn(config.width, 8, 1920)) return bad(`analysis width must be an integer in 8–1920, got ${config.width}`);
  if (!isIntIn(config.height, 8, 1080)) return bad(`analysis height must be an integer in 8–1080, got ${config.height}`);
  if (!(config.fps >= 0.1 && config.fps <= 30)) return bad(`analysis fps must be in 0.1–30, got ${config.fps}`);
  const minStall = Math.max(1000, 2000 / config.fps);
  if (!(config.stallTimeoutMs >= minStall)) {
    return bad(`stall timeout must be at least ${minStall} ms at ${config.fps} fps, got ${config.stallTimeoutMs}`);
  }
  return null;
}

function isIntIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}
