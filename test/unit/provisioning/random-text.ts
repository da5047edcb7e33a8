/**
 * Seeded generators for the round-trip tests: the same seed gives the same
 * SSIDs and passwords on every run, so a failure is reproducible from the
 * test name alone.
 */
import { mulberry32 } from '../../../src/core/seeded-random.js';
import { utf8Length } from '../../../src/provisioning/payload/utf8.js';
import type { WifiAuth } from '../../../src/provisioning/provisioning-payload.js';

/** The same seed gives the same sequence on every run. */
export const seededRandom = mulberry32;

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

export function integer(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

const PRINTABLE_ASCII = Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i));
/** Characters with a meaning in one of the two formats, weighted up. */
const SYNTAX = [';', ':', '\\', ',', '"', '%', ' ', '&', '$', '`', "'", '|', '#', '*', '/', '='];
const WIDE = [
  'é', 'ü', 'ß', 'ñ', // Latin-1 range: 2 bytes
  'e\u0301', // NFD é: must never be normalised
  '☕', '家', '中', '文', 'ア', '한', // 3 bytes, CJK
  'و', 'ا', 'ي', 'ف', 'ש', 'ל', 'ו', 'ם', // RTL: Arabic, Hebrew
  '\u200F', // RIGHT-TO-LEFT MARK (a format character, not a control)
  '📷', '😀', '👨\u200D👩\u200D👧', '🇩🇪', // 4-byte and ZWJ/flag sequences
];

function unit(random: () => number): string {
  const r = random();
  if (r < 0.45) return pick(random, PRINTABLE_ASCII);
  if (r < 0.65) return pick(random, SYNTAX);
  return pick(random, WIDE);
}

/** Text of 1..maxBytes UTF-8 bytes (at least minBytes when possible). */
export function randomText(random: () => number, minBytes: number, maxBytes: number): string {
  const target = integer(random, minBytes, maxBytes);
  let text = '';
  for (let tries = 0; tries < 200 && utf8Length(text) < target; tries++) {
    const next = unit(random);
    if (utf8Length(text + next) <= maxBytes) text += next;
  }
  while (utf8Length(text) < minBytes) text += pick(random, PRINTABLE_ASCII.filter((c) => c !== ' '));
  return text;
}

const HEX_DIGITS = '0123456789abcdefABCDEF';

export function randomHex(random: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += pick(random, [...HEX_DIGITS]);
  return out;
}

/** An SSID: mostly mixed text, sometimes padded with spaces or hex-looking (the quoting case). */
export function randomSsid(random: () => number): string {
  const r = random();
  if (r < 0.1) return randomHex(random, integer(random, 1, 32));
  if (r < 0.2) return ` ${randomText(random, 1, 30)} `;
  return randomText(random, 1, 32);
}

export function randomPassword(random: () => number, auth: WifiAuth): string | null {
  if (auth === 'open') return null;
  if (auth === 'sae') return randomText(random, 1, 128);
  if (random() < 0.15) return randomHex(random, 64);
  return randomText(random, 8, 63);
}
