/**
 * GrabFrame over media/ffmpeg.ts (the one module that spawns ffmpeg): one
 * JPEG of the main stream, checked to be a complete image, with the
 * snapshot error codes the capture maps its fallbacks on.
 */
import { grabJpegFrame } from '../media/ffmpeg.js';
import { fail, ok } from './snapshot-error.js';
import { inspectImage } from './image-inspect.js';
import type { GrabFrame } from './frame-grab.js';

export interface FfmpegGrabOptions {
  /** Cap on the JPEG size read from ffmpeg. */
  maxBytes?: number;
}

export function createFfmpegGrab(opts: FfmpegGrabOptions = {}): GrabFrame {
  return async (url, timeoutMs) => {
    const r = await grabJpegFrame(url, timeoutMs, opts.maxBytes === undefined ? {} : { maxBytes: opts.maxBytes });
    if (!r.ok) return fail(r.code === 'timeout' ? 'snapshot_timeout' : 'grab_failed', r.message);
    if (r.bytes.length === 0 || inspectImage(r.bytes) === null) return fail('grab_failed', 'ffmpeg produced no complete frame');
    return ok(r.bytes);
  };
}
