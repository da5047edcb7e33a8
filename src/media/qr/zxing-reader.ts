/**
 * The one way into zxing-wasm: QR decoding of luma frames (the camera's
 * frame source) and of image files (factory label photos, `qr decode`).
 *
 * Why zxing-wasm: arm-and-qr.md §4 measured it 7–10× faster than jsQR and
 * far more robust at low screen contrast; zbarimg is worse except under very
 * strong foreshortening (scripts/bench/qr.ts re-measures all of this).
 *
 * Offline: the reader build fetches its .wasm from a CDN unless handed the
 * bytes, so the file is read from node_modules (cameras and factory stations
 * have no internet, and must not need it).
 *
 * Luma input: zxing-wasm's public API takes RGBA ImageData (which it
 * converts back to luma in JavaScript) or an encoded image, which the
 * embedded stb_image decodes, PNM included. A gray frame is handed over as
 * a PGM: a 15-byte header and one copy of the pixels. Measured on the
 * benchmark frames (x86, scripts/bench/qr.ts): the ImageData path spends
 * as much time expanding gray→RGBA and back as zxing spends decoding (2–4×
 * the PGM path at 640×360) and allocates 4 bytes per pixel; the PGM path
 * is within ~0.1–0.3 ms of zxing's internal luma entry point, which is not
 * public API (its option enums are numbers that may change between versions).
 *
 * Memory: zxing-wasm and sharp are imported on first use, so an agent that
 * never scans pays nothing for them; releaseQrDecoder() drops the wasm
 * instance once provisioning is over.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { ReaderOptions } from 'zxing-wasm/reader';

/** One luma byte per pixel, row-major (the frame source's GrayFrame fits). */
export interface LumaImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * How hard to look.
 * - 'scan': live frames, decoded several times a second; a miss costs only
 *   until the next frame, so the cheap settings measured as robust enough.
 * - 'still': one image that must be read if at all possible (a label
 *   photo, a file given on the command line): every zxing fallback on.
 */
export type QrDecodeEffort = 'scan' | 'still';

export type QrDecodeErrorCode = 'image_not_found' | 'image_unreadable' | 'decoder_unavailable' | 'decode_failed';

