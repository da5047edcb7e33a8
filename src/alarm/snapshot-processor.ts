/**
 * Turns a captured frame into what may leave the device: resized, privacy
 * masks burned in, time and device name drawn, metadata stripped, plus a
 * thumbnail. The one module that uses sharp for alarm snapshots.
 *
 * Privacy by construction: the snapshot is one libvips pipeline decode →
 * resize → (strip rows made white) → AND with the stencil of masks and text
 * (overlay-stencil.ts) → JPEG, so no unmasked pixel is ever encoded, spooled
 * or read into JS; the thumbnail is made from that finished JPEG.
 *
 * Memory (performance.md §3.5, measured in docs/snapshots.md): libvips'
 * operation cache is off and one thread works per image; snapshots are
 * processed one at a time through an internal queue, so a burst of alarms
 * costs time, not RAM.
 */
import { SerialQueue } from '../core/serial-queue.js';
import type { Sharp } from 'sharp';
import type SharpFactory from 'sharp';
import type { Logger } from '../log/logger.js';
import { fail, ok, type Result } from './snapshot-error.js';
import {
  formatOverlayTime,
  overlayStrip,
  overlaySvg,
  type OverlayStrip,
  targetSize,
  type OverlayPosition,
  type PrivacyMask,
  type Size,
} from './snapshot-geometry.js';
import { inspectImage, markerName, metadataSegments } from './image-inspect.js';
import type { SnapshotFrame } from './snapshot-types.js';
import { rasterizeMasks } from './mask-raster.js';
import { stencilBitmap, writeStripCoverage } from './overlay-stencil.js';

export interface SnapshotProcessorConfig {
  /** Output width in px (`alarm.snapshot.width`). */
  width: number;
  /** JPEG quality 1–100 (`alarm.snapshot.quality`). */
  quality: number;
  thumbnailWidth: number;
  thumbnailQuality: number;
  /** Never enlarge an input more than this (`alarm.snapshot.maxUpscale`). */
  maxUpscale: number;
  /**
   * Refuse inputs with more pixels than this before decoding: a hostile or
   * broken snapshot URI could otherwise make libvips allocate gigabytes.
   */
  limitInputPixels: number;
  /** mozjpeg trellis quantisation: ~10 % smaller files for ~2–3× encode time; off by default. */
  mozjpeg: boolean;
  masks: readonly PrivacyMask[];
  overlay: {
    enabled: boolean;
    position: OverlayPosition;
    /** Shown at the other end of the strip from the time; empty to show the time only. */
    deviceName: string;
    /** IANA name (`device.timezone`). */
    timeZone: string;
  };
}

export const SNAPSHOT_PROCESSOR_DEFAULTS: Omit<SnapshotProcessorConfig, 'masks' | 'overlay'> = {
  width: 1280,
  quality: 80,
  thumbnailWidth: 320,
  thumbnailQuality: 70,
  maxUpscale: 4,
  limitInputPixels: 4096 * 4096,
  mozjpeg: false,
};

export interface ProcessedSnapshot {
  jpeg: Buffer;
  thumbnail: Buffer;
  size: Size;
  thumbnailSize: Size;
  /** The frame came from the low-res pre-event ring (upscaled). */
  lowRes: boolean;
  /** Wall-clock ms printed in the overlay. */
  at: number;
  /** Processing time: the snapshot (header check to JPEG, overlay and masks included), then the thumbnail. */
  timing: { snapshotMs: number; thumbnailMs: number };
}

export interface SnapshotProcessorDeps {
  config: () => SnapshotProcessorConfig;
  logger: Logger;
}

/**
 * sharp (libvips) is loaded on first use, not at start: it adds ~35 MB of
 * RSS, and an idle camera that never sees motion never needs it.
 */
let sharp: typeof SharpFactory;
async function loadSharp(): Promise<void> {
  sharp ??= (await import('sharp')).default;
}

/** Process-wide libvips settings for a 128–512 MB camera; idempotent. */
export async function configureSharpForLowMemory(): Promise<void> {
  await loadSharp();
  // The operation cache (50 MB, 100 items by default) only helps when the
  // same image is processed repeatedly; ours never is.
  sharp.cache(false);
  // One libvips worker thread per image: on a 1–2 core SoC more threads
  // only add stacks and allocator arenas.
  sharp.concurrency(1);
}

export class SnapshotProcessor {
  #queue = new SerialQueue();
  #textRenders: boolean | null = null;
  #stencil: { key: string; bitmap: Buffer | null } | null = null;

  constructor(private readonly deps: SnapshotProcessorDeps) {}

  /** Nothing to do until the first snapshot: see loadSharp(). */
  async start(): Promise<void> {}

  /** Loads sharp, applies the low-memory settings and checks that overlay text can be drawn; once. */
  async #ready(): Promise<void> {
    if (this.#textRenders !== null) return;
    await configureSharpForLowMemory();
    this.#textRenders = await probeTextRendering();
    if (!this.#textRenders) {
      this.deps.logger.warn(
        { font: 'DejaVu Sans' },
        'snapshot overlay text renders no glyphs: no usable font (install fonts-dejavu-core); the strip is drawn without text',
      );
    }
  }

  /** Whether a font was found (null before the first snapshot). */
  get textRenders(): boolean | null {
    return this.#textRenders;
  }

  /** Processes one frame; calls are queued so only one image is in memory at a time. */
  process(frame: SnapshotFrame, at: number): Promise<Result<ProcessedSnapshot>> {
    return this.#queue.run(() => this.#process(frame, at));
  }

