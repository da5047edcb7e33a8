/**
 * Connected changed regions ("blobs") of a 0/1 change map, 8-connected,
 * by the classic two-pass labelling with union-find. Used to drop speckle:
 * scattered single changed pixels (noise, codec ringing) add up to a large
 * area but never form a blob the size of a cat. Frigate does the same with
 * contours (contour_area), Motion with its despeckle/labeling filter.
 */
export class BlobLabeler {
  readonly #labels: Int32Array;
  readonly #parent: Int32Array;
  readonly #area: Int32Array;

  constructor(readonly width: number, readonly height: number) {
    const n = width * height;
    this.#labels = new Int32Array(n);
    // At most one new label per two pixels in a row (8-connectivity), plus label 0.
    this.#parent = new Int32Array((n >> 1) + 2);
    this.#area = new Int32Array((n >> 1) + 2);
  }

  /**
   * Clears `changed[i]` for every pixel whose blob is smaller than
   * `minPixels` and returns the number of pixels left.
   */
  removeSmall(changed: Uint8Array, minPixels: number): number {
    const w = this.width;
    const h = this.height;
    const labels = this.#labels;
    const parent = this.#parent;
    const area = this.#area;
    let next = 1;
    let firstRow = -1;
    let lastRow = -1;
    // A neighbour's label is read only where `changed` is set, so labels
    // left from the previous frame never need clearing.
    for (let y = 0; y < h; y++) {
      const row = y * w;
      for (let x = 0; x < w; x++) {
        const i = row + x;
        if (changed[i] === 0) continue;
        if (firstRow < 0) firstRow = y;
        lastRow = y;
        let l = 0;
        if (x > 0 && changed[i - 1] !== 0) l = labels[i - 1]!;
        if (y > 0) {
          const up = i - w;
          if (x > 0 && changed[up - 1] !== 0) l = l === 0 ? labels[up - 1]! : union(parent, l, labels[up - 1]!);
          if (changed[up] !== 0) l = l === 0 ? labels[up]! : union(parent, l, labels[up]!);
          if (x < w - 1 && changed[up + 1] !== 0) l = l === 0 ? labels[up + 1]! : union(parent, l, labels[up + 1]!);
        }
        if (l === 0) {
          l = next++;
          parent[l] = l;
          area[l] = 0;
        }
        labels[i] = l;
      }
    }
    if (next === 1) return 0;
    const from = firstRow * w;
    const to = (lastRow + 1) * w;
    for (let i = from; i < to; i++) {
      if (changed[i] === 0) continue;
      const root = find(parent, labels[i]!);
      labels[i] = root;
      area[root]! += 1;
    }
    let kept = 0;
    for (let i = from; i < to; i++) {
      if (changed[i] === 0) continue;
      if (area[labels[i]!]! < minPixels) changed[i] = 0;
      else kept++;
    }
    return kept;
  }
}

function find(parent: Int32Array, l: number): number {
  let root = l;
  while (parent[root] !== root) root = parent[root]!;
  // Path compression keeps later finds O(1).
  while (parent[l] !== root) {
    const up = parent[l]!;
    parent[l] = root;
    l = up;
  }
  return root;
}

function union(parent: Int32Array, a: number, b: number): number {
  const ra = find(parent, a);
  const rb = find(parent, b);
  if (ra === rb) return ra;
  // The smaller label becomes the root, so roots are stable while scanning.
  if (ra < rb) {
    parent[rb] = ra;
    return ra;
  }
  parent[ra] = rb;
  return rb;
}
