import t from 'tap';
import {
  escapeXml,
  formatOverlayTime,
  overlayStrip,
  overlaySvg,
  parsePrivacyMasks,
  targetSize,
} from '../../../src/alarm/snapshot-geometry.js';
import { KEPT, MASKED, polygonCoverage, rasterizeMasks } from '../../../src/alarm/mask-raster.js';
import { stencilBitmap, writeStripCoverage } from '../../../src/alarm/overlay-stencil.js';

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

t.test('overlay strip spans the width at the chosen edge, time and name at opposite ends', async (t) => {
  const size = { width: 1280, height: 720 };
  const time = '2026-05-14 18:03:07 GMT+2';
  const bl = overlayStrip(size, time, 'Front door', 'bottom-left');
  t.equal(bl.fontSize, 25);
  t.equal(bl.height, 40);
  t.equal(bl.top, 680);
  t.equal(bl.width, 1280);
  t.equal(bl.timeAt, 'left');
  t.equal(bl.name, 'Front door');
  t.ok(bl.baseline > bl.fontSize / 2 && bl.baseline < bl.height, 'text sits inside the strip');
  const tr = overlayStrip(size, time, 'Front door', 'top-right');
  t.equal(tr.top, 0);
  t.equal(tr.timeAt, 'right');
  const narrow = overlayStrip({ width: 320, height: 180 }, time, 'A very long device name indeed', 'bottom-left');
  t.equal(narrow.fontSize, 10);
  t.equal(narrow.time, time, 'the time is kept whole when it fits');
  t.ok(narrow.name.endsWith('…') && narrow.name.length < 30, `the name is shortened: ${narrow.name}`);
  const tiny = overlayStrip({ width: 160, height: 90 }, time, 'Front door', 'bottom-left');
  t.ok(tiny.time.endsWith('…'), 'a time wider than the image is shortened');
  t.equal(tiny.name, '', 'no room left for the name');
  t.equal(overlayStrip(size, time, '', 'bottom-left').name, '', 'an empty device name draws nothing');
});

t.test('overlay SVG escapes the device name and draws white on black', async (t) => {
  t.equal(escapeXml(`<a href="x">&'`), '&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
  const svg = overlaySvg(overlayStrip({ width: 1280, height: 720 }, 't', '<script>', 'top-left'));
  t.notMatch(svg, /<script>/);
  t.match(svg, /<rect width="1280" height="40" fill="#000"\/>/, 'opaque black strip');
  t.match(svg, /text-anchor="end" y="\d+">&lt;script&gt;/, 'the name at the other end');
});

t.test('the stencil keeps the masks and takes each snapshot\'s text coverage in the strip rows', async (t) => {
  const size = { width: 4, height: 3 };
  t.equal(stencilBitmap(null, size, false), null, 'nothing to do: no AND at all');
  const plain = stencilBitmap(null, size, true)!;
  t.ok(plain.every((v) => v === KEPT));
  const masks = new Uint8Array(12).fill(KEPT);
  masks[1] = MASKED;
  const stencil = stencilBitmap(masks, size, true)!;
  t.not(stencil, masks, 'a copy: the cached mask bitmap stays clean');
  const strip = overlayStrip({ width: 4, height: 3 }, 'x', '', 'bottom-left');
  const s = { ...strip, top: 2, height: 1 };
  writeStripCoverage(stencil, size, s, new Uint8Array([9, 8, 7, 6]));
  t.same([...stencil], [KEPT, MASKED, KEPT, KEPT, KEPT, KEPT, KEPT, KEPT, 9, 8, 7, 6]);
  t.throws(() => writeStripCoverage(stencil, size, s, new Uint8Array(3)), /coverage/);
  t.throws(() => writeStripCoverage(stencil, size, { ...s, top: 3 }, new Uint8Array(4)), /fit/);
});

t.test('overlay time uses the configured zone', async (t) => {
  const at = Date.UTC(2026, 4, 14, 16, 3, 7);
  t.match(formatOverlayTime(at, 'Europe/Berlin'), /^2026-05-14 18:03:07 GMT\+2$/);
  t.match(formatOverlayTime(at, 'UTC'), /^2026-05-14 16:03:07 UTC$/);
  t.match(formatOverlayTime(Date.UTC(2026, 0, 1, 0, 30, 0), 'America/New_York'), /^2025-12-31 19:30:00 EST$/);
});
