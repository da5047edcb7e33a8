import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import sharp, { type OutputInfo } from 'sharp';
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';
import { FactoryError } from './factory-error.js';

/**
 * Decodes the QR code(s) in a photo or scan (PNG, JPEG, anything sharp
 * reads) with zxing-wasm, the decoder arm-and-qr.md §4 measured best
 * (99–100 % of typical frames, 7–10× faster than jsQR). Its reader build
 * fetches the .wasm from a CDN unless told otherwise, so the local file
 * from node_modules is passed in: factory stations are offline.
 */
let prepared: Promise<unknown> | null = null;

function prepare(): Promise<unknown> {
  if (!prepared) {
    prepared = (async () => {
      const wasmPath = createRequire(import.meta.url).resolve('zxing-wasm/reader/zxing_reader.wasm');
      const wasmBinary = await readFile(wasmPath);
      return prepareZXingModule({ overrides: { wasmBinary: wasmBinary.buffer.slice(wasmBinary.byteOffset, wasmBinary.byteOffset + wasmBinary.byteLength) }, fireImmediately: true });
    })();
  }
  return prepared;
}

/** Texts of every QR code zxing finds in the image; throws image_unreadable when it is not an image. */
export async function readQrTexts(imagePath: string): Promise<string[]> {
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await sharp(imagePath).rotate().flatten({ background: '#ffffff' }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  } catch {
    throw new FactoryError('image_unreadable', `cannot read an image from ${imagePath}`);
  }
  await prepare();
  const imageData = {
    data: new Uint8ClampedArray(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength),
    width: raw.info.width,
    height: raw.info.height,
    colorSpace: 'srgb',
  };
  const results = await readBarcodes(imageData as unknown as Parameters<typeof readBarcodes>[0], {
    formats: ['QRCode'],
    tryHarder: true,
    tryRotate: true,
    tryDownscale: true,
    maxNumberOfSymbols: 4,
  });
  return results.filter((r) => r.isValid).map((r) => r.text);
}
