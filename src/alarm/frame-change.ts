/**
 * A cheap per-frame motion score for the pre-event ring: the percentage of
 * sampled pixels whose luma changed by more than `threshold` since the
 * previous analysis frame. The analyzer does not expose the detector's own
 * per-frame score (only event starts and ends), and the ring only needs a
 * ranking ("which of the last frames shows the most happening"), so every
 * 4th pixel of every 4th row is enough: ~3,600 comparisons at 320×180. Pure.
 */
export function frameChangeScore(prev: Uint8Array | null, cur: Uint8Array, width: number, height: number, threshold = 25, step = 4): number {
  if (prev === null || prev.length !== cur.length) return 0;
  let changed = 0;
  let total = 0;
  for (let y = 0; y < height; y += step) {
    const row = y * width;
    for (let x = 0; x < width; x += step) {
      const i = row + x;
      if (Math.abs(cur[i]! - prev[i]!) > threshold) changed++;
      total++;
    }
  }
  return total === 0 ? 0 : Math.round((changed / total) * 10000) / 100;
}
