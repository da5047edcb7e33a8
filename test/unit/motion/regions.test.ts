import t from 'tap';
import { dilate, fillPolygon, parseRegions } from '../../../src/media/motion/regions.js';

t.test('a rectangle fills exactly the pixels whose centres are inside', async (t) => {
  const out = new Uint8Array(10 * 4);
  fillPolygon(out, 10, 4, [[0.2, 0.25], [0.6, 0.25], [0.6, 0.75], [0.2, 0.75]], 1);
  const rows = [...Array(4)].map((_, y) => [...out.subarray(y * 10, y * 10 + 10)].join(''));
  t.same(rows, ['0000000000', '0011110000', '0011110000', '0000000000']);
});

t.test('normalised coordinates give the same shape at any resolution', async (t) => {
  const tri: Array<[number, number]> = [[0, 0], [1, 0], [0, 1]];
  for (const [w, h] of [[160, 90], [320, 180], [64, 48]] as const) {
    const out = new Uint8Array(w * h);
    fillPolygon(out, w, h, tri, 1);
    const filled = out.reduce((a, b) => a + b, 0) / (w * h);
    t.ok(Math.abs(filled - 0.5) < 0.02, `${w}×${h}: half the frame (${filled.toFixed(3)})`);
  }
});

t.test('zones combine as bits', async (t) => {
  const out = new Uint16Array(4);
  fillPolygon(out, 4, 1, [[0, 0], [0.75, 0], [0.75, 1], [0, 1]], 1, 'or');
  fillPolygon(out, 4, 1, [[0.25, 0], [1, 0], [1, 1], [0.25, 1]], 2, 'or');
  t.same([...out], [1, 3, 3, 2]);
});

t.test('dilate grows a mask by r pixels in every direction', async (t) => {
  const m = new Uint8Array(25);
  m[12] = 1;
  dilate(m, 5, 5, 1);
  t.equal(m.reduce((a, b) => a + b, 0), 9);
});

t.test('parseRegions validates names, points and minArea', async (t) => {
  t.same(parseRegions([{ points: [[0, 0], [1, 0], [1, 1]] }], 'mask'), { ok: true, regions: [{ name: 'mask1', points: [[0, 0], [1, 0], [1, 1]] }] });
  t.match(parseRegions([{ name: 'a', points: [[0, 0], [1, 0]] }], 'zone'), { ok: false, message: /points must be 3/ });
  t.match(parseRegions([{ name: 'a', points: [[0, 0], [1.5, 0], [1, 1]] }], 'zone'), { ok: false, message: /0 ≤ x, y ≤ 1/ });
  t.match(parseRegions([{ name: 'a b', points: [[0, 0], [1, 0], [1, 1]] }], 'zone'), { ok: false, message: /name/ });
  t.match(parseRegions([{ name: 'a', points: [[0, 0], [1, 0], [1, 1]] }, { name: 'a', points: [[0, 0], [1, 0], [1, 1]] }], 'zone'), { ok: false, message: /duplicate/ });
  t.match(parseRegions([{ name: 'a', points: [[0, 0], [1, 0], [1, 1]], minArea: 1 }], 'mask'), { ok: false, message: /masks have no minArea/ });
  t.match(parseRegions(Array(17).fill({ points: [[0, 0], [1, 0], [1, 1]] }), 'zone'), { ok: false, message: /at most 16/ });
  t.match(parseRegions('{', 'zone'), { ok: false });
});
