/**
 * Privacy masks as a per-pixel bitmap at the output size: 0 where the image
 * must be black, 255 where it is kept. The processor ANDs the resized frame
 * with it inside the libvips pipeline (`boolean('and')`), which costs ~0 ms;
 * compositing the same polygons as an SVG measured +25–33 ms per 720p
 * snapshot (sharp composites in float over the whole frame), doubling the
 * pipeline (docs/snapshots.md).
 *
 * Rasterised in JS by scanline, even-odd per polygon (as the motion masks),
 * union over polygons, then grown by one pixel in every direction: a pixel
 * the polygon edge only grazes is blacked out too, so no sliver of a masked
 * area can survive rounding or the JPEG's 8×8 blocks bleeding across the edge.
 */
import type { PrivacyMask, Size } from './snapshot-geometry.js';

export const MASKED = 0;
export const KEPT = 255;

/** Coverage (1 = inside some polygon) by pixel-centre sampling, before growing. */
export function polygonCoverage(masks: readonly PrivacyMask[], size: Size): Uint8Array {
  const { width: w, height: h } = size;
  const cov = new Uint8Array(w * h);
  const xs: number[] = [];
  for (const m of masks) {
    const pts = m.points.map(([x, y]) => [x * w, y * h] as const);
    for (let y = 0; y < h; y++) {
      const yc = y + 0.5;
      xs.length = 0;
      for (let i = 0; i < pts.length; i++) {
        const [x1, y1] = pts[i]!;
        const [x2, y2] = pts[(i + 1) % pts.length]!;
        if (y1 <= yc !== y2 <= yc) xs.push(x1 + ((yc - y1) * (x2 - x1)) / (y2 - y1));
      }
      if (xs.length < 2) continue;
      xs.sort((a, b) => a - b);
      for (let k = 0; k + 1 < xs.length; k += 2) {
        // Pixels whose centre x + 0.5 lies in [xa, xb).
        const from = Math.max(0, Math.ceil(xs[k]! - 0.5));
        const to = Math.min(w, Math.ceil(xs[k + 1]! - 0.5));
        if (to > from) cov.fill(1, y * w + from, y * w + to);
      }
    }
  }
  return cov;
}

/** The mask bitmap (MASKED/KEPT per pixel), or null when there are no masks. */
export function rasterizeMasks(masks: readonly PrivacyMask[], size: Size): Uint8Array | null {
  if (masks.length === 0) return null;
  const { width: w, height: h } = size;
  const cov = polygonCoverage(masks, size);
  // Grow by one pixel: horizontally into `row`, then vertically into `out`.
  const horiz = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const base = y * w;
    for (let x = 0; x < w; x++) {
      if (cov[base + x] === 1 || (x > 0 && cov[base + x - 1] === 1) || (x + 1 < w && cov[base + x + 1] === 1)) horiz[base + x] = 1;
    }
  }
  const out = new Uint8Array(w * h).fill(KEPT);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (horiz[i] === 1 || (y > 0 && horiz[i - w] === 1) || (y + 1 < h && horiz[i + w] === 1)) out[i] = MASKED;
    }
  }
  return out;
}
