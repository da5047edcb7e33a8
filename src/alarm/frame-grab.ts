import type { Result } from './snapshot-error.js';

/**
 * One full-resolution frame from the main stream, encoded as JPEG or PNG.
 * Implemented with ffmpeg (ffmpeg-grab.ts; the integrator may move it into
 * media/ffmpeg.ts, the module that owns ffmpeg). Must resolve within about
 * `timeoutMs` with `snapshot_timeout` or `grab_failed` rather than hang;
 * the capture guards it with its own timer anyway.
 */
export type GrabFrame = (url: string, timeoutMs: number) => Promise<Result<Buffer>>;
