/**
 * Privacy masks and the overlay strip as one full-frame, one-byte-per-pixel
 * stencil that libvips ANDs with the resized frame inside the decode →
 * resize → encode pipeline. Before the AND, the pipeline replaces the strip's
 * rows with white (crop + extend with a white background), so
 *
 *   outside the strip:  frame AND (0 masked | 255 kept)  → black or untouched
 *   inside the strip:   255 AND coverage                 → the text's coverage
 *
 * i.e. anti-aliased white text on black, drawn with the same single AND as
 * the masks. No pixel of the scene under the strip or a mask survives.
 *
 * Why not sharp's composite(): it adds an alpha band before the resize and
 * blends in float over the whole frame: +25–36 ms per 720p snapshot, more
 * than the decode (docs/snapshots.md). The AND streams with the decode at
 * ~0 ms, so a snapshot costs what a bare resize+encode costs.
 */
import type { OverlayStrip, Size } from './snapshot-geometry.js';
import { KEPT } from './mask-raster.js';

/**
 * The stencil for this size: the mask bitmap (or all KEPT when there are no
 * masks), into which writeStripCoverage() draws each snapshot's text. Null
 * when there is nothing to mask and no strip, so the pipeline skips the AND.
 */
export function stencilBitmap(maskBitmap: Uint8Array | null, size: Size, withStrip: boolean): Uint8Array | null {
  if (maskBitmap) return Uint8Array.from(maskBitmap);
  return withStrip ? new Uint8Array(size.width * size.height).fill(KEPT) : null;
}

/**
 * Copies the strip's text coverage (strip.width × strip.height bytes) into
 * the stencil's strip rows. Every byte of those rows is overwritten, so a
 * stencil reused for the next snapshot needs no clearing.
 */
export function writeStripCoverage(stencil: Uint8Array, size: Size, strip: OverlayStrip, coverage: Uint8Array): void {
  if (stencil.length !== size.width * size.height) throw new Error('stencil does not match the frame size');
  if (strip.width !== size.width || strip.top < 0 || strip.top + strip.height > size.height) throw new Error('strip does not fit the frame');
  if (coverage.length !== strip.width * strip.height) throw new Error('coverage does not match the strip size');
  stencil.set(coverage, strip.top * size.width);
}
