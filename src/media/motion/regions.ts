/**
 * Zones (named areas to watch) and masks (areas ignored), as polygons in
 * normalised coordinates: x and y are fractions 0–1 of the frame's width and
 * height, so a polygon drawn on a 1080p snapshot still fits the 160×90
 * analysis frame, and survives a change of the analysis size.
 *
 * Polygons are rasterised once per frame size into per-pixel masks; the
 * detector then only reads bytes.
 */
export interface MotionRegion {
  name: string;
  /** Vertices [x, y], each 0–1; at least 3. Self-intersecting polygons fill by the even-odd rule. */
  points: Array<[number, number]>;
  /** Zones only: changed area, percent of this zone, that counts as motion in it. */
  minArea?: number;
}

/** Zones are a bitset per pixel in a Uint16Array. */
export const MAX_ZONES = 16;
const MAX_POINTS = 64;
const NAME = /^[A-Za-z0-9_.-]{1,32}$/;

export type RegionsResult = { ok: true; regions: MotionRegion[] } | { ok: false; message: string };

/** Validates zones or masks given as an array or as a JSON string of one. */
export function parseRegions(value: unknown, kind: 'zone' | 'mask'): RegionsResult {
  let list = value;
  if (typeof list === 'string') {
    if (list.trim() === '') return { ok: true, regions: [] };
    try {
      list = JSON.parse(list);
    } catch {
      return { ok: false, message: 'must be a JSON array of polygons' };
    }
  }
  if (!Array.isArray(list)) return { ok: false, message: 'must be an array of polygons' };
  if (kind === 'zone' && list.length > MAX_ZONES) return { ok: false, message: `at most ${MAX_ZONES} zones` };
  const regions: MotionRegion[] = [];
  const names = new Set<string>();
  for (const [i, item] of list.entries()) {
    const where = `${kind} ${i + 1}`;
    if (typeof item !== 'object' || item === null) return { ok: false, message: `${where}: must be an object with points` };
    const { name = `${kind}${i + 1}`, points, minArea } = item as Record<string, unknown>;
    if (typeof name !== 'string' || !NAME.test(name)) return { ok: false, message: `${where}: name must be 1–32 of A–Z a–z 0–9 _ . -` };
    if (names.has(name)) return { ok: false, message: `${where}: duplicate name ${name}` };
    names.add(name);
    if (!Array.isArray(points) || points.length < 3 || points.length > MAX_POINTS) {
      return { ok: false, message: `${where}: points must be 3–${MAX_POINTS} [x, y] pairs` };
    }
    const pts: Array<[number, number]> = [];
    for (const p of points) {
      if (!Array.isArray(p) || p.length !== 2 || !p.every((c) => typeof c === 'number' && c >= 0 && c <= 1)) {
        return { ok: false, message: `${where}: each point must be [x, y] with 0 ≤ x, y ≤ 1` };
      }
      pts.push([p[0] as number, p[1] as number]);
    }
    const region: MotionRegion = { name, points: pts };
    if (minArea !== undefined) {
      if (kind === 'mask') return { ok: false, message: `${where}: masks have no minArea` };
      if (typeof minArea !== 'number' || !(minArea > 0 && minArea <= 100)) return { ok: false, message: `${where}: minArea must be a percent in (0, 100]` };
      region.minArea = minArea;
    }
    regions.push(region);
  }
  return { ok: true, regions };
}

/**
 * Sets `value` in `out` (w×h, row-major) for every pixel whose centre lies
 * inside the polygon (even-odd rule, scanline fill).
 */
export function fillPolygon(out: Uint8Array | Uint16Array, w: number, h: number, points: ReadonlyArray<readonly [number, number]>, value: number, combine: 'set' | 'or' = 'set'): void {
  const xs: number[] = [];
  const n = points.length;
  for (let y = 0; y < h; y++) {
    const cy = (y + 0.5) / h;
    xs.length = 0;
    for (let i = 0; i < n; i++) {
      const [x0, y0] = points[i]!;
      const [x1, y1] = points[(i + 1) % n]!;
      // Half-open in y so a vertex shared by two edges is counted once.
      if ((y0 <= cy && cy < y1) || (y1 <= cy && cy < y0)) xs.push((x0 + ((cy - y0) / (y1 - y0)) * (x1 - x0)) * w);
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      // Pixel x is inside when its centre x+0.5 lies in [xs[k], xs[k+1]).
      const from = Math.max(0, Math.ceil(xs[k]! - 0.5));
      const to = Math.min(w, Math.ceil(xs[k + 1]! - 0.5));
      const row = y * w;
      for (let x = from; x < to; x++) out[row + x] = combine === 'or' ? out[row + x]! | value : value;
    }
  }
}

/** Grows the set pixels of a 0/1 mask by `r` pixels (square structuring element), in place. */
export function dilate(mask: Uint8Array, w: number, h: number, r: number): void {
  if (r <= 0) return;
  const tmp = new Uint8Array(mask.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!mask[y * w + x]) continue;
      const x0 = Math.max(0, x - r);
      const x1 = Math.min(w - 1, x + r);
      for (let xx = x0; xx <= x1; xx++) tmp[y * w + xx] = 1;
    }
  }
  mask.fill(0);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!tmp[y * w + x]) continue;
      const y0 = Math.max(0, y - r);
      const y1 = Math.min(h - 1, y + r);
      for (let yy = y0; yy <= y1; yy++) mask[yy * w + x] = 1;
    }
  }
}
