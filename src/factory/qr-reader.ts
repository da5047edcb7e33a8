import { decodeQrImageFile, QrDecodeError } from '../media/qr/zxing-reader.js';
import { FactoryError } from './factory-error.js';

/**
 * Decodes the QR code(s) in a photo or scan of a label (PNG, JPEG, anything
 * sharp reads) through media/qr/zxing-reader.ts, the agent's one way into
 * zxing-wasm (offline: factory stations have no internet either), with every
 * zxing fallback on: a label photo is read once and must be read if at all
 * possible.
 */

/** Texts of every QR code zxing finds in the image; throws image_unreadable when it is not an image. */
export async function readQrTexts(imagePath: string): Promise<string[]> {
  try {
    return await decodeQrImageFile(imagePath);
  } catch (err) {
    if (err instanceof QrDecodeError && (err.code === 'image_unreadable' || err.code === 'image_not_found')) {
      throw new FactoryError('image_unreadable', `cannot read an image from ${imagePath}`);
    }
    throw err;
  }
}
