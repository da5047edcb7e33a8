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
 * scenes (test/helpers/qr-scene.ts, a 675-scene grid like the bench's,
 * every option set measured once): tryDownscale is what reads large, blurred codes at 1280×720
 * (87 against 77 % at 240 px); tryHarder adds about a point; tryRotate and
 * tryInvert add nothing on phone screens (the QR finder is
 * rotation-invariant, the codes are dark on light) and cost about a third
 * more time on frames without a code, which is nearly every frame while
 * scanning. tryDenoise (no gain, twice the time) and the GlobalHistogram
 * binarizer (faster, 20–25 points worse) were tried and left out.
 */
const READER_OPTIONS: Record<QrDecodeEffort, ReaderOptions> = {
  scan: { formats: ['QRCode'], tryHarder: true, tryRotate: false, tryInvert: false, tryDownscale: true, maxNumberOfSymbols: 4 },
  still: { formats: ['QRCode'], tryHarder: true, tryRotate: true, tryInvert: true, tryDownscale: true, maxNumberOfSymbols: 4 },
};

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
  const head = Buffer.from(`P5\n${width} ${height}\n255\n`, 'latin1');
  const pgm = Buffer.allocUnsafe(head.length + width * height);
  head.copy(pgm, 0);
  pgm.set(data.subarray(0, width * height), head.length);
  const module = await loadZxing();
  let results: Awaited<ReturnType<ZxingReader['readBarcodes']>>;
  try {
    results = await module.readBarcodes(pgm, READER_OPTIONS[effort]);
  } catch (err) {
    throw new QrDecodeError('decode_failed', `QR decoder failed: ${String((err as Error).message ?? err)}`);
  }
  return results.filter((r) => r.isValid).map((r) => r.text);
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