  async #process(frame: SnapshotFrame, at: number): Promise<Result<ProcessedSnapshot>> {
    await this.#ready();
    const started = performance.now();
    const cfg = this.deps.config();
    let input: Sharp;
    let inSize: Size;
    if (frame.kind === 'encoded') {
      const info = inspectImage(frame.bytes);
      if (info === null) return fail('snapshot_invalid_image', 'frame is not a complete JPEG or PNG');
      if (info.width * info.height > cfg.limitInputPixels) {
        return fail('snapshot_invalid_image', `frame is ${info.width}×${info.height}, above the ${cfg.limitInputPixels}-pixel limit`);
      }
      inSize = { width: info.width, height: info.height };
      input = sharp(frame.bytes, { limitInputPixels: cfg.limitInputPixels, failOn: 'error', sequentialRead: true });
    } else {
      inSize = { width: frame.width, height: frame.height };
      input = sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 1 } });
    }
    const size = targetSize(inSize, cfg.width, cfg.maxUpscale);
    const thumbSize = targetSize(size, cfg.thumbnailWidth, 1);
    try {
      const strip = cfg.overlay.enabled
        ? overlayStrip(size, formatOverlayTime(at, cfg.overlay.timeZone), cfg.overlay.deviceName, cfg.overlay.position)
        : null;
      const stencil = this.#stencilFor(cfg.masks, size, strip !== null);
      if (strip && stencil) {
        const coverage = await sharp(Buffer.from(overlaySvg(strip))).extractChannel(0).raw().toBuffer();
        writeStripCoverage(stencil, size, strip, coverage);
      }
      let pipeline = input.resize(size.width, size.height, { fit: 'fill' });
      if (strip) pipeline = whitenStrip(pipeline, size, strip);
      if (stencil) pipeline = pipeline.boolean(stencil, 'and', { raw: { width: size.width, height: size.height, channels: 1 } });
      // No withMetadata()/keepMetadata(): sharp then writes no EXIF, XMP or
      // ICC. Checked below, not assumed.
      const jpeg = await pipeline.toColourspace('srgb').removeAlpha().jpeg({ quality: cfg.quality, mozjpeg: cfg.mozjpeg }).toBuffer();
      const encoded = performance.now();
      // From the finished snapshot, so it is masked by construction: the
      // JPEG's shrink-on-load makes this ~5 ms. The strip shrinks with it.
      const thumbnail = await sharp(jpeg)
        .resize(thumbSize.width, thumbSize.height, { fit: 'fill' })
        .jpeg({ quality: cfg.thumbnailQuality, mozjpeg: cfg.mozjpeg })
        .toBuffer();

      const timing = { snapshotMs: encoded - started, thumbnailMs: performance.now() - encoded };
      for (const [name, bytes] of [['snapshot', jpeg], ['thumbnail', thumbnail]] as const) {
        const info = inspectImage(bytes);
        const found = info ? metadataSegments(info) : [];
        if (info === null || found.length > 0) {
          return fail('metadata_present', `${name} carries ${found.map((s) => markerName(s.marker)).join(', ') || 'an unreadable header'}; refused`);
        }
      }
      return ok({ jpeg, thumbnail, size, thumbnailSize: thumbSize, lowRes: frame.lowRes, at, timing });
    } catch (err) {
      return fail(
        err instanceof Error && /pixel limit|unsupported image|corrupt|premature|bad seek|VipsJpeg/i.test(err.message) ? 'snapshot_invalid_image' : 'process_failed',
        `sharp failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  /**
   * The stencil for this size, rasterised once and kept while masks and size
   * stay the same (w×h bytes: 0.9 MB at 720p — cheaper than ~15 ms of JS
   * rasterising per alarm). Reused across snapshots: processing is queued, so
   * no pipeline still reads it when the next snapshot writes its text.
   */
  #stencilFor(masks: readonly PrivacyMask[], size: Size, withStrip: boolean): Buffer | null {
    const key = `${size.width}x${size.height}:${withStrip}:${JSON.stringify(masks)}`;
    if (this.#stencil?.key !== key) {
      const bitmap = stencilBitmap(rasterizeMasks(masks, size), size, withStrip);
      this.#stencil = { key, bitmap: bitmap ? Buffer.from(bitmap.buffer, bitmap.byteOffset, bitmap.byteLength) : null };
    }
    return this.#stencil.bitmap;
  }
}

/** Replaces the strip's rows with white (crop, then extend with a white background); the size stays the same. */
function whitenStrip(pipeline: Sharp, size: Size, strip: OverlayStrip): Sharp {
  const atTop = strip.top === 0;
  return pipeline
    .extract({ left: 0, top: atTop ? strip.height : 0, width: size.width, height: size.height - strip.height })
    .extend({ [atTop ? 'top' : 'bottom']: strip.height, background: { r: 255, g: 255, b: 255, alpha: 1 } });
}

/** Renders "0" in the overlay font and counts lit pixels: zero means no font was found. */
async function probeTextRendering(): Promise<boolean> {
  const strip = overlayStrip({ width: 200, height: 400 }, '0123', '', 'top-left');
  const data = await sharp(Buffer.from(overlaySvg(strip))).extractChannel(0).raw().toBuffer();
  let lit = 0;
  for (const v of data) if (v > 200) lit++;
  return lit > 0;
}
