import type { AccessPoint } from '../../network/wifi-scan.js';
import { isBindingToken } from '../payload/binding-token.js';
import { buildCredentials } from '../payload/credentials.js';
import { checkPassword } from '../payload/password.js';
import { isRegion } from '../payload/regions.js';
import { ssidFromBytes } from '../payload/ssid.js';
import { isTimeZone } from '../payload/time-zone.js';
import type { BindingRequest, WifiAuth, WifiCredentials } from '../provisioning-payload.js';
import type { FieldError, ObjectSchema } from './body-schema.js';
import { decodeBase64Strict, MAX_SEQ } from './envelope.js';

/**
 * The `/prov/v1` request bodies (provisioning.md §6.5): their schemas (size
 * caps and shapes) and the domain rules on top, which are the QR path's
 * rules (payload/: SSID bytes, password per auth type, token, region, time
 * zone), so a network refused in a QR code is refused here with the same code.
 */
const BASE64 = '^[A-Za-z0-9+/]*={0,2}$';

/** Request bodies of any route; envelopes are well under it (the largest inner body is ~400 bytes). */
export const BODY_LIMIT_BYTES = 8 * 1024;
/** Base64 characters of an envelope's ct: the body limit minus the JSON around it. */
export const ENVELOPE_CT_MAX = 8000;

export const INIT_SCHEMA: ObjectSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['I', 'A'],
  properties: {
    I: { type: 'string', minLength: 1, maxLength: 32, pattern: '^[A-Z0-9]+$', description: 'SRP identity: the serial from the label' },
    A: { type: 'string', minLength: 4, maxLength: 512, pattern: BASE64, description: 'client public value, base64 of up to 384 bytes' },
  },
};

export const VERIFY_SCHEMA: ObjectSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['sid', 'M1'],
  properties: {
    sid: { type: 'string', minLength: 24, maxLength: 24, pattern: BASE64 },
    M1: { type: 'string', minLength: 4, maxLength: 88, pattern: BASE64, description: 'client proof, base64 of 64 bytes' },
  },
};

export const ENVELOPE_SCHEMA: ObjectSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['seq', 'ct'],
  properties: {
    seq: { type: 'integer', minimum: 1, maximum: MAX_SEQ },
    ct: { type: 'string', minLength: 24, maxLength: ENVELOPE_CT_MAX, pattern: BASE64 },
  },
};

/** Inside the envelope of scan, apply, status, reset, finish. */
export const EMPTY_SCHEMA: ObjectSchema = { type: 'object', additionalProperties: false, required: [], properties: {} };

export const WIFI_CONFIG_SCHEMA: ObjectSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['ssid', 'auth'],
  properties: {
    ssid: { type: 'string', maxLength: 64, pattern: BASE64, description: 'base64 of the raw SSID bytes' },
    password: { type: ['string', 'null'], maxLength: 256 },
    auth: { type: 'string', minLength: 1, maxLength: 16, description: 'WPA | SAE | nopass' },
    hidden: { type: 'boolean' },
    bssid: { type: ['string', 'null'], pattern: '^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$' },
  },
};

export const BIND_SCHEMA: ObjectSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['token', 'region'],
  properties: {
    token: { type: 'string', maxLength: 64 },
    region: { type: 'string', maxLength: 8 },
    tz: { type: ['string', 'null'], maxLength: 64 },
  },
};

export type BodyCheck<T> = { ok: true; value: T } | { ok: false; fields: FieldError[] };

const AUTH: Record<string, WifiAuth> = { WPA: 'wpa', SAE: 'sae', nopass: 'open' };

function authField(text: string): { auth: WifiAuth } | FieldError {
  const auth = AUTH[text];
  if (auth) return { auth };
  if (/^WEP$/i.test(text)) return { field: 'auth', code: 'wep_unsupported', message: 'WEP networks are not supported' };
  if (/EAP|802\.?1X|enterprise/i.test(text)) return { field: 'auth', code: 'eap_unsupported', message: 'enterprise (802.1X) networks are not supported' };
  return { field: 'auth', code: 'unknown_auth', message: 'auth must be WPA, SAE or nopass' };
}

