/**
 * Pixel operations on 8-bit gray images in caller-owned typed arrays: no
 * allocation per frame, integer arithmetic, edges clamped. They are the
 * detector's inner loops, so they are written plainly for V8's JIT: one
 * flat loop per pass, no closures, no per-pixel calls.
 */

/** Averages f×f blocks of `src` (sw×sh) into `dst` (⌊sw/f⌋×⌊sh/f⌋). */
export function downsample(src: Uint8Array, sw: number, sh: number, f: number, dst: Uint8Array): void {
  const dw = Math.floor(sw / f);
  const dh = Math.floor(sh / f);
  // Division by f² as a multiply and shift: exact for sums ≤ 255·f², f ≤ 16.
  const recip = Math.ceil(65536 / (f * f));
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) {
      let sum = 0;
      let row = y * f * sw + x * f;
      for (let j = 0; j < f; j++, row += sw) {
        for (let i = 0; i < f; i++) sum += src[row + i]!;
      }
      dst[y * dw + x] = (sum * recip) >>> 16;
    }
  }
}

/**
 * One pass of the 1-2-1 binomial kernel in both directions (≈ gaussian
 * σ 0.7); `passes` passes ≈ σ 0.7·√passes. `tmp` holds w×h 16-bit sums.
 * `src` and `dst` may be the same array.
 */
export function blurGaussian(src: Uint8Array, dst: Uint8Array, w: number, h: number, tmp: Uint16Array, passes: number): void {
  let from = src;
  for (let p = 0; p < passes; p++) {
    for (let y = 0; y < h; y++) {
      const r = y * w;
      tmp[r] = 3 * from[r]! + from[r + 1]!;
      for (let x = 1; x < w - 1; x++) tmp[r + x] = from[r + x - 1]! + 2 * from[r + x]! + from[r + x + 1]!;
      tmp[r + w - 1] = from[r + w - 2]! + 3 * from[r + w - 1]!;
    }
    for (let x = 0; x < w; x++) dst[x] = (3 * tmp[x]! + tmp[w + x]! + 8) >> 4;
    for (let y = 1; y < h - 1; y++) {
      const r = y * w;
      for (let x = 0; x < w; x++) dst[r + x] = (tmp[r - w + x]! + 2 * tmp[r + x]! + tmp[r + w + x]! + 8) >> 4;
    }
    const last = (h - 1) * w;
    for (let x = 0; x < w; x++) dst[last + x] = (tmp[last - w + x]! + 3 * tmp[last + x]! + 8) >> 4;
    from = dst;
  }
}

/** Box blur of radius r (window 2r+1) with running sums; `tmp` holds w×h 16-bit sums. */
export function blurBox(src: Uint8Array, dst: Uint8Array, w: number, h: number, tmp: Uint16Array, r: number): void {
  const win = 2 * r + 1;
  const recip = Math.ceil(65536 / (win * win));
  for (let y = 0; y < h; y++) {
    const row = y * w;
    let sum = 0;
    for (let k = -r; k <= r; k++) sum += src[row + clamp(k, w)]!;
    for (let x = 0; x < w; x++) {
      tmp[row + x] = sum;
      sum += src[row + clamp(x + r + 1, w)]! - src[row + clamp(x - r, w)]!;
    }
  }
  for (let x = 0; x < w; x++) {
    let sum = 0;
    for (let k = -r; k <= r; k++) sum += tmp[clamp(k, h) * w + x]!;
    for (let y = 0; y < h; y++) {
      dst[y * w + x] = (sum * recip) >>> 16;
      sum += tmp[clamp(y + r + 1, h) * w + x]! - tmp[clamp(y - r, h) * w + x]!;
    }
  }
}

function clamp(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/** The value below which `q` (0–1) of the `count` samples in a 256-bin histogram lie. */
export function histogramQuantile(hist: Uint32Array, count: number, q: number): number {
  const target = q * count;
  let acc = 0;
  for (let v = 0; v < hist.length; v++) {
    acc += hist[v]!;
    if (acc > target) return v;
  }
  return hist.length - 1;
}

/**
 * Quantiles matched between background and frame: dense towards the tails,
 * where clipping bends the curve during dusk and exposure ramps. A dark
 * person covering 2 % of a bright scene *is* the frame's lowest percentiles
 * and would bend the dark end of the curve, so the caller leaves pixels
 * that are known to be moving out of both histograms.
 */
const TONE_KNOTS = [0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.98];

/**
 * The tone curve that carries the background's brightness into the frame's:
 * `lut[v]` (v = 0–256, for interpolation) is the frame level that matches
 * background level v, by matching quantiles of the two histograms and
 * joining them piecewise-linearly (slope 1 beyond the ends). Monotone by
 * construction. Explains global changes, linear or not (exposure, gain,
 * gamma, IR tone curves, clipping), while a mover covering a few percent of
 * the frame moves each quantile only a little.
 */
export function toneCurve(bgHist: Uint32Array, frameHist: Uint32Array, count: number, lut: Float32Array): void {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const q of TONE_KNOTS) {
    const x = histogramQuantile(bgHist, count, q);
    const y = histogramQuantile(frameHist, count, q);
    const last = xs.length - 1;
    if (last >= 0 && xs[last] === x) {
      // Many background pixels share one level (flat or clipped area): match it to their average.
      ys[last] = (ys[last]! + y) / 2;
      continue;
    }
    xs.push(x);
    ys.push(Math.max(y, last >= 0 ? ys[last]! : 0));
  }
  let k = 0;
  for (let v = 0; v < lut.length; v++) {
    while (k < xs.length - 1 && v > xs[k + 1]!) k++;
    let y: number;
    if (v <= xs[0]!) y = ys[0]! + (v - xs[0]!);
    else if (k >= xs.length - 1) y = ys[k]! + (v - xs[k]!);
    else y = ys[k]! + ((v - xs[k]!) * (ys[k + 1]! - ys[k]!)) / (xs[k + 1]! - xs[k]!);
    lut[v] = y < 0 ? 0 : y > 255 ? 255 : y;
  }
}
