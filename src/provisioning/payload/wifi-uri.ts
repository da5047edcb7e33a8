import type { ProvisioningPayload, WifiAuth } from '../provisioning-payload.js';
import { buildCredentials } from './credentials.js';
import { fail, ok, type PayloadResult } from './payload-error.js';
import { ssidProblem } from './ssid.js';
import { decodeUtf8, utf8Length } from './utf8.js';

/**
 * Foreign `WIFI:` codes: Android "share Wi-Fi", iOS, router stickers, web
 * generators (provisioning.md §1.1, §6.2). Semantics follow ZXing, which is
 * what those codes are tested against:
 *
 * - a backslash escapes any character; `;` ends a value;
 * - a key repeated keeps its first non-empty value, and empty values count
 *   as absent (ZXing's matchPrefixedField);
 * - no percent-decoding: `P:%41` is the four characters `%41` (§1.2);
 * - values are never trimmed.
 *
 * Unlike ZXing, fields are read left to right instead of with
 * indexOf("S:") over the whole text, so a vendor key such as `XS:` or an
 * unescaped `:` inside a value cannot shadow `S:`, `T:` or `P:`. And unlike
 * ZXing, a code without its final `;;` is refused as `truncated`: ZXing
 * would take a cut-off password as complete.
 *
 * Prefix case (provisioning.md §7.3 Q6): `wifi:` is accepted like `WIFI:`
 * (URI schemes are case-insensitive, and a sloppy generator's sticker costs
 * the user nothing to accept), but keys stay case-sensitive as in ZXing and
 * Android: `wifi:t:wpa;s:x;…` has no `S:` and is refused as `ssid_empty`.
 */
export const WIFI_PREFIX = 'WIFI:';
/**
 * No standard bound; the largest sensible code (32-byte SSID and 128-byte
 * SAE password, every character escaped, plus K:/I:) stays under 700 bytes.
 * The bound keeps a hostile code from costing more than a frame's worth of work.
 */
export const WIFI_MAX_BYTES = 1024;

export interface WifiUriInput {
  ssid: string;
  auth: WifiAuth;
  password?: string | null;
  hidden?: boolean;
  /** Writes `R:1` (WPA3 transition disable) for 'wpa'/'sae'. */
  transitionDisable?: boolean;
}

interface WifiField {
  /** The value with backslash escapes removed. */
  value: string;
  /** Wrapped in unescaped double quotes: `S:"ABCD"`, the generator's mark for a literal hex-looking SSID. */
  quoted: boolean;
  /** The text between the quotes, unescaped, when `quoted`. */
  inner: string;
}

