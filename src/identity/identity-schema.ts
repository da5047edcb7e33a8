import type { FactoryIdentity } from './factory-layout.js';
import { identityError, type IdentityError } from './identity-error.js';

/** FactoryIdentity.deviceId: "cam-" + 16 lower-case Crockford base32 characters. */
export const DEVICE_ID_PATTERN = /^cam-[0-9a-hjkmnp-tv-z]{16}$/;
/** As printed on the label: upper-case letters and digits. */
export const SERIAL_PATTERN = /^[A-Z0-9]{4,32}$/;
export const MAC_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
export const FINGERPRINT_PATTERN = /^[0-9a-f]{64}$/;
const CERT_SERIAL_PATTERN = /^[0-9a-fA-F]{1,40}$/;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const SHORT_TEXT = /^[\x21-\x7e](?:[\x20-\x7e]{0,62}[\x21-\x7e])?$/;

/**
 * Check parsed identity.json against the FactoryIdentity contract. Pure.
 * Unknown extra keys are tolerated: factory-layout.ts may only grow, and an
 * older agent must still start on a unit provisioned by a newer station.
 */
export function parseFactoryIdentity(value: unknown): { ok: true; identity: FactoryIdentity } | { ok: false; error: IdentityError } {
  const bad = (field: string, why: string) =>
    ({ ok: false, error: identityError('identity_invalid', `identity.json: ${field} ${why}`, field) }) as const;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('(root)', 'is not an object');
  const o = value as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);

  if (o.formatVersion !== 1) return bad('formatVersion', 'is not 1');
  const deviceId = str('deviceId');
  if (!deviceId || !DEVICE_ID_PATTERN.test(deviceId)) return bad('deviceId', `does not match ${DEVICE_ID_PATTERN.source}`);
  const serial = str('serial');
  if (!serial || !SERIAL_PATTERN.test(serial)) return bad('serial', `does not match ${SERIAL_PATTERN.source}`);
  const model = str('model');
  if (!model || !SHORT_TEXT.test(model)) return bad('model', 'is not 1-64 printable characters');
  const hardwareRevision = str('hardwareRevision');
  if (!hardwareRevision || !SHORT_TEXT.test(hardwareRevision)) return bad('hardwareRevision', 'is not 1-64 printable characters');
  const mac = str('mac');
  if (!mac || !MAC_PATTERN.test(mac)) return bad('mac', 'is not lower-case aa:bb:cc:dd:ee:ff');
  const labelFormat = o.labelFormat;
  if (typeof labelFormat !== 'number' || !Number.isInteger(labelFormat) || labelFormat < 1) return bad('labelFormat', 'is not a positive integer');
  const publicKeyFingerprint = str('publicKeyFingerprint');
  if (!publicKeyFingerprint || !FINGERPRINT_PATTERN.test(publicKeyFingerprint)) return bad('publicKeyFingerprint', 'is not 64 lower-case hex digits');
  const certificateSerial = o.certificateSerial;
  if (certificateSerial !== null && (typeof certificateSerial !== 'string' || !CERT_SERIAL_PATTERN.test(certificateSerial))) {
    return bad('certificateSerial', 'is neither null nor a hex serial');
  }
  const manufacturedAt = str('manufacturedAt');
  if (!manufacturedAt || !DATE_PATTERN.test(manufacturedAt) || Number.isNaN(Date.parse(`${manufacturedAt}T00:00:00Z`)) ||
      new Date(`${manufacturedAt}T00:00:00Z`).toISOString().slice(0, 10) !== manufacturedAt) {
    return bad('manufacturedAt', 'is not a YYYY-MM-DD date');
  }
  return {
    ok: true,
    identity: {
      formatVersion: 1,
      deviceId,
      serial,
      model,
      hardwareRevision,
      mac,
      labelFormat,
      publicKeyFingerprint,
      certificateSerial,
      manufacturedAt,
    },
  };
}
