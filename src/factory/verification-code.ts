import { randomCrockford, type RandomBytes } from './crockford.js';
import { luhn32CheckCharacter, luhn32Valid } from './check-character.js';
import { isTrivialPattern } from './trivial-pattern.js';

/**
 * The label verification code `C` (provisioning.md §6.3): 8 Crockford
 * characters = 40 bits straight from the CSPRNG, plus one Luhn mod 32 check
 * character. It is never derived from the serial or MAC (§2.5: codes derived
 * from public data are how camera pairing got broken), and it is stored
 * nowhere in clear: the unit keeps an SRP verifier, the manifest a scrypt hash.
 */
export const CODE_DATA_LENGTH = 8;
export const CODE_LENGTH = CODE_DATA_LENGTH + 1;

/** Draws until the code is neither trivial nor has the Luhn-blind "0Z"/"Z0" neighbours. */
export function generateVerificationCode(random: RandomBytes): string {
  for (;;) {
    const data = randomCrockford(CODE_DATA_LENGTH, random);
    if (isTrivialPattern(data)) continue;
    const code = data + luhn32CheckCharacter(data);
    if (/0Z|Z0/.test(code)) continue;
    return code;
  }
}

export type CodeProblem = 'bad_length' | 'bad_character' | 'bad_check_character' | 'trivial_code';

/** Why `code` (canonical characters, no separators) is not a valid label code, or null. */
export function verificationCodeProblem(code: string): CodeProblem | null {
  if (code.length !== CODE_LENGTH) return 'bad_length';
  if (!/^[0-9A-HJKMNP-TV-Z]+$/.test(code)) return 'bad_character';
  if (!luhn32Valid(code)) return 'bad_check_character';
  if (isTrivialPattern(code.slice(0, CODE_DATA_LENGTH))) return 'trivial_code';
  return null;
}
