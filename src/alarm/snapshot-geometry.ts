/**
 * Pure geometry of a snapshot: output size, privacy-mask validation, and
 * where the timestamp box goes and what it looks like (SVG). No sharp here,
 * so every rule is unit-tested in microseconds; snapshot-processor.ts only
 * rasterises what these functions return.
 */
import { fail, ok, type Result } from './snapshot-error.js';

/**
 * A privacy mask: a polygon in normalised coordinates (x, y each 0–1 of the
 * frame's width and height), the same convention as motion zones
 * (media/motion/regions.ts), so one drawing tool serves both and a mask
 * drawn on a 1080p snapshot fits any output size.
 */
export interface PrivacyMask {
  name: string;
  points: Array<[number, number]>;
}

export const MAX_MASKS = 16;
const MAX_POINTS = 64;
const NAME = /^[A-Za-z0-9_.-]{1,32}$/;

/** Validates `privacy.masks` (an array, or a JSON string of one from an environment variable). */
export function parsePrivacyMasks(value: unknown): Result<PrivacyMask[]> {
  let list = value;
  if (typeof list === 'string') {
    if (list.trim() === '') return ok([]);
    try {
      list = JSON.parse(list);
    } catch {
      return fail('process_failed', 'privacy.masks is not valid JSON');
    }
  }
  if (!Array.isArray(list)) return fail('process_failed', 'privacy.masks must be an array');
  if (list.length > MAX_MASKS) return fail('process_failed', `privacy.masks: at most ${MAX_MASKS} masks`);
  const out: PrivacyMask[] = [];
  for (const [i, m] of list.entries()) {
    const where = `privacy.masks[${i}]`;
    if (typeof m !== 'object' || m === null) return fail('process_failed', `${where} must be an object`);
    const { name, points } = m as { name?: unknown; points?: unknown };
    if (typeof name !== 'string' || !NAME.test(name)) return fail('process_failed', `${where}.name must match ${NAME.source}`);
    if (!Array.isArray(points) || points.length < 3 || points.length > MAX_POINTS) {
      return fail('process_failed', `${where}.points must have 3–${MAX_POINTS} vertices`);
    }
    const pts: Array<[number, number]> = [];
    for (const p of points) {
      if (!Array.isArray(p) || p.length !== 2 || !p.every((c) => typeof c === 'number' && Number.isFinite(c) && c >= 0 && c <= 1)) {
        return fail('process_failed', `${where}.points: each vertex is [x, y] with x and y in 0…1`);
      }
      pts.push([p[0] as number, p[1] as number]);
    }
    out.push({ name, points: pts });
  }
  return ok(out);
}

export interface Size {
  width: number;
  height: number;
}

/**
 * Output size: the configured width, aspect kept, but never enlarged more
 * than `maxUpscale` times — a 320-px pre-event frame may become 1280 px
 * (4×, marked low-res), a 1280-px camera frame is not blown up to 4K.
 */
export function targetSize(input: Size, width: number, maxUpscale: number): Size {
  const w = Math.max(1, Math.min(width, Math.round(input.width * maxUpscale)));
  const h = Math.max(1, Math.round((w * input.height) / input.width));
  return { width: w, height: h };
}

export type OverlayPosition = 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right';
export const OVERLAY_POSITIONS: readonly OverlayPosition[] = ['top-left', 'top-right', 'bottom-left', 'bottom-right'];

export interface OverlayLayout {
  /** Where the box's top-left corner goes in the image. */
  left: number;
  top: number;
  width: number;
  height: number;
  fontSize: number;
  padding: number;
  lineHeight: number;
  /** The lines as drawn (device name possibly shortened to fit). */
  lines: string[];
}

/**
 * DejaVu Sans advances: digits 0.636 em, capitals up to 0.77 em, lower
 * case ~0.6 em. 0.64 em per character over-estimates a typical
 * "2026-05-14 18:03:07 CEST" line slightly, so the box never clips it.
 */
export const CHAR_WIDTH_EM = 0.64;

/**
 * Font size ≈ 3.5 % of the image height (25 px at 720p, 11 px at 320 px
 * wide thumbnails), clamped to 10–48 px; each line shortened with "…" to fit
 * the image width.
 */
export function overlayLayout(image: Size, lines: readonly string[], position: OverlayPosition): OverlayLayout {
  const fontSize = Math.max(10, Math.min(48, Math.round(image.height * 0.035)));
  const padding = Math.max(2, Math.round(fontSize * 0.4));
  const lineHeight = Math.round(fontSize * 1.25);
  const margin = padding;
  const charPx = fontSize * CHAR_WIDTH_EM;
  const maxChars = Math.max(1, Math.floor((image.width - 2 * margin - 2 * padding) / charPx));
  const shown = lines.filter((l) => l.length > 0).map((l) => (l.length > maxChars ? `${l.slice(0, Math.max(0, maxChars - 1))}…` : l));
  const longest = shown.reduce((m, l) => Math.max(m, l.length), 0);
  const width = Math.min(image.width, Math.ceil(longest * charPx + 2 * padding));
  const height = Math.min(image.height, shown.length * lineHeight + 2 * padding);
  const right = position.endsWith('right');
  const bottom = position.startsWith('bottom');
  const left = Math.max(0, right ? image.width - margin - width : margin);
  const top = Math.max(0, bottom ? image.height - margin - height : margin);
  return { left, top, width, height, fontSize, padding, lineHeight, lines: shown };
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** The font stack: DejaVu Sans is what fonts-dejavu-core installs (Debian and our firmware). */
export const OVERLAY_FONT = 'DejaVu Sans, Verdana, sans-serif';

/**
 * The overlay as an SVG exactly the size of its box: a translucent black
 * box (readable on snow and at night alike) with white text. The box is
 * composited at (layout.left, layout.top), so only its pixels are rendered.
 */
export function overlaySvg(layout: OverlayLayout): string {
  const texts = layout.lines
    .map(
      (line, i) =>
        `<text x="${layout.padding}" y="${layout.padding + i * layout.lineHeight + Math.round(layout.fontSize * 0.95)}">${escapeXml(line)}</text>`,
    )
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}">` +
    `<rect width="${layout.width}" height="${layout.height}" rx="${Math.round(layout.padding / 2)}" fill="#000" fill-opacity="0.55"/>` +
    `<g font-family="${OVERLAY_FONT}" font-size="${layout.fontSize}" fill="#fff">${texts}</g></svg>`
  );
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * "2026-05-14 18:03:07 GMT+2" in `timeZone`. Formatters are cached: building
 * one costs ~0.5 ms of ICU work, formatting with it ~10 µs.
 */
export function formatOverlayTime(ms: number, timeZone: string): string {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    formatters.set(timeZone, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(ms)) parts[p.type] = p.value;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${parts.timeZoneName}`;
}
