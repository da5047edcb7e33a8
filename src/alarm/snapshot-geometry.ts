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

/**
 * The overlay is a strip across the full width of the snapshot, at its top or
 * bottom: the time at one end, the device name at the other (the look of a
 * trail camera's info bar). A full-width strip, not a corner box, because
 * the processor can then draw it without a blend (overlay-stencil.ts).
 */
export interface OverlayStrip {
  /** First row of the strip: 0 (top) or image height − height (bottom). */
  top: number;
  width: number;
  height: number;
  fontSize: number;
  padding: number;
  /** Baseline of the text, from the strip's top. */
  baseline: number;
  /** Which end the time stands at; the device name takes the other one. */
  timeAt: 'left' | 'right';
  time: string;
  /** The device name as drawn: possibly shortened to fit, empty when there is none or no room. */
  name: string;
}

/**
 * DejaVu Sans advances: digits 0.636 em, capitals up to 0.77 em, lower
 * case ~0.6 em. 0.64 em per character over-estimates a typical
 * "2026-05-14 18:03:07 CEST" line slightly, so texts never collide.
 */
export const CHAR_WIDTH_EM = 0.64;

/**
 * Font size ≈ 3.5 % of the image height (25 px at 720p), clamped to 10–48
 * px; strip height 1.6 em (40 px at 720p, 5.6 % of the image). The time is
 * shortened only when even it alone does not fit; the device name gets what
 * is left after a gap of two characters, shortened with "…".
 */
export function overlayStrip(image: Size, time: string, deviceName: string, position: OverlayPosition): OverlayStrip {
  const fontSize = Math.max(10, Math.min(48, Math.round(image.height * 0.035)));
  const height = Math.min(image.height, Math.round(fontSize * 1.6));
  const padding = Math.max(2, Math.round(fontSize * 0.4));
  const charPx = fontSize * CHAR_WIDTH_EM;
  const room = Math.max(1, Math.floor((image.width - 2 * padding) / charPx));
  const shorten = (text: string, max: number) => (text.length > max ? `${text.slice(0, Math.max(0, max - 1))}…` : text);
  const shownTime = shorten(time, room);
  const nameRoom = room - shownTime.length - 2;
  const name = nameRoom >= 2 ? shorten(deviceName, nameRoom) : '';
  return {
    top: position.startsWith('bottom') ? image.height - height : 0,
    width: image.width,
    height,
    fontSize,
    padding,
    baseline: Math.round((height + fontSize * 0.72) / 2),
    timeAt: position.endsWith('right') ? 'right' : 'left',
    time: shownTime,
    name,
  };
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** The font stack: DejaVu Sans is what fonts-dejavu-core installs (Debian and our firmware). */
export const OVERLAY_FONT = 'DejaVu Sans, Verdana, sans-serif';

/**
 * The strip as an SVG of exactly its size: white text on black. The
 * processor uses its first channel as the text's coverage.
 */
export function overlaySvg(strip: OverlayStrip): string {
  const left = `x="${strip.padding}" text-anchor="start"`;
  const right = `x="${strip.width - strip.padding}" text-anchor="end"`;
  const text = (where: string, s: string) => (s ? `<text ${where} y="${strip.baseline}">${escapeXml(s)}</text>` : '');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${strip.width}" height="${strip.height}">` +
    `<rect width="${strip.width}" height="${strip.height}" fill="#000"/>` +
    `<g font-family="${OVERLAY_FONT}" font-size="${strip.fontSize}" fill="#fff">` +
    text(strip.timeAt === 'left' ? left : right, strip.time) +
    text(strip.timeAt === 'left' ? right : left, strip.name) +
    `</g></svg>`
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
