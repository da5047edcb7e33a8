import t from 'tap';
import {
  escapeXml,
  formatOverlayTime,
  overlayLayout,
  overlaySvg,
  parsePrivacyMasks,
  targetSize,
} from '../../../src/alarm/snapshot-geometry.js';
import { KEPT, MASKED, polygonCoverage, rasterizeMasks } from '../../../src/alarm/mask-raster.js';
import { blendOverlay } from '../../../src/alarm/overlay-blend.js';

t.test('output size keeps the aspect and caps enlargement', async (t) => {
  t.same(targetSize({ width: 1920, height: 1080 }, 1280, 4), { width: 1280, height: 720 });
  t.same(targetSize({ width: 320, height: 180 }, 1280, 4), { width: 1280, height: 720 }, 'a ring frame may be upscaled 4×');
  t.same(targetSize({ width: 160, height: 90 }, 1280, 4), { width: 640, height: 360 }, 'but not more');
  t.same(targetSize({ width: 1280, height: 720 }, 320, 1), { width: 320, height: 180 });
  t.same(targetSize({ width: 640, height: 480 }, 1280, 1), { width: 640, height: 480 }, 'no upscale at limit 1');
});

t.test('privacy masks are validated', async (t) => {
  const good = parsePrivacyMasks([{ name: 'neighbour', points: [[0, 0], [0.5, 0], [0.5, 0.5]] }]);
  t.ok(good.ok);
  t.ok(parsePrivacyMasks('').ok, 'empty env string = no masks');
  t.ok(parsePrivacyMasks('[{"name":"a","points":[[0,0],[1,0],[1,1]]}]').ok, 'JSON string from the environment');
  for (const bad of [
    {},
    [{ name: 'a', points: [[0, 0], [1, 0]] }],
    [{ name: 'a', points: [[0, 0], [1, 0], [1, 1.2]] }],
    [{ name: 'a b', points: [[0, 0], [1, 0], [1, 1]] }],
    [{ name: 'a', points: [[0, 0], [1, 0], [NaN, 1]] }],
    'not json',
  ]) {
    t.notOk(parsePrivacyMasks(bad).ok, JSON.stringify(bad));
  }
});

t.test('a mask covers its polygon, grown by one pixel, and nothing else', async (t) => {
  const size = { width: 20, height: 10 };
  const masks = [{ name: 'a', points: [[0.25, 0.2], [0.5, 0.2], [0.5, 0.6], [0.25, 0.6]] as Array<[number, number]> }];
  const cov = polygonCoverage(masks, size);
  // x 5..9, y 2..5 have their centres inside.
  const covered: string[] = [];
  for (let y = 0; y < 10; y++) for (let x = 0; x < 20; x++) if (cov[y * 20 + x]) covered.push(`${x},${y}`);
  t.equal(covered.length, 5 * 4);
  t.ok(covered.includes('5,2') && covered.includes('9,5') && !covered.includes('10,2') && !covered.includes('5,6'));
  const bitmap = rasterizeMasks(masks, size)!;
  t.equal(bitmap[3 * 20 + 7], MASKED, 'inside');
  t.equal(bitmap[1 * 20 + 4], MASKED, 'diagonal neighbour of the corner: grown');
  t.equal(bitmap[3 * 20 + 10], MASKED, 'one pixel right of the edge: grown');
  t.equal(bitmap[3 * 20 + 11], KEPT, 'two pixels right: kept');
  t.equal(bitmap[0], KEPT);
  t.equal(rasterizeMasks([], size), null);
});

t.test('a full-frame mask and a triangle', async (t) => {
  const size = { width: 16, height: 9 };
  const full = rasterizeMasks([{ name: 'all', points: [[0, 0], [1, 0], [1, 1], [0, 1]] }], size)!;
  t.ok(full.every((v) => v === MASKED));
  const tri = polygonCoverage([{ name: 't', points: [[0, 0], [1, 0], [0, 1]] }], { width: 10, height: 10 });
  t.equal(tri[0], 1, 'top-left corner inside');
  t.equal(tri[99], 0, 'bottom-right corner outside');
  t.equal(tri[8 * 10 + 0], 1, 'row 8: centre (0.5, 8.5) is left of the hypotenuse x + y = 10');
  t.equal(tri[8 * 10 + 1], 0, 'row 8: centre (1.5, 8.5) lies on it and is not covered (half-open rule)');
});

t.test('overlay layout sits in the chosen corner and fits the image', async (t) => {
  const size = { width: 1280, height: 720 };
  const lines = ['2026-05-14 18:03:07 GMT+2', 'Front door'];
  const bl = overlayLayout(size, lines, 'bottom-left');
  t.equal(bl.fontSize, 25);
  t.equal(bl.left, bl.padding);
  t.equal(bl.top + bl.height, 720 - bl.padding);
  t.ok(bl.width >= 25 * 25 * 0.6, 'wide enough for the time line');
  const tr = overlayLayout(size, lines, 'top-right');
  t.equal(tr.left + tr.width, 1280 - tr.padding);
  t.equal(tr.top, tr.padding);
  const tiny = overlayLayout({ width: 160, height: 90 }, ['x'.repeat(80)], 'top-left');
  t.ok(tiny.lines[0]!.endsWith('…'), 'long lines are shortened');
  t.ok(tiny.left + tiny.width <= 160);
  t.same(overlayLayout(size, ['time', ''], 'top-left').lines, ['time'], 'an empty device name adds no line');
});

t.test('overlay SVG escapes the device name', async (t) => {
  t.equal(escapeXml(`<a href="x">&'`), '&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
  const svg = overlaySvg(overlayLayout({ width: 1280, height: 720 }, ['t', '<script>'], 'top-left'));
  t.notMatch(svg, /<script>/);
  t.match(svg, /fill-opacity="0.55"/, 'translucent box');
});

t.test('overlay time uses the configured zone', async (t) => {
  const at = Date.UTC(2026, 4, 14, 16, 3, 7);
  t.match(formatOverlayTime(at, 'Europe/Berlin'), /^2026-05-14 18:03:07 GMT\+2$/);
  t.match(formatOverlayTime(at, 'UTC'), /^2026-05-14 16:03:07 UTC$/);
  t.match(formatOverlayTime(Date.UTC(2026, 0, 1, 0, 30, 0), 'America/New_York'), /^2025-12-31 19:30:00 EST$/);
});

t.test('overlay blending: opaque, translucent, transparent and clipped pixels', async (t) => {
  const dst = { data: new Uint8Array(4 * 2 * 3).fill(200), width: 4, height: 2, channels: 3 };
  const ov = {
    data: new Uint8Array([255, 255, 255, 255, 0, 0, 0, 128, 9, 9, 9, 0]),
    width: 3,
    height: 1,
    channels: 4,
  };
  blendOverlay(dst, ov, 2, 1); // third pixel falls off the right edge
  const px = (x: number, y: number) => dst.data[(y * 4 + x) * 3];
  t.equal(px(2, 1), 255, 'opaque white');
  t.equal(px(3, 1), Math.round((200 * 127) / 255), 'half-transparent black darkens');
  t.equal(px(0, 0), 200, 'untouched outside');
});
