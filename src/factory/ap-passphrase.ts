import { randomCrockford, type RandomBytes } from './crockford.js';
import { isTrivialPattern } from './trivial-pattern.js';

/**
 * The soft-AP WPA2 passphrase `W` (provisioning.md §6.3/§6.5): 12 Crockford
 * characters = 60 bits from the CSPRNG. 8–63 characters is WPA2's range;
 * 12 keeps the printed key short while making an offline guess of a captured
 * handshake cost 2^59 PBKDF2 runs on average.
 */
export const AP_PASSPHRASE_LENGTH = 12;

export function generateApPassphrase(random: RandomBytes): string {
  for (;;) {
    const passphrase = randomCrockford(AP_PASSPHRASE_LENGTH, random);
    if (!isTrivialPattern(passphrase)) return passphrase;
  }
}

export function isApPassphrase(text: string): boolean {
  return text.length === AP_PASSPHRASE_LENGTH && /^[0-9A-HJKMNP-TV-Z]+$/.test(text);
}