export class QrDecodeError extends Error {
  override readonly name = 'QrDecodeError';
  constructor(
    readonly code: QrDecodeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reader options per effort. The scan settings were chosen on the benchmark
 * scenes (test/helpers/qr-scene.ts, the bench's 450-scene grid, each option
 * set measured on every frame): tryDownscale is what reads large, blurred
 * codes at 1280×720, and a factor of 2 instead of zxing's default 3 reads
 * 3 more of the 162 goal-region frames there at no measurable cost.
 * Measured and left out, as they read nothing more on these frames:
 * tryHarder off/on, tryRotate, tryInvert (+35 % time on frames without a
 * code: 7.9 against 3.4 ms), tryDenoise (a morphological closing of the
 * binarized image: 2.4× the time), downscaleThreshold 300, minLineCount
 * (linear codes only); the GlobalHistogram and FixedThreshold binarizers are
 * twice as fast and 26–27 points worse. returnErrors makes zxing report a
 * symbol it located but could not decode (with its corners), which is what
 * the second look below works on; it found none in 40 code-free room scenes.
 */
const READER_OPTIONS: Record<QrDecodeEffort, ReaderOptions> = {
  scan: { formats: ['QRCode'], tryHarder: true, tryRotate: false, tryInvert: false, tryDownscale: true, downscaleFactor: 2, returnErrors: true, maxNumberOfSymbols: 4 },
  still: { formats: ['QRCode'], tryHarder: true, tryRotate: true, tryInvert: true, tryDownscale: true, downscaleFactor: 2, returnErrors: true, maxNumberOfSymbols: 4 },
};

/**
 * The second look at a located but undecoded symbol (zxing found its finder
 * patterns, then failed the checksum): its bounding box plus a quarter on
 * each side, upscaled (cubic) and decoded alone, ×2 then ×1.5. Upscaling
 * makes zxing's local-average binarizer (8×8-pixel blocks) twice as local,
 * which is what a glare gradient, a dim screen or the sampling grid of a
 * tilted code needs. On the bench grid's goal region (QR ≥ 120 px at
 * 640×360, blur σ ≤ 1; 162 scenes) it reads 91.4 → 94.4 % at 1280×720 and
 * 75.3 → 80.2 % at 640×360, and loses nothing the single pass read. Measured
 * and left out: local contrast normalisation, sharpening, ×3, and whole-frame
 * fallbacks (box/Gaussian/median smoothing, 2× box downscale, sharp's
 * normalise and CLAHE), which rescue a few frames each but cost 4–70 ms on
 * every frame they run on.
 * Cost: frames without a code never get here (no symbol is located in an
 * empty room: 0 of 40 scenes), so scanning costs what it did; a frame with
 * a located but unreadable code takes ~19 ms median instead of ~5 (x86,
 * 1280×720), which at 4 decodes a second stays within the period on a
 * camera SoC (~10×).
 */
const SECOND_LOOK_SCALES = [2, 1.5] as const;
const SECOND_LOOK_MARGIN = 0.25;
/** Smaller located "symbols" are noise: a QR needs ≥ 21 modules of ≥ ~1 px. */
const SECOND_LOOK_MIN_PX = 16;
const SECOND_LOOK_MAX_SYMBOLS = 2;
/** A big code is not short of pixels; capping the upscaled crop bounds the cost of a second look (~2 ms on x86 at this size). */
const SECOND_LOOK_MAX_SIDE = 800;
const SECOND_LOOK_OPTIONS: ReaderOptions = { formats: ['QRCode'], tryHarder: true, tryRotate: false, tryInvert: false, tryDownscale: false, maxNumberOfSymbols: 1 };

type ZxingReader = typeof import('zxing-wasm/reader');

let zxing: Promise<ZxingReader> | null = null;

/**
 * Loads and instantiates the decoder (30–45 ms on x86, 0.5 s under ARM
 * emulation). Called by the first decode; call it earlier to take that
 * cost before the first frame. Rejects with decoder_unavailable.
 */
export function prepareQrDecoder(): Promise<void> {
  return loadZxing().then(() => undefined);
}

/**
 * Drops the wasm instance (its 21 MB of linear memory goes with the next GC);
 * the next decode loads it again. Call it when no decode is running, e.g.
 * after the provisioning scanner's stop().
 */
export async function releaseQrDecoder(): Promise<void> {
  const loading = zxing;
  zxing = null;
  if (!loading) return;
  const module = await loading.catch(() => null);
  module?.purgeZXingModule();
}

function loadZxing(): Promise<ZxingReader> {
  zxing ??= (async () => {
    try {
      const module = await import('zxing-wasm/reader');
      const wasmPath = createRequire(import.meta.url).resolve('zxing-wasm/reader/zxing_reader.wasm');
      const bytes = await readFile(wasmPath);
      const wasmBinary = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      await module.prepareZXingModule({ overrides: { wasmBinary }, fireImmediately: true });
      return module;
    } catch (err) {
      zxing = null; // let a later call retry
      throw new QrDecodeError('decoder_unavailable', `cannot load the QR decoder: ${(err as Error).message}`);
    }
  })();
  return zxing;
}

/**
 * Texts of the valid QR codes in a luma image, in zxing's order (at most 4).
 * Rejects with decoder_unavailable or decode_failed (zxing itself failed, e.g.
 * out of wasm memory); finding nothing is an empty list, not an error.
 */
export async function decodeQrLuma(image: LumaImage, effort: QrDecodeEffort = 'scan'): Promise<string[]> {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || data.byteLength < width * height) {
    throw new QrDecodeError('decode_failed', `not a ${width}×${height} luma image (${data.byteLength} bytes)`);
  }
  // A fresh buffer per call, filled before the first await: the caller may
  // reuse the frame's memory, and concurrent calls must not share a buffer
  // (zxing copies its input into wasm memory only after an await of its own).
  const pgm = toPgm(image);
  const module = await loadZxing();
  const results = await readOrFail(module, pgm, READER_OPTIONS[effort]);
  const texts = results.filter((r) => r.isValid).map((r) => r.text);
  const located: SymbolPosition[] = [];
  for (const r of results) {
    // zxing often reports one symbol twice (full size and downscaled): look once.
    if (!r.isValid && isSecondLookCandidate(r.position, results) && !located.some((p) => overlaps(p, r.position))) located.push(r.position);
  }
  if (located.length === 0) return texts;
  // The caller may reuse the frame's memory once we awaited: crop from our copy.
  const copy: LumaImage = { data: pgm.subarray(pgm.length - width * height), width, height };
  for (const position of located.slice(0, SECOND_LOOK_MAX_SYMBOLS)) {
    const text = await secondLook(module, copy, position);
    if (text !== null && !texts.includes(text)) texts.push(text);
  }
  if (texts.length === 0) {
    // Rarely, an undecodable symbol reported first hides a valid read of the
    // same code at another scale (2 of 900 grid frames with the default
    // downscale factor): one plain pass without returnErrors. Only frames
    // with a located code pay for it.
    const plain = await readOrFail(module, pgm, { ...READER_OPTIONS[effort], returnErrors: false });
    for (const r of plain) if (r.isValid && !texts.includes(r.text)) texts.push(r.text);
  }
  return texts;
}

type ReadResults = Awaited<ReturnType<ZxingReader['readBarcodes']>>;
type SymbolPosition = ReadResults[number]['position'];

async function readOrFail(module: ZxingReader, image: Uint8Array, options: ReaderOptions): Promise<ReadResults> {
  try {
    return await module.readBarcodes(image, options);
  } catch (err) {
    throw new QrDecodeError('decode_failed', `QR decoder failed: ${String((err as Error).message ?? err)}`);
  }
}

function bounds(p: SymbolPosition): { x0: number; y0: number; x1: number; y1: number } {
  const xs = [p.topLeft.x, p.topRight.x, p.bottomLeft.x, p.bottomRight.x];
  const ys = [p.topLeft.y, p.topRight.y, p.bottomLeft.y, p.bottomRight.y];
  return { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
}

/** Big enough to be a code, and not the same place as a code already read. */
function isSecondLookCandidate(p: SymbolPosition, all: ReadResults): boolean {
  const b = bounds(p);
  if (b.x1 - b.x0 < SECOND_LOOK_MIN_PX || b.y1 - b.y0 < SECOND_LOOK_MIN_PX) return false;
  return !all.some((r) => r.isValid && overlaps(r.position, p));
}

/** Whether b's centre lies inside a's bounding box. */
function overlaps(a: SymbolPosition, b: SymbolPosition): boolean {
  const va = bounds(a);
  const vb = bounds(b);
  const cx = (vb.x0 + vb.x1) / 2;
  const cy = (vb.y0 + vb.y1) / 2;
  return cx >= va.x0 && cx <= va.x1 && cy >= va.y0 && cy <= va.y1;
}

async function secondLook(module: ZxingReader, image: LumaImage, p: SymbolPosition): Promise<string | null> {
  const b = bounds(p);
  const mx = (b.x1 - b.x0) * SECOND_LOOK_MARGIN;
  const my = (b.y1 - b.y0) * SECOND_LOOK_MARGIN;
  const left = Math.max(0, Math.floor(b.x0 - mx));
  const top = Math.max(0, Math.floor(b.y0 - my));
  const width = Math.min(image.width, Math.ceil(b.x1 + mx)) - left;
  const height = Math.min(image.height, Math.ceil(b.y1 + my)) - top;
  if (width < SECOND_LOOK_MIN_PX || height < SECOND_LOOK_MIN_PX) return null;
  for (const wanted of SECOND_LOOK_SCALES) {
    const scale = Math.min(wanted, SECOND_LOOK_MAX_SIDE / Math.max(width, height));
    if (scale < 1.2) continue;
    const crop = upscaleRegion(image, left, top, width, height, scale);
    const found = (await readOrFail(module, toPgm(crop), SECOND_LOOK_OPTIONS)).find((r) => r.isValid);
    if (found) return found.text;
  }
  return null;
}

/**
 * A region of the image, resampled by `scale` with a Catmull-Rom cubic (the
 * kernel sharp calls 'cubic'), in JavaScript: on a crop this small sharp's
 * per-call overhead measured 5–40 ms against ~1–2 ms here (x86, 2 busy cores).
 * Separable: rows first, into floats, then columns; samples outside the
 * region come from the image around it (clamped at the image's edges).
 */
function upscaleRegion(image: LumaImage, left: number, top: number, width: number, height: number, scale: number): LumaImage {
  const outW = Math.round(width * scale);
  const outH = Math.round(height * scale);
  const cols = cubicTaps(outW, left, width / outW, image.width);
  const rows = cubicTaps(outH, top, height / outH, image.height);
  // The source rows any output row touches.
  const r0 = rows.index[0]!;
  const r1 = rows.index[rows.index.length - 1]!;
  const src = image.data;
  const tmp = new Float32Array((r1 - r0 + 1) * outW);
  for (let y = r0; y <= r1; y++) {
    const line = y * image.width;
    const o = (y - r0) * outW;
    for (let x = 0; x < outW; x++) {
      let v = 0;
      for (let k = 0; k < 4; k++) v += cols.weight[x * 4 + k]! * src[line + cols.index[x * 4 + k]!]!;
      tmp[o + x] = v;
    }
  }
  const out = new Uint8Array(outW * outH);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      let v = 0;
      for (let k = 0; k < 4; k++) v += rows.weight[y * 4 + k]! * tmp[(rows.index[y * 4 + k]! - r0) * outW + x]!;
      out[y * outW + x] = v < 0 ? 0 : v > 255 ? 255 : v + 0.5;
    }
  }
  return { data: out, width: outW, height: outH };
}

