import type { BindingRequest, ProvisioningPayload, WifiAuth } from '../provisioning-payload.js';
import { isBindingToken } from './binding-token.js';
import { crc32Hex } from './crc32.js';
import { buildCredentials } from './credentials.js';
import { fail, ok, type PayloadResult } from './payload-error.js';
import { percentDecode, percentEncode } from './percent-encoding.js';
import { isRegion, REGIONS } from './regions.js';
import { ssidFromBytes } from './ssid.js';
import { isTimeZone } from './time-zone.js';
import { decodeUtf8, utf8Bytes, utf8Length } from './utf8.js';

/**
 * Our phone→camera QR payload, version 1 (provisioning.md §6.2):
 *
 *   PRV1:T:WPA;S:MyHomeNetwork;P:correct%20horse%20battery;B:<token>;C:EU;X:13728406;;
 *
 * ASCII only (0x21–0x7E), values percent-encoded, so the QR decoder's
 * charset guess cannot alter a byte; a CRC-32 over everything before `X:`
 * catches mis-decodes and truncation. Keys are case-sensitive, duplicates
 * are refused, unknown keys are ignored (a later minor addition must not
 * break old firmware), a new major version is a new prefix.
 */
export const PRV1_PREFIX = 'PRV1:';
/** The whole payload; keeps the worst case at QR version 10 (ECC M). */
export const PRV1_MAX_BYTES = 512;

export interface Prv1Input {
  /** Text as the user's network spells it; never trimmed or normalised. */
  ssid: string;
  auth: WifiAuth;
  /** Required for 'wpa'/'sae'; null, undefined or '' for 'open'. */
  password?: string | null;
  hidden?: boolean;
  /** Binding token from the cloud; needs `region`. */
  token?: string | null;
  region?: string | null;
  timeZone?: string | null;
}

/** `T:` spellings. */
const AUTH_NAMES: Record<WifiAuth, string> = { wpa: 'WPA', sae: 'SAE', open: 'nopass' };
/** The keys version 1 defines, in the order the encoder writes them. */
const KNOWN_KEYS = ['T', 'S', 'P', 'H', 'B', 'C', 'Z', 'X'];
const KEY = /^[A-Z]{1,2}$/;
const CRC_VALUE = /^[0-9A-Fa-f]{8}$/;

interface Field {
  key: string;
  raw: string;
  /** Offset of the key in the whole text: the CRC covers everything before the `X` key. */
  offset: number;
}

/** A bounded, quoted rendering of attacker-controlled text for a log message. */
function quoted(text: string): string {
  return JSON.stringify(text.length > 16 ? `${text.slice(0, 16)}…` : text);
}

/** Splits the body into fields; the grammar only, no meaning yet. */
function tokenize(text: string): PayloadResult<Field[]> {
  const fields: Field[] = [];
  let pos = PRV1_PREFIX.length;
  for (;;) {
    if (pos >= text.length) return fail('truncated', 'the payload ends before its final ";;"');
    if (text[pos] === ';') {
      if (fields.length === 0) return fail('malformed', 'the payload has no fields');
      if (pos !== text.length - 1) return fail('malformed', `text follows the final ";;" at offset ${pos + 1}`);
      return ok(fields);
    }
    const end = text.indexOf(';', pos);
    if (end < 0) return fail('truncated', 'the payload ends inside a field, before its final ";;"');
    const colon = text.indexOf(':', pos);
    if (colon < 0 || colon > end) return fail('malformed', `the field at offset ${pos} has no "key:"`);
    const key = text.slice(pos, colon);
    if (!KEY.test(key)) return fail('malformed', `the key at offset ${pos} is not one or two upper-case letters`);
    fields.push({ key, raw: text.slice(colon + 1, end), offset: pos });
    pos = end + 1;
  }
}

/** Field bytes as text; non-UTF-8 bytes in an ASCII-only field (T, H, B, C, Z) then fail that field's own check. */
function textOf(bytes: Uint8Array): string {
  return decodeUtf8(bytes) ?? '\uFFFD';
}

function authFromName(name: string): PayloadResult<WifiAuth> {
  switch (name) {
    case 'WPA':
      return ok('wpa');
    case 'SAE':
      return ok('sae');
    case 'nopass':
      return ok('open');
    case '':
      return fail('auth_missing', 'T: is empty');
    case 'WEP':
      return fail('wep_unsupported', 'WEP networks are not supported');
    default:
      if (/EAP/i.test(name)) return fail('eap_unsupported', 'enterprise (EAP) networks are not supported');
      return fail('unknown_auth', `T:${quoted(name)} is not WPA, SAE or nopass`);
  }
}

/**
 * Parses and validates a scanned PRV1 payload. Checks run from the outside
 * in: size, version, characters, field grammar, CRC, then field meanings,
 * so a garbled scan reports `crc_mismatch` rather than whatever the
 * garbling happened to hit.
 */
