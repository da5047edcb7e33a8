/**
 * Reading a portal connect request: the page's script posts JSON, a browser
 * without JavaScript posts the form urlencoded. Both end as one
 * ConnectRequest or one refusal code naming the field. Pure.
 *
 * Only shape and hard limits are checked here; the device validates the
 * Wi-Fi fields against the network's rules (psk_too_short…) and checks the
 * setup code against its SRP verifier under the shared lockout (A12). The
 * code's check character is checked here, though: it is public (Luhn mod 32
 * over the label alphabet) and catches a typo without spending one of the
 * five guesses the lockout allows.
 */
import { CODE_LENGTH } from '../../factory/verification-code.js';
import { normalizeCrockford } from '../../factory/crockford.js';
import { luhn32Valid } from '../../factory/check-character.js';
import { MAX_SSID_BYTES } from '../../network/wifi-credentials-check.js';

/** What the portal hands to deps.connect(). */
export interface ConnectRequest {
  /** Exactly as chosen or typed: never trimmed or normalised (S5, S14). */
  ssid: string;
  /** null for an open network (an empty field). */
  password: string | null;
  /** Typed by name: the camera must not expect to see it in a scan (S23). */
  hidden: boolean;
  /** Canonical label code: 9 Crockford characters, no separators, check character verified. */
  code: string;
}

export type ConnectField = 'ssid' | 'password' | 'code' | null;

export type ConnectRefusalCode =
  /** Not the request grammar: unknown or repeated field, wrong type, bad escape. */
  | 'bad_request'
  | 'ssid_required'
  | 'ssid_too_long'
  | 'ssid_bad_character'
  | 'psk_too_long'
  | 'password_bad_character'
  | 'code_malformed'
  | 'code_typo';

export type ConnectParse = { ok: true; value: ConnectRequest } | { ok: false; code: ConnectRefusalCode; field: ConnectField };

/** Bytes of a request body the portal reads at all; a full request is well under 1 KB even percent-encoded. */
export const CONNECT_BODY_LIMIT = 2048;
/** WPA passphrases stop at 63 bytes (64 hex), SAE passwords are read up to 128 (payload rules); more is not a password. */
export const MAX_PASSWORD_BYTES = 128;
/** A typed code with separators and spaces; anything longer is not a label code. */
const MAX_CODE_TYPED = 32;

const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const refuse = (code: ConnectRefusalCode, field: ConnectField): ConnectParse => ({ ok: false, code, field });

/** The JSON body the page's script sends: `{ssid, password, hidden, code}`, nothing else. */
export function parseConnectJson(body: unknown): ConnectParse {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return refuse('bad_request', null);
  const allowed = new Set(['ssid', 'password', 'hidden', 'code']);
  for (const key of Object.keys(body)) if (!allowed.has(key)) return refuse('bad_request', null);
  const { ssid, password = null, hidden = false, code } = body as Record<string, unknown>;
  if (typeof ssid !== 'string') return refuse(ssid === undefined ? 'ssid_required' : 'bad_request', 'ssid');
  if (password !== null && typeof password !== 'string') return refuse('bad_request', 'password');
  if (typeof hidden !== 'boolean') return refuse('bad_request', null);
  if (typeof code !== 'string') return refuse(code === undefined ? 'code_malformed' : 'bad_request', 'code');
  return checkFields(ssid, password, hidden, code);
}

const FORM_FIELDS = new Set(['ssid', 'hiddenSsid', 'password', 'hidden', 'code', 'lang']);

/**
 * The urlencoded form (no JavaScript). The network list is a radio group
 * `ssid`; its "Other network" choice has the empty value and the typed name
 * arrives as `hiddenSsid`. `hidden=1` also selects the typed name.
 */
export function parseConnectForm(text: string): ConnectParse {
  const fields = decodeForm(text);
  if (!fields) return refuse('bad_request', null);
  const flag = fields.get('hidden');
  const hidden = flag !== undefined && ['1', 'on', 'true', 'yes'].includes(flag);
  const chosen = fields.get('ssid') ?? '';
  const typed = fields.get('hiddenSsid') ?? '';
  const byName = hidden || chosen === '';
  return checkFields(byName ? typed : chosen, fields.get('password') ?? null, byName, fields.get('code') ?? '');
}

/** `a=1&b=2` → Map; null on an unknown or repeated field or a bad escape (never a silent U+FFFD in an SSID). */
export function decodeForm(text: string): Map<string, string> | null {
  const out = new Map<string, string>();
  if (text === '') return out;
  const pairs = text.split('&');
  if (pairs.length > FORM_FIELDS.size) return null;
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      return null;
    }
    if (!FORM_FIELDS.has(key) || out.has(key)) return null;
    out.set(key, value);
  }
  return out;
}

function checkFields(ssid: string, password: string | null, hidden: boolean, typedCode: string): ConnectParse {
  if (ssid === '') return refuse('ssid_required', 'ssid');
  if (CONTROL.test(ssid) || LONE_SURROGATE.test(ssid)) return refuse('ssid_bad_character', 'ssid');
  if (Buffer.byteLength(ssid, 'utf8') > MAX_SSID_BYTES) return refuse('ssid_too_long', 'ssid');
  const pw = password === '' ? null : password;
  if (pw !== null) {
    if (CONTROL.test(pw) || LONE_SURROGATE.test(pw)) return refuse('password_bad_character', 'password');
    if (Buffer.byteLength(pw, 'utf8') > MAX_PASSWORD_BYTES) return refuse('psk_too_long', 'password');
  }
  const code = readLabelCode(typedCode);
  if (!code.ok) return refuse(code.code, 'code');
  return { ok: true, value: { ssid, password: pw, hidden, code: code.value } };
}

/**
 * A typed setup code → canonical characters. Tolerates what people type
 * from a label: lower case, the printed dashes, spaces, and the look-alikes
 * Crockford maps (I, L → 1; O → 0).
 */
export function readLabelCode(typed: string): { ok: true; value: string } | { ok: false; code: 'code_malformed' | 'code_typo' } {
  if (typed.length > MAX_CODE_TYPED) return { ok: false, code: 'code_malformed' };
  const code = normalizeCrockford(typed);
  if (code.length !== CODE_LENGTH || !/^[0-9A-HJKMNP-TV-Z]+$/.test(code)) return { ok: false, code: 'code_malformed' };
  if (!luhn32Valid(code)) return { ok: false, code: 'code_typo' };
  return { ok: true, value: code };
}
