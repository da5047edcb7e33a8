/**
 * Crockford base32 (https://www.crockford.com/base32.html): digits and
 * upper-case letters without I, L, O, U, so a printed code survives being
 * read aloud or typed. Every character is in the QR alphanumeric set.
 */
export const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Source of random bytes; crypto.randomBytes in production, a fixed stream in tests. */
export type RandomBytes = (size: number) => Uint8Array;

/** The first `count` 5-bit groups of `bytes` (big-endian bit order) as Crockford characters. */
export function encodeCrockford(bytes: Uint8Array, count: number): string {
  if (count * 5 > bytes.length * 8) throw new RangeError('not enough bits for the requested length');
  let out = '';
  for (let i = 0; i < count; i++) {
    let value = 0;
    for (let b = 0; b < 5; b++) {
      const bit = i * 5 + b;
      value = (value << 1) | ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1);
    }
    out += CROCKFORD_ALPHABET[value];
  }
  return out;
}

/** `count` characters carrying exactly count × 5 bits from the random source. */
export function randomCrockford(count: number, random: RandomBytes): string {
  return encodeCrockford(random(Math.ceil((count * 5) / 8)), count);
}

export function crockfordValue(char: string): number {
  return CROCKFORD_ALPHABET.indexOf(char);
}

export function isCrockford(text: string): boolean {
  return /^[0-9A-HJKMNP-TV-Z]*$/.test(text);
}

/**
 * What a person typed → canonical characters: drop separators, upper-case,
 * and map the look-alikes Crockford defines (I, L → 1; O → 0).
 */
export function normalizeCrockford(typed: string): string {
  return typed
    .replace(/[\s-]/g, '')
    .toUpperCase()
    .replace(/[IL]/g, '1')
    .replace(/O/g, '0');
}

/** "7KQ2M9XWF" → "7KQ2-M9XW-F": groups of four for printing. */
export function groupForPrint(text: string, size = 4): string {
  return text.match(new RegExp(`.{1,${size}}`, 'g'))?.join('-') ?? '';
}