export function parsePrv1(text: string): PayloadResult<ProvisioningPayload> {
  // .length bounds the work before the byte count does (every unit is ≥ 1 byte).
  if (text.length > PRV1_MAX_BYTES || utf8Length(text) > PRV1_MAX_BYTES) {
    return fail('too_long', `a PRV1 payload is at most ${PRV1_MAX_BYTES} bytes`);
  }
  if (!text.startsWith(PRV1_PREFIX)) {
    const version = /^PRV(\d+):/.exec(text);
    if (version) return fail('unsupported_version', `PRV${version[1]} payloads are not supported by this firmware (only PRV1)`);
    return fail('malformed', 'the payload does not start with "PRV1:"');
  }
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x21 || code > 0x7e) return fail('bad_character', `character 0x${code.toString(16).toUpperCase()} at offset ${i} is outside 0x21–0x7E`);
  }
  const tokens = tokenize(text);
  if (!tokens.ok) return tokens;
  const fields = tokens.value;

  const last = fields[fields.length - 1]!;
  if (last.key !== 'X') return fail('crc_missing', 'the last field is not X: (CRC-32)');
  if (!CRC_VALUE.test(last.raw)) return fail('crc_mismatch', 'X: is not 8 hex digits');
  if (crc32Hex(utf8Bytes(text.slice(0, last.offset))) !== last.raw.toUpperCase()) {
    return fail('crc_mismatch', 'X: does not match the payload (mis-decoded or altered)');
  }

  const values = new Map<string, Uint8Array>();
  const warnings: string[] = [];
  for (const field of fields) {
    if (values.has(field.key)) return fail('duplicate_key', `${field.key}: appears more than once`);
    // Unknown fields are ignored, but they still have to follow the value grammar.
    const decoded = percentDecode(field.raw);
    if (!decoded.ok) return fail(decoded.error.code, `${field.key}: ${decoded.error.message}`);
    values.set(field.key, decoded.value);
    if (!KNOWN_KEYS.includes(field.key)) warnings.push(`PRV1 field ${field.key}: is not defined in version 1; ignored`);
  }

  const authBytes = values.get('T');
  if (authBytes === undefined) return fail('auth_missing', 'T: (network type) is missing');
  const auth = authFromName(textOf(authBytes));
  if (!auth.ok) return auth;

  const ssidBytes = values.get('S');
  if (ssidBytes === undefined) return fail('ssid_empty', 'S: (SSID) is missing');
  const ssid = ssidFromBytes(ssidBytes);
  if (!ssid.ok) return ssid;

  let password: string | null = null;
  const passwordBytes = values.get('P');
  if (passwordBytes !== undefined) {
    if (auth.value === 'open') return fail('password_not_allowed', 'P: is not allowed with T:nopass');
    password = decodeUtf8(passwordBytes);
    if (password === null) return fail('password_not_utf8', 'the password bytes are not UTF-8');
  }

  const hiddenBytes = values.get('H');
  const hidden = hiddenBytes === undefined ? '0' : textOf(hiddenBytes);
  if (hidden !== '0' && hidden !== '1') return fail('bad_hidden', 'H: must be 1 (hidden) or 0');

  const wifi = buildCredentials({ ssid: ssid.value, auth: auth.value, password, hidden: hidden === '1' });
  if (!wifi.ok) return wifi;

  const binding = parseBinding(values, warnings);
  if (!binding.ok) return binding;

  const zoneBytes = values.get('Z');
  const timeZone = zoneBytes === undefined ? null : textOf(zoneBytes);
  if (timeZone !== null && !isTimeZone(timeZone)) return fail('bad_timezone', 'Z: is not an IANA time zone name');

  return ok({ format: 'prv1', wifi: wifi.value, binding: binding.value, timeZone, warnings });
}

/** `B:` and `C:`. Values are never echoed: the token is a secret. */
function parseBinding(values: Map<string, Uint8Array>, warnings: string[]): PayloadResult<BindingRequest | null> {
  const tokenBytes = values.get('B');
  const regionBytes = values.get('C');
  const token = tokenBytes === undefined ? null : textOf(tokenBytes);
  const region = regionBytes === undefined ? null : textOf(regionBytes);
  if (token !== null && !isBindingToken(token)) return fail('bad_token', 'B: is not 26 Crockford base32 characters');
  if (region !== null && !isRegion(region)) return fail('bad_region', `C: is not one of ${REGIONS.join(', ')}`);
  if (token === null) {
    if (region !== null) warnings.push('PRV1 C: without B: ignored');
    return ok(null);
  }
  if (region === null) return fail('region_missing', 'B: (binding token) needs C: (cloud region)');
  return ok({ token, region });
}

/**
 * Builds the payload the app would show, applying the parser's rules first
 * so the encoder never produces a code the camera refuses. Fields are
 * written in the order T S P H B C Z X, which reproduces the §6.2 examples.
 */
export function encodePrv1(input: Prv1Input): PayloadResult<string> {
  const wifi = buildCredentials({ ssid: input.ssid, auth: input.auth, password: input.password, hidden: input.hidden });
  if (!wifi.ok) return wifi;
  const token = input.token ?? null;
  const region = input.region ?? null;
  const timeZone = input.timeZone ?? null;
  if (token !== null && !isBindingToken(token)) return fail('bad_token', 'the token is not 26 Crockford base32 characters');
  if (region !== null && !isRegion(region)) return fail('bad_region', `the region is not one of ${REGIONS.join(', ')}`);
  if (token !== null && region === null) return fail('region_missing', 'a binding token needs a region');
  if (timeZone !== null && !isTimeZone(timeZone)) return fail('bad_timezone', 'the time zone is not an IANA time zone name');

  const field = (key: string, value: string): string => `${key}:${percentEncode(utf8Bytes(value))};`;
  let body = PRV1_PREFIX + field('T', AUTH_NAMES[input.auth]) + field('S', wifi.value.ssid);
  if (wifi.value.password !== null) body += field('P', wifi.value.password);
  if (wifi.value.hidden) body += field('H', '1');
  if (token !== null) body += field('B', token);
  if (region !== null) body += field('C', region);
  if (timeZone !== null) body += field('Z', timeZone);
  const text = `${body}X:${crc32Hex(utf8Bytes(body))};;`;
  if (text.length > PRV1_MAX_BYTES) return fail('too_long', `the payload would be ${text.length} bytes; at most ${PRV1_MAX_BYTES}`);
  return ok(text);
}