/** `/wifi/config` body (schema-checked) → WifiCredentials, or every field that is wrong. */
export function parseWifiConfig(body: { ssid: string; password?: string | null; auth: string; hidden?: boolean; bssid?: string | null }): BodyCheck<WifiCredentials> {
  const fields: FieldError[] = [];
  let ssid: string | null = null;
  const bytes = decodeBase64Strict(body.ssid);
  if (!bytes) {
    fields.push({ field: 'ssid', code: 'bad_base64', message: 'the SSID must be canonical base64 of its bytes' });
  } else {
    const text = ssidFromBytes(bytes);
    if (text.ok) ssid = text.value;
    else fields.push({ field: 'ssid', code: text.error.code, message: text.error.message });
  }
  const auth = authField(body.auth);
  if ('field' in auth) {
    fields.push(auth);
  } else {
    const password = checkPassword(auth.auth, body.password);
    if (!password.ok) fields.push({ field: 'password', code: password.error.code, message: password.error.message });
  }
  if (fields.length > 0 || ssid === null || 'field' in auth) return { ok: false, fields };
  // bssid is accepted but not used: WifiCredentials has no BSSID pin and NetworkManager picks the best AP itself.
  const creds = buildCredentials({ ssid, auth: auth.auth, password: body.password ?? null, hidden: body.hidden ?? false });
  if (!creds.ok) return { ok: false, fields: [{ field: 'ssid', code: creds.error.code, message: creds.error.message }] };
  return { ok: true, value: creds.value };
}

/** `/bind` body (schema-checked) → what setBinding takes. */
export function parseBind(body: { token: string; region: string; tz?: string | null }): BodyCheck<BindingRequest & { timeZone?: string }> {
  const fields: FieldError[] = [];
  if (!isBindingToken(body.token)) fields.push({ field: 'token', code: 'bad_token', message: 'the token must be 26 Crockford base32 characters' });
  if (!isRegion(body.region)) fields.push({ field: 'region', code: 'bad_region', message: 'not a cloud region this firmware knows' });
  const tz = body.tz ?? null;
  if (tz !== null && !isTimeZone(tz)) fields.push({ field: 'tz', code: 'bad_timezone', message: 'not an IANA time zone name' });
  if (fields.length > 0) return { ok: false, fields };
  return { ok: true, value: tz === null ? { token: body.token, region: body.region } : { token: body.token, region: body.region, timeZone: tz } };
}

/** One `/wifi/scan` entry (provisioning.md §6.5). */
export interface ScanEntry {
  /** Base64 of the SSID bytes ('' for a hidden network). */
  ssid: string;
  /** The SSID as text, or null for a hidden network. */
  text: string | null;
  hidden: boolean;
  bssid: string;
  /** 0–100 %, as NetworkManager reports it. */
  signal: number;
  /** Approximate dBm from the percentage (signal / 2 − 100, node-wifi's dBFromQuality); the radio's own figure is not kept. */
  rssi: number;
  ch: number;
  /** Security suites in nmcli's words separated by spaces ("WPA2 WPA3"), or "open". */
  sec: string;
  /** "2.4" for channels 1–14, else "5" (the scan has no frequency, so 6 GHz shows as "5"). */
  band: '2.4' | '5';
}

export function scanEntry(ap: AccessPoint): ScanEntry {
  const hidden = ap.hidden || ap.ssid === '';
  return {
    ssid: Buffer.from(ap.ssid, 'utf8').toString('base64'),
    text: hidden ? null : ap.ssid,
    hidden,
    bssid: ap.bssid,
    signal: ap.signal,
    rssi: Math.round(ap.signal / 2 - 100),
    ch: ap.channel,
    sec: ap.security.length > 0 ? ap.security.join(' ') : 'open',
    band: ap.channel >= 1 && ap.channel <= 14 ? '2.4' : '5',
  };
}
