import t from 'tap';
import { BlobLabeler } from '../../../src/media/motion/blobs.js';
import { blurBox, blurGaussian, downsample, histogramQuantile, toneCurve } from '../../../src/media/motion/image-ops.js';

t.test('downsample averages whole blocks', async (t) => {
  const src = Uint8Array.from([0, 2, 100, 100, 4, 6, 100, 100]);
  const dst = new Uint8Array(2);
  downsample(src, 4, 2, 2, dst);
  t.same([...dst], [3, 100]);
});

t.test('blurs keep a flat image flat and spread a dot symmetrically', async (t) => {
  const w = 7;
  const h = 7;
  const tmp = new Uint16Array(w * h);
  const flat = new Uint8Array(w * h).fill(77);
  const out = new Uint8Array(w * h);
  blurGaussian(flat, out, w, h, tmp, 2);
  t.ok(out.every((v) => v === 77));
  blurBox(flat, out, w, h, tmp, 2);
  t.ok(out.every((v) => v === 77));
  const dot = new Uint8Array(w * h);
  dot[3 * w + 3] = 160;
  blurGaussian(dot, out, w, h, tmp, 1);
  t.same([out[2 * w + 2], out[2 * w + 3], out[3 * w + 3], out[3 * w + 4], out[4 * w + 4]], [10, 20, 40, 20, 10], '1-2-1 ⊗ 1-2-1 / 16');
  blurBox(dot, out, w, h, tmp, 1);
  t.same([out[2 * w + 2], out[3 * w + 3], out[1 * w + 1]], [17, 17, 0], '160 / 9');
});

t.test('the tone curve maps background quantiles onto frame quantiles, monotone', async (t) => {
  const bg = new Uint32Array(256);
  const fr = new Uint32Array(256);
  for (let v = 0; v < 200; v++) {
    bg[v] = 1;
    fr[Math.min(255, Math.round(v * 1.2 + 10))] = 1;
  }
  const lut = new Float32Array(257);
  toneCurve(bg, fr, 200, lut);
  t.ok(Math.abs(lut[100]! - 130) <= 2, `100 → ${lut[100]}`);
  for (let v = 1; v < 257; v++) if (lut[v]! < lut[v - 1]!) t.fail(`not monotone at ${v}`);
  t.equal(histogramQuantile(bg, 200, 0.5), 100);
});

t.test('blobs below the minimum size are removed; 8-connected shapes count as one', async (t) => {
  const w = 8;
  const changed = Uint8Array.from([
    1, 0, 0, 0, 0, 1, 1, 0,
    0, 0, 0, 0, 1, 0, 0, 0,
    0, 1, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 1, 1, 0,
  ]);
  const kept = new BlobLabeler(w, 4).removeSmall(changed, 3);
  t.equal(kept, 6, 'the diagonal-connected six-pixel shape stays');
  t.equal(changed[0], 0);
  t.equal(changed[2 * w + 1], 0);
  t.equal(changed[5], 1);
});
