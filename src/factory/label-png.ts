import sharp from 'sharp';
import { LABEL_DPI } from './label-layout.js';

/**
 * Rasterises the pixel-unit label SVG with sharp (librsvg). Text needs a
 * font fontconfig can find: Debian's fonts-dejavu-core. The PNG carries
 * 300 dpi in its pHYs chunk so printing software keeps the physical size.
 *
 * Rendered at density 72 because libvips then maps 1 SVG px to 1 output px;
 * the physical-unit SVG scales inconsistently across densities.
 */
let configured = false;

export async function renderLabelPng(svgPx: string): Promise<Buffer> {
  if (!configured) {
    // One thread per render and no cache: a batch renders many small images
    // concurrently, and libvips' own thread pool only adds contention there.
    sharp.concurrency(1);
    sharp.cache(false);
    configured = true;
  }
  return sharp(Buffer.from(svgPx), { density: 72 })
    .flatten({ background: '#ffffff' })
    .greyscale()
    .png({ compressionLevel: 6 })
    .withMetadata({ density: LABEL_DPI })
    .toBuffer();
}
