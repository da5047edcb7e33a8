/**
 * Alpha-blends the rendered overlay box (RGBA, straight alpha, from the SVG)
 * into the snapshot's raw RGB pixels in place. Done in JS over the box only
 * (~30 k pixels at 720p, < 1 ms) because sharp's composite() blends in float
 * across the whole frame: +25 ms for a box covering 3 % of it (measured,
 * docs/snapshots.md).
 */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

export function blendOverlay(dst: RawImage, overlay: RawImage, left: number, top: number): void {
  if (overlay.channels !== 4) throw new Error('overlay must be RGBA');
  const ch = dst.channels;
  if (ch < 3) throw new Error('snapshot must be RGB');
  for (let oy = 0; oy < overlay.height; oy++) {
    const y = top + oy;
    if (y < 0 || y >= dst.height) continue;
    for (let ox = 0; ox < overlay.width; ox++) {
      const x = left + ox;
      if (x < 0 || x >= dst.width) continue;
      const o = (oy * overlay.width + ox) * 4;
      const a = overlay.data[o + 3]!;
      if (a === 0) continue;
      const d = (y * dst.width + x) * ch;
      for (let c = 0; c < 3; c++) {
        // Rounded integer blend: (src·(255−a) + ov·a) / 255.
        dst.data[d + c] = ((dst.data[d + c]! * (255 - a) + overlay.data[o + c]! * a + 127) / 255) | 0;
      }
    }
  }
}
