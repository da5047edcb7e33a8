/**
 * The TXT record of the camera's DNS-SD advertisement (provisioning.md
 * §5.3, test A13 in §7.4). Pure: no I/O.
 *
 *   pv=1          discovery protocol version
 *   md=CAM100     model
 *   sn4=7890      last four characters of the serial (never the whole serial)
 *   fw=1.4.2      firmware version
 *   st=unbound    bound | unbound to an account
 *   id=7Z3K9QX2   first 8 characters of the label's F: fingerprint, so the
 *                 app can match the camera to the label it scanned
 *
 * Only these keys exist: the record is built from CameraFacts, which has no
 * place for codes, tokens, the owner or the full serial. The port is in the
 * SRV record, where every DNS-SD client reads it.
 *
 * Limits (RFC 6763): keys of at most 9 characters (§6.4), each string at
 * most 255 bytes (§6.1), the whole record "200 bytes or less" (§6.2), which
 * checkTxt() enforces. bonjour-service encodes each entry as
 * `${key}=${value}` (dns-txt.js), so `undefined` would go out as the text
 * "undefined" and '' as a bare "key=" that its own decoder reads back as a
 * key named "key=" (provisioning.md §5.2): absent facts leave their key out.
 */
import { encodeCrockford } from '../factory/crockford.js';
import { fitBytes, serialSuffix } from './mdns-names.js';

export const TXT_MAX_BYTES = 200;
export const TXT_KEY_MAX_LENGTH = 9;
export const TXT_STRING_MAX_BYTES = 255;
export const DISCOVERY_PROTOCOL_VERSION = '1';
/** Caps for the free-text values, so the worst case stays far below 200 bytes (109). */
export const TXT_VALUE_MAX_BYTES = { md: 32, fw: 32 } as const;
export const DEVICE_KEY_TAG_LENGTH = 8;

export interface CameraFacts {
  model: string;
  serial: string;
  /** Firmware version; '' when unknown (the key is then left out). */
  firmware: string;
  /** Bound to an account (provisioning.md §6.4). */
  bound: boolean;
  /** identity.json publicKeyFingerprint: hex SHA-256 of the device key's SPKI; null when unknown. */
  publicKeyFingerprint: string | null;
}

/** Key → non-empty value, in the order they go on the wire. */
export type TxtRecord = Readonly<Record<string, string>>;

export type TxtErrorCode = 'txt_invalid' | 'txt_too_large';
export type TxtResult = { ok: true; txt: TxtRecord } | { ok: false; code: TxtErrorCode; message: string };

/**
 * The label fingerprint F: is Crockford base32 of the first 80 bits of
 * SHA-256(SPKI) (factory/unit-builder.ts labelFingerprint); its first 8
 * characters are the first 40 bits, so `F.startsWith(id)` on the phone.
 */
export function deviceKeyTag(publicKeyFingerprint: string | null): string | null {
  if (publicKeyFingerprint === null || !/^[0-9a-f]{64}$/i.test(publicKeyFingerprint)) return null;
  return encodeCrockford(Buffer.from(publicKeyFingerprint, 'hex'), DEVICE_KEY_TAG_LENGTH);
}

export function cameraTxt(facts: CameraFacts): TxtResult {
  const entries: Array<[string, string | null]> = [
    ['pv', DISCOVERY_PROTOCOL_VERSION],
    ['md', capped(facts.model, TXT_VALUE_MAX_BYTES.md)],
    ['sn4', serialSuffix(facts.serial)],
    ['fw', capped(facts.firmware, TXT_VALUE_MAX_BYTES.fw)],
    ['st', facts.bound ? 'bound' : 'unbound'],
    ['id', deviceKeyTag(facts.publicKeyFingerprint)],
  ];
  const txt: Record<string, string> = {};
  for (const [key, value] of entries) if (value !== null && value !== '') txt[key] = value;
  const error = checkTxt(txt);
  return error ? { ok: false, ...error } : { ok: true, txt };
}

/** Bytes on the wire: each string is one length byte plus `key=value`. */
export function txtWireBytes(txt: Readonly<Record<string, unknown>>): number {
  return Object.entries(txt).reduce((n, [k, v]) => n + 1 + Buffer.byteLength(`${k}=${String(v)}`), 0);
}

/** Why a record must not be published, or null when it may. */
export function checkTxt(txt: Readonly<Record<string, unknown>>): { code: TxtErrorCode; message: string } | null {
  for (const [key, value] of Object.entries(txt)) {
    if (!/^[\x20-\x3c\x3e-\x7e]+$/.test(key) || key.length > TXT_KEY_MAX_LENGTH) {
      return { code: 'txt_invalid', message: `TXT key "${key}" is not 1-${TXT_KEY_MAX_LENGTH} printable ASCII characters without '='` };
    }
    if (typeof value !== 'string' || value === '') return { code: 'txt_invalid', message: `TXT ${key} has no value` };
    if (/[\u0000-\u001f\u007f]/.test(value)) return { code: 'txt_invalid', message: `TXT ${key} has control characters` };
    if (Buffer.byteLength(`${key}=${value}`) > TXT_STRING_MAX_BYTES) return { code: 'txt_invalid', message: `TXT ${key} is longer than ${TXT_STRING_MAX_BYTES} bytes` };
  }
  const size = txtWireBytes(txt);
  if (size > TXT_MAX_BYTES) return { code: 'txt_too_large', message: `TXT record is ${size} bytes, more than ${TXT_MAX_BYTES}` };
  return null;
}

/** Control characters dropped, white space collapsed, cut to `maxBytes` between code points. */
function capped(text: string, maxBytes: number): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').replace(/\s+/g, ' ').trim();
  return fitBytes(clean, maxBytes).trimEnd();
}
