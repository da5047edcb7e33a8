/**
 * Which language the portal speaks to a phone, and which sentence goes with
 * each refusal code and join-failure reason. Pure; the plugin and the page
 * renderer share it.
 */
import { PORTAL_STRINGS, type PortalLanguage, type PortalStringKey, type PortalStrings } from './portal-assets/portal-strings.js';

export function isPortalLanguage(tag: string): tag is PortalLanguage {
  return Object.hasOwn(PORTAL_STRINGS, tag);
}

/**
 * The language for one request: an explicit `?lang=` wins, then the phone's
 * Accept-Language (the person holding it reads the page), then the camera's
 * configured language, then English. Only the primary subtag counts
 * (`de-AT` → `de`); q-values order the candidates, `q=0` excludes one.
 */
export function pickLanguage(opts: { query?: string | undefined; acceptLanguage?: string | undefined; device: string }): PortalLanguage {
  const query = opts.query?.trim().toLowerCase();
  if (query && isPortalLanguage(query)) return query;
  for (const tag of acceptedLanguages(opts.acceptLanguage ?? '')) {
    if (isPortalLanguage(tag)) return tag;
  }
  const device = opts.device.toLowerCase().split('-')[0] ?? '';
  return isPortalLanguage(device) ? device : 'en';
}

/** Primary subtags from an Accept-Language header, best first (RFC 9110 §12.5.4). Bounded: a header is attacker input. */
export function acceptedLanguages(header: string): string[] {
  const entries: { tag: string; q: number; i: number }[] = [];
  for (const [i, part] of header.slice(0, 512).split(',').slice(0, 20).entries()) {
    const [range = '', ...params] = part.trim().split(';');
    const tag = range.trim().toLowerCase().split('-')[0] ?? '';
    // `*` and the singletons `x-`/`i-` (private use, grandfathered) name no language we could have.
    if (!/^[a-z]{2,8}$/.test(tag)) continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (!(q > 0)) continue;
    entries.push({ tag, q, i });
  }
  entries.sort((a, b) => b.q - a.q || a.i - b.i);
  return [...new Set(entries.map((e) => e.tag))];
}

/** `{name}` placeholders filled from `values`; unknown placeholders stay as they are. No escaping: the caller escapes the result. */
export function fill(text: string, values: Record<string, string | number> = {}): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (Object.hasOwn(values, name) ? String(values[name]) : whole));
}

export function stringsFor(lang: PortalLanguage): PortalStrings {
  return PORTAL_STRINGS[lang];
}

/** Join-failure reasons (the status `reason`) with a sentence of their own; the rest read err_join_other. */
const REASON_KEYS: Record<string, PortalStringKey> = {
  auth_failed: 'err_auth_failed',
  ap_not_found: 'err_ap_not_found',
  dhcp_timeout: 'err_dhcp_timeout',
  no_internet: 'err_no_internet',
  cloud_unreachable: 'err_no_internet',
  join_timeout: 'err_join_timeout',
  invalid_credentials: 'err_invalid_credentials',
};

/** What to tell the user when the status says `failed` with this reason. */
export function reasonText(strings: PortalStrings, reason: string | null): string {
  const key = reason !== null && Object.hasOwn(REASON_KEYS, reason) ? REASON_KEYS[reason]! : 'err_join_other';
  return strings[key];
}

/** Refusal codes from the form check and from deps.connect() with a sentence of their own. */
const REFUSAL_KEYS: Record<string, PortalStringKey> = {
  wrong_code: 'err_wrong_code',
  code_wrong: 'err_wrong_code',
  code_malformed: 'err_code_malformed',
  code_typo: 'err_code_typo',
  ssid_required: 'err_ssid_required',
  ssid_empty: 'err_ssid_required',
  ssid_too_long: 'err_ssid_too_long',
  ssid_bad_character: 'err_ssid_bad_character',
  ssid_not_utf8: 'err_ssid_bad_character',
  bad_character: 'err_ssid_bad_character',
  password_required: 'err_password_required',
  password_not_allowed: 'err_password_not_allowed',
  psk_too_short: 'err_psk_too_short',
  psk_too_long: 'err_psk_too_long',
  password_bad_character: 'err_password_bad_character',
  password_not_utf8: 'err_password_bad_character',
  invalid_credentials: 'err_invalid_credentials',
  wep_unsupported: 'err_network_unsupported',
  eap_unsupported: 'err_network_unsupported',
  busy: 'err_busy',
  portal_disabled: 'err_portal_disabled',
  internal: 'err_internal',
};

/** A wrong label code, in either spelling (label-code-check.ts says `code_wrong`). */
export function isWrongCode(code: string): boolean {
  return code === 'wrong_code' || code === 'code_wrong';
}

/**
 * The refusal is a lockout: `locked_out`, or a wrong code that carries a
 * wait because this very guess started the lockout.
 */
export function isLockout(code: string, retryAfterMs?: number): boolean {
  return code === 'locked_out' || (isWrongCode(code) && retryAfterMs !== undefined && retryAfterMs > 0);
}

/**
 * What to tell the user when a connect request is refused. A lockout
 * names the wait in whole minutes, rounded up (a user told "0 minutes"
 * would retry at once and be refused again).
 */
export function refusalText(strings: PortalStrings, code: string, retryAfterMs?: number): string {
  if (isLockout(code, retryAfterMs)) {
    if (retryAfterMs === undefined || !(retryAfterMs > 0)) return strings.err_locked_out;
    const minutes = Math.max(1, Math.ceil(retryAfterMs / 60_000));
    return minutes === 1 ? strings.err_locked_out_minute : fill(strings.err_locked_out_minutes, { minutes });
  }
  return strings[Object.hasOwn(REFUSAL_KEYS, code) ? REFUSAL_KEYS[code]! : 'err_bad_request'];
}
