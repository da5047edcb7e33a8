import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { encodeLabelPayload } from '../../../src/factory/label-payload.js';
import { decodeQrImageFile, decodeQrLuma, QrDecodeError } from '../../../src/media/qr/zxing-reader.js';
import { decodeQrImageFiles, type QrImageDecodeResult } from '../../../src/provisioning/qr-image-decode.js';
import { renderEmptyScene, renderScene, toPng } from '../../helpers/qr-scene.js';

// Real zxing-wasm (offline, wasm from node_modules) on generated camera
// frames. Sizes and blur are stated at 640×360, as in the scanning goal;
// the scanner decodes at 1280×720 (src/provisioning/qr-scanner.ts says why).

const PRV1 = 'PRV1:T:WPA;S:MyHomeNetwork;P:correct%20horse%20battery;B:K7Q2M9XW4T8ZR3HJ6N1BPC5VDA;C:EU;X:13728406;;';
const LABEL = encodeLabelPayload({ model: 'CAM100', serial: 'AC1234567890', code: '7KQ2M9XWV', passphrase: 'K7Q2M9XW4T8Z', fingerprint: 'ZK3Q9T2MX0AP4D7R' });
const SHORT_WIFI = 'WIFI:T:WPA;S:MyNet;P:secret123;;';

let dir = '';
t.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qr-decode-'));
});
t.teardown(() => rm(dir, { recursive: true, force: true }));

t.test('a PRV1 code 120 px wide with blur σ 1 (at 640×360) decodes at the 1280×720 scan size', async (t) => {
  for (const [seed, tiltDeg] of [[11, 0], [12, 10], [13, 20], [14, 0], [15, 10], [16, 20]] as const) {
    const frame = await renderScene({ width: 1280, height: 720, codes: [{ kind: 'phone', text: PRV1, qrPx: 120, at: [0.5, 0.5], tiltDeg, contrast: 0.8 }], blurSigma: 1, seed });
    t.same(await decodeQrLuma(frame), [PRV1], `seed ${seed}, tilt ${tiltDeg}°`);
  }
});

t.test('at 640×360 itself, a code 120 px wide with blur σ 1 decodes too (PRV1 and a short WIFI: code)', async (t) => {
  for (const [text, seed, tiltDeg] of [[PRV1, 21, 0], [PRV1, 22, 10], [SHORT_WIFI, 23, 0], [SHORT_WIFI, 24, 15]] as const) {
    const frame = await renderScene({ width: 640, height: 360, codes: [{ kind: 'phone', text, qrPx: 120, at: [0.5, 0.5], tiltDeg, contrast: 0.8 }], blurSigma: 1, seed });
    t.same(await decodeQrLuma(frame), [text], `${text.slice(0, 4)} seed ${seed}, tilt ${tiltDeg}°`);
  }
});

t.test('degraded but readable: dim screen, 25° tilt, sensor noise, JPEG', async (t) => {
  const frame = await renderScene({
    width: 1280,
    height: 720,
    codes: [{ kind: 'phone', text: PRV1, qrPx: 180, at: [0.45, 0.55], tiltDeg: 25, contrast: 0.4 }],
    blurSigma: 0.5,
    noiseSigma: 6,
    jpegQuality: 70,
    seed: 31,
  });
  t.same(await decodeQrLuma(frame), [PRV1]);
});

t.test('a code zxing locates but cannot read in one pass (dim screen, glare, 30° tilt, blur σ 1) is read by the second look', async (t) => {
  // Seeds on which zxing's single pass (READER_OPTIONS.scan) reports the symbol
  // with a checksum error and reads nothing: the upscaled crop reads them.
  for (const seed of [71, 73, 78, 79]) {
    const frame = await renderScene({
      width: 1280,
      height: 720,
      codes: [{ kind: 'phone', text: PRV1, qrPx: 120, at: [0.5, 0.5], tiltDeg: 30, contrast: 0.3 }],
      blurSigma: 1,
      glare: true,
      seed,
    });
    t.same(await decodeQrLuma(frame), [PRV1], `seed ${seed}`);
  }
});

t.test('two codes in the frame, our label and the phone: both are returned', async (t) => {
  const frame = await renderScene({
    width: 1280,
    height: 720,
    codes: [
      { kind: 'label', text: LABEL, qrPx: 110, at: [0.25, 0.6], tiltDeg: 15 },
      { kind: 'phone', text: PRV1, qrPx: 150, at: [0.7, 0.45], tiltDeg: 5 },
    ],
    blurSigma: 0.5,
    seed: 41,
  });
  t.same((await decodeQrLuma(frame)).sort(), [LABEL, PRV1].sort());
});

t.test('a frame without a code decodes to nothing, at both sizes', async (t) => {
  t.same(await decodeQrLuma(await renderEmptyScene(640, 360, 51)), []);
  t.same(await decodeQrLuma(await renderEmptyScene(1280, 720, 52)), []);
});

t.test('concurrent decodes of different frames each get their own result', async (t) => {
  const a = await renderScene({ width: 640, height: 360, codes: [{ kind: 'phone', text: PRV1, qrPx: 200, at: [0.5, 0.5] }], seed: 61 });
  const b = await renderScene({ width: 640, height: 360, codes: [{ kind: 'phone', text: SHORT_WIFI, qrPx: 200, at: [0.5, 0.5] }], seed: 62 });
  const results = await Promise.all([decodeQrLuma(a), decodeQrLuma(b), decodeQrLuma(a), decodeQrLuma(b)]);
  t.same(results, [[PRV1], [SHORT_WIFI], [PRV1], [SHORT_WIFI]]);
});

t.test('a buffer too small for its stated size is refused with decode_failed', async (t) => {
  await t.rejects(decodeQrLuma({ data: new Uint8Array(10), width: 640, height: 360 }), { code: 'decode_failed' });
});

t.test('image files: PNG and a phone-photo JPEG decode; a missing file and a non-image are errors with codes', async (t) => {
  const frame = await renderScene({ width: 1280, height: 720, codes: [{ kind: 'phone', text: PRV1, qrPx: 160, at: [0.5, 0.5], tiltDeg: 10 }], blurSigma: 0.5, seed: 71 });
  const png = join(dir, 'frame.png');
  await writeFile(png, await toPng(frame));
  const jpeg = join(dir, 'photo.jpg');
  await sharp(png).rotate(5, { background: '#808080' }).jpeg({ quality: 70 }).toFile(jpeg);
  const text = join(dir, 'notes.txt');
  await writeFile(text, 'not an image');
  const empty = join(dir, 'empty.png');
  await writeFile(empty, await toPng(await renderEmptyScene(640, 360, 72)));
  const missing = join(dir, 'missing.png');

  const results: QrImageDecodeResult[] = [];
  for await (const r of decodeQrImageFiles([png, jpeg, empty, missing, text])) results.push(r);
  t.equal(results.length, 5);
  t.same(results.map((r) => r.path), [png, jpeg, empty, missing, text], 'one result per image, in order');
  const [a, b, c, d, e] = results;
  t.same('texts' in a! && a.texts, [PRV1]);
  t.ok('ms' in a! && a.ms > 0 && a.ms < 60_000);
  t.same('texts' in b! && b.texts, [PRV1]);
  t.same('texts' in c! && c.texts, []);
  t.equal('error' in d! && d.error.code, 'image_not_found');
  t.equal('error' in e! && e.error.code, 'image_unreadable');

  await t.rejects(decodeQrImageFile(text), QrDecodeError);
});
