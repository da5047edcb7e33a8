import t from 'tap';
import pino from 'pino';
import sharp from 'sharp';
import { readFile } from 'node:fs/promises';
import { SnapshotProcessor, SNAPSHOT_PROCESSOR_DEFAULTS, type SnapshotProcessorConfig } from '../../../src/alarm/snapshot-processor.js';
import { inspectImage, metadataSegments } from '../../../src/alarm/image-inspect.js';
import { jpegWithExif, pixels, testJpeg, whiteJpeg } from '../../helpers/snapshot-fixtures.js';
import { tempDir } from '../../helpers/tmp.js';

const MASKS = [
  { name: 'window', points: [[0.1, 0.1], [0.3, 0.1], [0.3, 0.4], [0.1, 0.4]] as Array<[number, number]> },
  { name: 'garden', points: [[0.6, 0.5], [0.9, 0.6], [0.7, 0.9]] as Array<[number, number]> },
];
function config(over: Partial<SnapshotProcessorConfig> = {}): SnapshotProcessorConfig {
  return {
    ...SNAPSHOT_PROCESSOR_DEFAULTS,
    masks: MASKS,
    overlay: { enabled: true, position: 'bottom-left', deviceName: 'Front door', timeZone: 'Europe/Berlin' },
    ...over,
  };
}
async function processor(cfg: SnapshotProcessorConfig) {
  const p = new SnapshotProcessor({ config: () => cfg, logger: pino({ level: 'silent' }) });
  await p.start();
  return p;
}
const at = Date.UTC(2026, 4, 14, 16, 3, 7);

t.test('a 1080p camera JPEG becomes a 1280×720 JPEG and a 320×180 thumbnail without metadata', async (t) => {
  const dir = await tempDir(t);
  const input = await readFile(await testJpeg(dir));
  const p = await processor(config());
  t.equal(p.textRenders, null, 'sharp is not loaded before the first snapshot');
  const r = await p.process({ kind: 'encoded', bytes: input, source: 'onvif', lowRes: false }, at);
  t.equal(p.textRenders, true, 'a font is installed (fonts-dejavu-core)');
  t.ok(r.ok);
  if (!r.ok) return;
  const meta = await sharp(r.value.jpeg).metadata();
  t.same([meta.format, meta.width, meta.height], ['jpeg', 1280, 720], 'decodes at the configured size');
  const thumb = await sharp(r.value.thumbnail).metadata();
  t.same([thumb.width, thumb.height], [320, 180]);
  for (const bytes of [r.value.jpeg, r.value.thumbnail]) {
    const info = inspectImage(bytes)!;
    t.same(metadataSegments(info), [], 'no APP1 (EXIF/XMP), APP2 (ICC) or COM segment');
    t.notOk(meta.exif || meta.icc || meta.xmp, 'sharp sees no metadata either');
  }
});

t.test('EXIF and GPS of the input never reach the output', async (t) => {
  const input = await jpegWithExif(1920, 1080);
  t.ok(metadataSegments(inspectImage(input)!).length >= 2, 'the input really has EXIF and ICC');
  const p = await processor(config());
  const r = await p.process({ kind: 'encoded', bytes: input, source: 'onvif', lowRes: false }, at);
  t.ok(r.ok && metadataSegments(inspectImage(r.value.jpeg)!).length === 0);
  t.notOk(r.ok && r.value.jpeg.includes('SnoopCam'));
});

t.test('masked areas are black in the snapshot and the thumbnail; the rest is untouched', async (t) => {
  const p = await processor(config({ overlay: { enabled: false, position: 'top-left', deviceName: '', timeZone: 'UTC' } }));
  const r = await p.process({ kind: 'encoded', bytes: await whiteJpeg(1920, 1080), source: 'onvif', lowRes: false }, at);
  t.ok(r.ok);
  if (!r.ok) return;
  const img = await pixels(r.value.jpeg);
  const px = (x: number, y: number) => img.data[(Math.round(y * img.height) * img.width + Math.round(x * img.width)) * img.channels]!;
  for (const [x, y] of [[0.2, 0.25], [0.12, 0.12], [0.28, 0.38], [0.72, 0.7], [0.8, 0.62]] as const) {
    t.ok(px(x, y) <= 8, `masked (${x}, ${y}) is black: ${px(x, y)}`);
  }
  for (const [x, y] of [[0.5, 0.5], [0.05, 0.05], [0.35, 0.25], [0.95, 0.95]] as const) {
    t.ok(px(x, y) >= 240, `unmasked (${x}, ${y}) stays white: ${px(x, y)}`);
  }
  const th = await pixels(r.value.thumbnail);
  t.ok(th.data[(Math.round(0.25 * th.height) * th.width + Math.round(0.2 * th.width)) * th.channels]! <= 8, 'thumbnail masked too');
});

t.test('the overlay strip replaces the bottom rows with light text on black, time left and name right', async (t) => {
  const p = await processor(config({ masks: [] }));
  const r = await p.process({ kind: 'encoded', bytes: await whiteJpeg(1280, 720), source: 'onvif', lowRes: false }, at);
  t.ok(r.ok);
  if (!r.ok) return;
  const img = await pixels(r.value.jpeg);
  t.equal(img.height, 720, 'the strip covers rows, it does not add them');
  // Strip at 720p: 40 px (rows 680–719), font 25 px.
  const count = (x0: number, x1: number, y0: number, y1: number) => {
    let dark = 0;
    let light = 0;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const v = img.data[(y * img.width + x) * 3]!;
        if (v < 60) dark++;
        else if (v > 200) light++;
      }
    }
    return { dark, light };
  };
  const strip = count(0, 1280, 682, 718);
  t.ok(strip.dark > 0.7 * 1280 * 36, `the white scene is gone under the strip (${strip.dark} dark px)`);
  const time = count(0, 400, 682, 718);
  const name = count(1000, 1280, 682, 718);
  const middle = count(500, 900, 682, 718);
  t.ok(time.light > 300, `time drawn at the left (${time.light} light px)`);
  t.ok(name.light > 100, `device name drawn at the right (${name.light} light px)`);
  t.equal(middle.light, 0, 'nothing drawn between them');
  t.ok(count(0, 1280, 0, 670).light > 0.99 * 1280 * 670, 'the scene above the strip is untouched');
  const th = await pixels(r.value.thumbnail);
  t.ok(th.data[(178 * th.width + 160) * 3]! < 100, 'the thumbnail is the finished snapshot, strip included');
});

t.test('a low-res gray ring frame is upscaled and marked', async (t) => {
  const p = await processor(config());
  const data = new Uint8Array(320 * 180).fill(128);
  const r = await p.process({ kind: 'gray', data, width: 320, height: 180, source: 'pre-event', lowRes: true }, at);
  t.ok(r.ok && r.value.lowRes && r.value.size.width === 1280 && r.value.size.height === 720);
  if (r.ok) t.equal((await sharp(r.value.jpeg).metadata()).channels, 3);
});

t.test('garbage and oversized inputs are refused with snapshot_invalid_image', async (t) => {
  const p = await processor(config({ limitInputPixels: 1000 * 1000 }));
  let r = await p.process({ kind: 'encoded', bytes: Buffer.from('<html>error</html>'), source: 'onvif', lowRes: false }, at);
  t.equal(!r.ok && r.error.code, 'snapshot_invalid_image');
  r = await p.process({ kind: 'encoded', bytes: await whiteJpeg(1920, 1080), source: 'onvif', lowRes: false }, at);
  t.equal(!r.ok && r.error.code, 'snapshot_invalid_image', 'above limitInputPixels');
});