const KEY = /^[A-Za-z0-9]+$/;
const HEX = /^[0-9A-Fa-f]+$/;
const HEX_BYTES = /^(?:[0-9A-Fa-f]{2})+$/;
/** What the encoder escapes: the union of the ZXing wiki set and Android's (§1.1). */
const ESCAPED = /[\\;,":]/g;

function quoted(text: string): string {
  return JSON.stringify(text.length > 16 ? `${text.slice(0, 16)}…` : text);
}

function unescape(raw: string): string {
  return raw.replace(/\\(.)/gsu, '$1');
}

/** True when the character at `index` is preceded by an odd number of backslashes. */
function isEscaped(raw: string, index: number): boolean {
  let count = 0;
  for (let i = index - 1; i >= 0 && raw[i] === '\\'; i--) count++;
  return count % 2 === 1;
}

/** Left-to-right field split with backslash escapes; the first non-empty value of a key wins. */
function tokenize(text: string): PayloadResult<Map<string, WifiField>> {
  const fields = new Map<string, WifiField>();
  let pos = WIFI_PREFIX.length;
  for (;;) {
    if (pos >= text.length) return fail('truncated', 'the code ends before its final ";;"');
    if (text[pos] === ';') {
      // Some generators and decoders add a trailing newline; anything else after ";;" is not ours to guess.
      if (text.slice(pos + 1).trim() !== '') return fail('malformed', `text follows the final ";;" at offset ${pos + 1}`);
      return ok(fields);
    }
    const colon = text.indexOf(':', pos);
    const semicolon = text.indexOf(';', pos);
    if (colon < 0 || (semicolon >= 0 && semicolon < colon)) {
      return semicolon < 0 ? fail('truncated', 'the code ends inside a field') : fail('malformed', `the field at offset ${pos} has no "key:"`);
    }
    const key = text.slice(pos, colon);
    if (!KEY.test(key)) return fail('malformed', `the key at offset ${pos} is not letters and digits`);
    let end = colon + 1;
    while (end < text.length && text[end] !== ';') end += text[end] === '\\' ? 2 : 1;
    if (end >= text.length) return fail('truncated', `the ${key}: value runs to the end of the code`);
    const raw = text.slice(colon + 1, end);
    const isQuoted = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') && !isEscaped(raw, raw.length - 1);
    const field: WifiField = { value: unescape(raw), quoted: isQuoted, inner: isQuoted ? unescape(raw.slice(1, -1)) : '' };
    if (field.value !== '' && !fields.has(key)) fields.set(key, field);
    pos = end + 1;
  }
}

function authFromType(type: string | undefined): PayloadResult<WifiAuth> {
  if (type === undefined) return ok('open'); // absent or empty: ZXing's "nopass", the WPA3 URI's open/OWE
  const upper = type.toUpperCase();
  if (upper === 'NOPASS') return ok('open');
  // WPA/WPA2 and WPA2/WPA3 transition networks: let NetworkManager negotiate.
  if (upper === 'WPA' || upper === 'WPA2') return ok('wpa');
  // A "WPA3" sticker means WPA3-Personal: SAE, which every WPA3 AP (transition or not) offers.
  if (upper === 'WPA3' || upper === 'SAE') return ok('sae');
  if (upper === 'WEP') return fail('wep_unsupported', 'WEP networks are not supported');
  if (upper.includes('EAP')) return fail('eap_unsupported', 'enterprise (EAP) networks are not supported');
  return fail('unknown_auth', `T:${quoted(type)} is not WPA, WPA2, WPA3, SAE or nopass`);
}

/**
 * SSID and its other readings (provisioning.md §6.2, §7.1 S13):
 * - `S:"ABCD"` (quoted, all hex inside): the quotes are the generator's
 *   "take this literally" mark and are stripped;
 * - `S:"foo"` otherwise: quotes are part of the name (ZXing keeps them);
 * - `S:4D794E6574` (unquoted, even-length hex): taken literally first,
 *   with the hex-decoded text as an alternate, but only when those bytes
 *   are a valid UTF-8 SSID (non-UTF-8 SSIDs are refused, see ssid.ts). If
 *   only the decoded reading is a valid SSID (64 hex digits = 32 bytes),
 *   it is the SSID.
 */
function readSsid(field: WifiField | undefined): PayloadResult<{ ssid: string; alternates: string[] }> {
  if (field === undefined) return fail('ssid_empty', 'S: (SSID) is missing or empty');
  if (field.quoted && HEX.test(field.inner)) return ok({ ssid: field.inner, alternates: [] });
  const literal = field.value;
  let decoded: string | null = null;
  if (!field.quoted && HEX_BYTES.test(literal)) {
    const text = decodeUtf8(Buffer.from(literal, 'hex'));
    if (text !== null && ssidProblem(text) === null) decoded = text;
  }
  const problem = ssidProblem(literal);
  if (problem === null) return ok({ ssid: literal, alternates: decoded === null ? [] : [decoded] });
  if (decoded !== null) return ok({ ssid: decoded, alternates: [] });
  return fail(problem.code, problem.message);
}

/** Parses and validates a foreign WIFI: code. The result never carries a binding. */
export function parseWifiUri(text: string): PayloadResult<ProvisioningPayload> {
  if (text.length > WIFI_MAX_BYTES || utf8Length(text) > WIFI_MAX_BYTES) return fail('too_long', `a WIFI: code is at most ${WIFI_MAX_BYTES} bytes here`);
  if (text.slice(0, WIFI_PREFIX.length).toUpperCase() !== WIFI_PREFIX) return fail('malformed', 'the code does not start with "WIFI:"');
  const tokens = tokenize(text);
  if (!tokens.ok) return tokens;
  const fields = tokens.value;
  const warnings: string[] = [];

  const ssid = readSsid(fields.get('S'));
  if (!ssid.ok) return ssid;
  const auth = authFromType(fields.get('T')?.value);
  if (!auth.ok) return auth;

  let password = fields.get('P')?.value ?? null;
  if (auth.value === 'open' && password !== null) {
    // Android ignores P: on an open network (§7.2 P8); so do we, but say so.
    warnings.push('WIFI: P: ignored on an open network');
    password = null;
  }

  let hidden = false;
  const h = fields.get('H')?.value;
  if (h !== undefined) {
    // ZXing: only true/false mean "hidden"; anything else was a legacy phase-2 method.
    if (/^true$/i.test(h)) hidden = true;
    else if (!/^false$/i.test(h)) warnings.push('WIFI: H: is neither true nor false; ignored');
  }

  // WPA3 URI: R is a hex Transition Disable bitmap; bit 0 is WPA3-Personal (Android accepts only "1").
  let transitionDisable = false;
  const r = fields.get('R')?.value;
  if (r !== undefined) {
    if (/^[0-9A-Fa-f]{1,8}$/.test(r)) transitionDisable = (parseInt(r, 16) & 1) === 1;
    else warnings.push('WIFI: R: is not a hex bitmap; ignored');
  }

  if (fields.has('K')) warnings.push('WIFI: K: (SAE-PK public key) ignored: SAE-PK is not supported in v1');
  if (fields.has('I')) warnings.push('WIFI: I: (SAE password identifier) ignored: not supported in v1');

  const wifi = buildCredentials({ ssid: ssid.value.ssid, ssidAlternates: ssid.value.alternates, auth: auth.value, password, hidden, transitionDisable });
  if (!wifi.ok) return wifi;
  return ok({ format: 'wifi', wifi: wifi.value, binding: null, timeZone: null, warnings });
}

function escapeValue(value: string): string {
  return value.replace(ESCAPED, '\\$&');
}

/**
 * A WIFI: code as ZXing's generator writes it — `WIFI:S:…;T:…;P:…;H:true;;`,
 * no T for open networks — with all five escapes and a hex-looking SSID in
 * quotes ("Android needs hex-like SSIDs quoted or will be read as hex").
 * `R:1` follows T when transition disable is asked for. The result stays far
 * below WIFI_MAX_BYTES: at most 32 + 128 bytes of text, each at worst doubled by escaping.
 */
export function encodeWifiUri(input: WifiUriInput): PayloadResult<string> {
  const wifi = buildCredentials({ ssid: input.ssid, auth: input.auth, password: input.password, hidden: input.hidden, transitionDisable: input.transitionDisable });
  if (!wifi.ok) return wifi;
  const c = wifi.value;
  let text = `${WIFI_PREFIX}S:${HEX.test(c.ssid) ? `"${c.ssid}"` : escapeValue(c.ssid)};`;
  if (c.auth !== 'open') text += `T:${c.auth === 'sae' ? 'SAE' : 'WPA'};`;
  if (c.transitionDisable) text += 'R:1;';
  if (c.password !== null) text += `P:${escapeValue(c.password)};`;
  if (c.hidden) text += 'H:true;';
  return ok(`${text};`);
}
