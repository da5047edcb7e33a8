import { CROCKFORD_ALPHABET, crockfordValue } from './crockford.js';

/**
 * Luhn mod N over the Crockford alphabet (N = 32), as provisioning.md §6.3
 * specifies for the label code: from the right, every second character
 * (starting with the one left of the check character) is doubled, and a
 * doubled value ≥ 32 is folded back as (2v − 31), i.e. the base-32 digit sum.
 *
 * It detects every single-character substitution. It detects every adjacent
 * transposition except one pair: "0" next to "Z" (values 0 and 31 are both
 * fixed points of the fold), the mod-32 twin of Luhn's 09 ↔ 90 blind spot.
 * The code generator therefore never issues a code with 0 and Z adjacent
 * (verification-code.ts), so any adjacent swap of an *issued* code is caught.
 */
const N = CROCKFORD_ALPHABET.length;

function fold(value: number): number {
  const doubled = value * 2;
  return doubled >= N ? doubled - N + 1 : doubled;
}

function weightedSum(chars: string, doubleFirstFromRight: boolean): number {
  let sum = 0;
  let double = doubleFirstFromRight;
  for (let i = chars.length - 1; i >= 0; i--) {
    const value = crockfordValue(chars[i]!);
    if (value < 0) throw new RangeError('not a Crockford base32 character');
    sum += double ? fold(value) : value;
    double = !double;
  }
  return sum;
}

/** The check character to append to `data` (canonical Crockford characters). */
export function luhn32CheckCharacter(data: string): string {
  const sum = weightedSum(data, true);
  return CROCKFORD_ALPHABET[(N - (sum % N)) % N]!;
}

/** True when the last character of `text` is the correct check character for the rest. */
export function luhn32Valid(text: string): boolean {
  if (text.length < 2 || !/^[0-9A-HJKMNP-TV-Z]+$/.test(text)) return false;
  return weightedSum(text, false) % N === 0;
}
