import { AP_PASSPHRASE_LENGTH, isApPassphrase } from './ap-passphrase.js';
import { verificationCodeProblem } from './verification-code.js';
import { MODEL_PATTERN, SERIAL_PATTERN } from './unit-naming.js';

/**
 * The label QR payload, format version 1 (docs/label.md; provisioning.md §6.3):
 *
 *   HTTPS://Q.EXAMPLE.COM/D/<MODEL>#1*S:<serial>*C:<code>*W:<passphrase>*F:<fingerprint>
 *
 * Everything but "#" is in the QR alphanumeric set (0-9 A-Z space $%*+-./:),
 * which keeps the symbol at version 5. The fragment never reaches a web
 * server when a generic phone camera opens the link.
 */
export const LABEL_FORMAT = 1;
export const DEFAULT_LABEL_HOST = 'Q.EXAMPLE.COM';
export const FINGERPRINT_LENGTH = 16;

export interface LabelPayload {
  model: string;
  serial: string;
  /** 9 characters: 8 data + Luhn mod 32 check character. */
  code: string;
  /** 12 characters. */
  passphrase: string;
  /** 16 Crockford characters: the first 80 bits of SHA-256(SPKI DER). */
  fingerprint: string;
}

export interface LabelPayloadOptions {
  /** Upper-case host of the landing page; default Q.EXAMPLE.COM. */
  host?: string;
}

export type LabelPayloadErrorCode =
  | 'not_label_url'
  | 'wrong_host'
  | 'bad_model'
  | 'unsupported_version'
  | 'malformed_field'
  | 'unknown_field'
  | 'duplicate_field'
  | 'missing_field'
  | 'bad_serial'
  | 'bad_code'
  | 'code_check_failed'
  | 'bad_passphrase'
  | 'bad_fingerprint';

export type LabelPayloadResult = { ok: true; payload: LabelPayload } | { ok: false; code: LabelPayloadErrorCode; detail: string };

export const HOST_PATTERN = /^[A-Z0-9](?:[A-Z0-9.-]*[A-Z0-9])?$/;
const FINGERPRINT_PATTERN = /^[0-9A-HJKMNP-TV-Z]{16}$/;

/** The prefix before "#": what a generic scanner opens. */
export function labelUrl(model: string, options: LabelPayloadOptions = {}): string {
  return `HTTPS://${options.host ?? DEFAULT_LABEL_HOST}/D/${model}`;
}

/** The fragment after "#". */
export function labelFragment(p: LabelPayload): string {
  return `${LABEL_FORMAT}*S:${p.serial}*C:${p.code}*W:${p.passphrase}*F:${p.fingerprint}`;
}

/** Encodes a payload whose fields the caller generated; throws on a field that would not decode. */
export function encodeLabelPayload(p: LabelPayload, options: LabelPayloadOptions = {}): string {
  const text = `${labelUrl(p.model, options)}#${labelFragment(p)}`;
  const back = decodeLabelPayload(text, options);
  if (!back.ok) throw new RangeError(`label payload field invalid: ${back.code} (${back.detail})`);
  return text;
}

function fail(code: LabelPayloadErrorCode, detail: string): LabelPayloadResult {
  return { ok: false, code, detail };
}

/**
 * Parses and validates a scanned payload. Scheme and host compare
 * case-insensitively (URLs do); path and fragment are ours and exact.
 * Unknown fields are rejected in version 1: a new field means a new version.
 */
export function decodeLabelPayload(text: string, options: LabelPayloadOptions = {}): LabelPayloadResult {
  const host = options.host ?? DEFAULT_LABEL_HOST;
  const hash = text.indexOf('#');
  if (hash < 0) return fail('not_label_url', 'no "#" fragment');
  const url = text.slice(0, hash);
  const fragment = text.slice(hash + 1);
  // Only the scheme is matched case-insensitively here; the path is exact.
  const m = /^https:\/\/([^/]+)(\/.*)$/i.exec(url);
  if (!m || !m[2]!.startsWith('/D/')) return fail('not_label_url', 'not HTTPS://<host>/D/<model>');
  if (m[1]!.toUpperCase() !== host.toUpperCase()) return fail('wrong_host', 'host differs from the configured label host');
  const model = m[2]!.slice(3);
  if (!MODEL_PATTERN.test(model)) return fail('bad_model', 'model is not 1–16 of A–Z, 0–9, "-"');
  const parts = fragment.split('*');
  if (parts[0] !== String(LABEL_FORMAT)) return fail('unsupported_version', `format version must be ${LABEL_FORMAT}`);
  const fields = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const f = /^([A-Z]):(.*)$/.exec(part);
    if (!f) return fail('malformed_field', 'field is not <KEY>:<value>');
    const [, key, value] = f as unknown as [string, string, string];
    if (!'SCWF'.includes(key)) return fail('unknown_field', `field ${key} is not defined in version ${LABEL_FORMAT}`);
    if (fields.has(key)) return fail('duplicate_field', `field ${key} appears twice`);
    fields.set(key, value);
  }
  for (const key of ['S', 'C', 'W', 'F']) if (!fields.has(key)) return fail('missing_field', `field ${key} is missing`);
  const serial = fields.get('S')!;
  const code = fields.get('C')!;
  const passphrase = fields.get('W')!;
  const fingerprint = fields.get('F')!;
  if (!SERIAL_PATTERN.test(serial)) return fail('bad_serial', 'serial is not 6–20 of A–Z, 0–9');
  const codeProblem = verificationCodeProblem(code);
  if (codeProblem === 'bad_check_character') return fail('code_check_failed', 'verification code check character is wrong');
  if (codeProblem) return fail('bad_code', `verification code: ${codeProblem}`);
  if (!isApPassphrase(passphrase)) return fail('bad_passphrase', `AP passphrase is not ${AP_PASSPHRASE_LENGTH} Crockford characters`);
  if (!FINGERPRINT_PATTERN.test(fingerprint)) return fail('bad_fingerprint', `fingerprint is not ${FINGERPRINT_LENGTH} Crockford characters`);
  return { ok: true, payload: { model, serial, code, passphrase, fingerprint } };
}
