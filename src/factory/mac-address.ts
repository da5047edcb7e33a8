import type { RandomBytes } from './crockford.js';
import { FactoryError } from './factory-error.js';

/** Lower-case aa:bb:cc:dd:ee:ff, the form identity.json stores. */
export function normalizeMac(text: string): string {
  const hex = text.toLowerCase().replace(/[:-]/g, '');
  if (!/^[0-9a-f]{12}$/.test(hex)) throw new FactoryError('bad_mac', 'MAC must be 6 bytes of hex, e.g. 02:1a:2b:3c:4d:5e');
  if (parseInt(hex.slice(0, 2), 16) & 1) throw new FactoryError('bad_mac', 'MAC must be a unicast address (first byte even)');
  return hex.match(/../g)!.join(':');
}

/**
 * A random locally administered unicast address (IEEE 802: first byte with
 * bit 1 set and bit 0 clear), for units whose radio has no burned-in MAC or
 * for test stations; 46 random bits make a clash in one factory negligible.
 */
export function generateLocalMac(random: RandomBytes): string {
  const bytes = Buffer.from(random(6));
  bytes[0] = (bytes[0]! & 0xfc) | 0x02;
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
