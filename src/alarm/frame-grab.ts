import type { Result } from './snapshot-error.js';

/**
 * One full-resolution frame from the main stream, encoded as JPEG or PNG.
 * Implemented over media/ffmpeg.ts's grabJpegFrame (ffmpeg-grab.ts). Must resolve within about
 * `timeoutMs` with `snapshot_timeout` or `grab_failed` rather than hang;
 * the capture guards it with its own timer anyway.
 */
export type GrabFrame = (url: string, timeoutMs: number) => Promise<Result<Buffer>>;