/** For each of n output samples: the 4 source indices (clamped to 0…limit−1) and their Catmull-Rom weights. */
function cubicTaps(n: number, offset: number, step: number, limit: number): { index: Int32Array; weight: Float32Array } {
  const index = new Int32Array(n * 4);
  const weight = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const s = offset + (i + 0.5) * step - 0.5;
    const base = Math.floor(s);
    const t = s - base;
    const w = [
      ((-t + 2) * t - 1) * t * 0.5,
      ((3 * t - 5) * t * t + 2) * 0.5,
      ((-3 * t + 4) * t + 1) * t * 0.5,
      (t - 1) * t * t * 0.5,
    ];
    for (let k = 0; k < 4; k++) {
      index[i * 4 + k] = Math.min(limit - 1, Math.max(0, base - 1 + k));
      weight[i * 4 + k] = w[k]!;
    }
  }
  return { index, weight };
}

/** A gray image as PGM (P5): a 15-byte header and one copy of the pixels (see the top of this file). */
function toPgm(image: LumaImage): Buffer {
  const head = Buffer.from(`P5\n${image.width} ${image.height}\n255\n`, 'latin1');
  const pgm = Buffer.allocUnsafe(head.length + image.width * image.height);
  head.copy(pgm, 0);
  pgm.set(image.data.subarray(0, image.width * image.height), head.length);
  return pgm;
}

/**
 * Texts of the QR codes in an image file (anything sharp reads: PNG, JPEG,
 * WebP, TIFF…; EXIF orientation applied, transparency on white). Rejects
 * with image_not_found, image_unreadable, or the decodeQrLuma errors.
 */
export async function decodeQrImageFile(path: string): Promise<string[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new QrDecodeError('image_not_found', `no such file: ${path}`);
    throw new QrDecodeError('image_unreadable', `cannot read ${path}: ${code ?? 'error'}`);
  }
  const { default: sharp } = await import('sharp');
  let luma: LumaImage;
  try {
    const { data, info } = await sharp(bytes)
      .rotate()
      .flatten({ background: '#ffffff' })
      .grayscale()
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    luma = { data, width: info.width, height: info.height };
  } catch {
    throw new QrDecodeError('image_unreadable', `not an image sharp can read: ${path}`);
  }
  return decodeQrLuma(luma, 'still');
}
