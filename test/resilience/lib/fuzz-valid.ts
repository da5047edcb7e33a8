import fc from 'fast-check';
import { mulberry32 } from '../../../src/core/seeded-random.js';
import { generateApPassphrase } from '../../../src/factory/ap-passphrase.js';
import { CROCKFORD_ALPHABET } from '../../../src/factory/crockford.js';
import type { LabelPayload } from '../../../src/factory/label-payload.js';
import { generateVerificationCode } from '../../../src/factory/verification-code.js';
import { REGIONS } from '../../../src/provisioning/payload/regions.js';
import { ssidProblem } from '../../../src/provisioning/payload/ssid.js';
import { utf8Length } from '../../../src/provisioning/payload/utf8.js';
import type { WifiAuth } from '../../../src/provisioning/provisioning-payload.js';

/**
 * Structurally valid inputs for the fuzz targets: what a well-behaved app,
 * cloud or technician sends. A target must accept every one of them (and
 * round-trip it where it has an encoder), so the fuzz tests fail in both
 * directions: refusing good input is a bug as much as accepting bad input.
 */

/** Characters real SSIDs and passwords use, weighted towards the ones with meaning in a payload syntax. */
const TEXT_UNIT = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }).filter((c) => c >= ' ' && c <= '~') },
  { weight: 2, arbitrary: fc.constantFrom(';', ':', '\\', ',', '"', '%', ' ', '&', '$', '`', "'", '|', '#', '*', '/', '=', '+') },
  { weight: 2, arbitrary: fc.constantFrom('é', 'ü', 'ß', 'e\u0301', '☕', '家', 'ア', '한', 'و', 'ש', '\u200F', '📷', '😀', '👨\u200D👩\u200D👧', '🇩🇪') },
);

function textOfBytes(minBytes: number, maxBytes: number): fc.Arbitrary<string> {
  return fc
    .array(TEXT_UNIT, { minLength: 1, maxLength: maxBytes })
    .map((units) => {
      let out = '';
      for (const u of units) {
        if (utf8Length(out + u) > maxBytes) break;
        out += u;
      }
      return out;
    })
    .filter((s) => utf8Length(s) >= minBytes);
}

export const validSsid = (): fc.Arbitrary<string> => textOfBytes(1, 32).filter((s) => ssidProblem(s) === null);

export interface ValidCredentials {
  ssid: string;
  auth: WifiAuth;
  password: string | null;
  hidden: boolean;
}

export const validCredentials = (): fc.Arbitrary<ValidCredentials> =>
  fc.oneof(
    fc.record({ ssid: validSsid(), auth: fc.constant<WifiAuth>('wpa'), password: fc.oneof(textOfBytes(8, 63), fc.stringMatching(/^[0-9a-fA-F]{64}$/)), hidden: fc.boolean() }),
    fc.record({ ssid: validSsid(), auth: fc.constant<WifiAuth>('sae'), password: textOfBytes(1, 128), hidden: fc.boolean() }),
    fc.record({ ssid: validSsid(), auth: fc.constant<WifiAuth>('open'), password: fc.constant(null), hidden: fc.boolean() }),
  );

export const validToken = (): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...CROCKFORD_ALPHABET), minLength: 26, maxLength: 26 });
export const validRegion = (): fc.Arbitrary<string> => fc.constantFrom(...REGIONS);
export const TIME_ZONES: readonly string[] = Intl.supportedValuesOf('timeZone');
export const validTimeZone = (): fc.Arbitrary<string> => fc.constantFrom(...TIME_ZONES, 'UTC', 'Etc/GMT+5');

/** Random bytes from a seed, for the factory generators (which take a RandomBytes source). */
function seededBytes(seed: number): (size: number) => Uint8Array {
  const random = mulberry32(seed);
  return (size) => Uint8Array.from({ length: size }, () => Math.floor(random() * 256));
}

export const validLabel = (): fc.Arbitrary<LabelPayload> =>
  fc.record({
    model: fc.stringMatching(/^[A-Z0-9](?:[A-Z0-9-]{0,14}[A-Z0-9])?$/),
    serial: fc.stringMatching(/^[A-Z0-9]{6,20}$/),
    seed: fc.integer(),
    fingerprint: fc.string({ unit: fc.constantFrom(...CROCKFORD_ALPHABET), minLength: 16, maxLength: 16 }),
  }).map(({ model, serial, seed, fingerprint }) => {
    const random = seededBytes(seed);
    return { model, serial, code: generateVerificationCode(random), passphrase: generateApPassphrase(random), fingerprint };
  });
