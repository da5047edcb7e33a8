/**
 * `camera-agent qr decode IMAGE…`: what the camera's decoder makes of
 * photos or screenshots, one result per image, for support and field
 * engineers ("why does the camera not read my code?"). The same zxing
 * module as the live scanner, with every fallback on (effort 'still').
 */
import { decodeQrImageFile, prepareQrDecoder, QrDecodeError } from '../media/qr/zxing-reader.js';

export type QrImageDecodeResult =
  | { path: string; texts: string[]; ms: number }
  | { path: string; error: { code: string; message: string } };

/**
 * Decodes the images one after the other (one image in memory at a time).
 * `ms` covers reading, image decoding and QR decoding of that image, not the
 * one-off decoder start-up. Never throws: a missing or broken file, or a
 * decoder that cannot load, is a result with an error code.
 */
export async function* decodeQrImageFiles(paths: string[]): AsyncIterable<QrImageDecodeResult> {
  let unavailable: { code: string; message: string } | null = null;
  try {
    await prepareQrDecoder();
  } catch (err) {
    unavailable = toError(err);
  }
  for (const path of paths) {
    if (unavailable) {
      yield { path, error: unavailable };
      continue;
    }
    const t0 = performance.now();
    try {
      const texts = await decodeQrImageFile(path);
      yield { path, texts, ms: performance.now() - t0 };
    } catch (err) {
      yield { path, error: toError(err) };
    }
  }
}

function toError(err: unknown): { code: string; message: string } {
  if (err instanceof QrDecodeError) return { code: err.code, message: err.message };
  return { code: 'decode_failed', message: err instanceof Error ? err.message : String(err) };
}
