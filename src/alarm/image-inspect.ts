/**
 * Reads just enough of a JPEG or PNG to know what it is: format, size, and
 * which JPEG segments precede the image data. Pure and cheap (no decode), so
 * it runs on every fetched image (is this an image at all, or an HTML error
 * page?) and on every processed snapshot (does anything but JFIF precede the
 * pixels? — the privacy promise "no EXIF/GPS" checked, not assumed).
 */

export interface JpegSegment {
  /** The marker byte after 0xFF, e.g. 0xe1 for APP1. */
  marker: number;
  /** Offset of the 0xFF byte. */
  offset: number;
  /** Payload length including the two length bytes; 0 for markers without one. */
  length: number;
}

export interface ImageInfo {
  format: 'jpeg' | 'png';
  width: number;
  height: number;
  /** JPEG only: segments from SOI up to and including SOS. */
  segments: JpegSegment[];
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** SOF0…SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
function isStartOfFrame(m: number): boolean {
  return m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
}

export function markerName(m: number): string {
  if (m >= 0xe0 && m <= 0xef) return `APP${m - 0xe0}`;
  const names: Record<number, string> = { 0xd8: 'SOI', 0xd9: 'EOI', 0xda: 'SOS', 0xdb: 'DQT', 0xc4: 'DHT', 0xdd: 'DRI', 0xfe: 'COM' };
  if (names[m]) return names[m]!;
  if (isStartOfFrame(m)) return `SOF${m - 0xc0}`;
  return `0x${m.toString(16)}`;
}

/** Null when the bytes are not a complete JPEG or PNG we could hand to a decoder. */
export function inspectImage(bytes: Uint8Array): ImageInfo | null {
  if (bytes.length >= 24 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const width = view.getUint32(16);
    const height = view.getUint32(20);
    if (width === 0 || height === 0) return null;
    return { format: 'png', width, height, segments: [] };
  }
  return inspectJpeg(bytes);
}

export function inspectJpeg(bytes: Uint8Array): ImageInfo | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  const segments: JpegSegment[] = [{ marker: 0xd8, offset: 0, length: 0 }];
  let width = 0;
  let height = 0;
  let p = 2;
  for (;;) {
    if (p >= bytes.length || bytes[p] !== 0xff) return null;
    const offset = p;
    while (p < bytes.length && bytes[p] === 0xff) p++; // fill bytes
    if (p >= bytes.length) return null;
    const marker = bytes[p]!;
    p++;
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      segments.push({ marker, offset, length: 0 });
      continue;
    }
    if (marker === 0xd9) return null; // EOI before any image data
    if (p + 2 > bytes.length) return null;
    const length = (bytes[p]! << 8) | bytes[p + 1]!;
    if (length < 2 || p + length > bytes.length) return null;
    segments.push({ marker, offset, length });
    if (isStartOfFrame(marker)) {
      if (length < 7) return null;
      height = (bytes[p + 3]! << 8) | bytes[p + 4]!;
      width = (bytes[p + 5]! << 8) | bytes[p + 6]!;
    }
    p += length;
    if (marker === 0xda) break;
  }
  if (width === 0 || height === 0) return null;
  // A body cut off in transit (a streamer restarting mid-response) decodes
  // to a grey lower half; require the end-of-image marker near the end.
  // Some encoders pad after EOI, so look at the last 64 bytes.
  let eoi = false;
  for (let i = bytes.length - 2; i >= Math.max(p, bytes.length - 64); i--) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) {
      eoi = true;
      break;
    }
  }
  if (!eoi) return null;
  return { format: 'jpeg', width, height, segments };
}

/**
 * Segments that can carry personal or identifying metadata: every APPn but
 * APP0 (JFIF), and comments. APP1 = EXIF (GPS, serial number, time) or XMP;
 * APP2 = ICC profile (harmless, but we do not need it: output is sRGB);
 * APP13 = IPTC.
 */
export function metadataSegments(info: ImageInfo): JpegSegment[] {
  return info.segments.filter((s) => (s.marker >= 0xe1 && s.marker <= 0xef) || s.marker === 0xfe);
}
