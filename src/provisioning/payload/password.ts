import type { WifiAuth } from '../provisioning-payload.js';
import { fail, ok, type PayloadResult } from './payload-error.js';
import { controlCharacterOffset } from './text-field.js';
import { isWellFormedUnicode, utf8Length } from './utf8.js';

/**
 * Password rules per auth type (provisioning.md §6.2, §7.2). Lengths are
 * UTF-8 bytes, as wpa_supplicant counts them. Spaces, quotes and words like
 * "undefined" are data and are kept exactly (P12, P13). Messages give
 * lengths only, never the password.
 */

/** WPA-PSK passphrase: 8–63 characters (IEEE 802.11i, wpa_supplicant `psk`). */
export const WPA_PASSPHRASE_MIN_BYTES = 8;
export const WPA_PASSPHRASE_MAX_BYTES = 63;
/** Exactly 64 hex digits is the 256-bit PSK itself, not a passphrase (P4). */
export const RAW_PSK_HEX_LENGTH = 64;
/**
 * SAE has no 63-byte limit; 128 bytes is what wpa_supplicant's `sae_password`
 * and NetworkManager accept without complaint (provisioning.md §6.2 says to
 * take the bound from the target stack; revisit when the SoC's NM is known).
 */
export const SAE_PASSWORD_MAX_BYTES = 128;

const RAW_PSK = /^[0-9A-Fa-f]{64}$/;

export interface CheckedPassword {
  /** null exactly when auth is 'open'. */
  password: string | null;
  rawPsk: boolean;
}

/**
 * Validates a password for `auth`. An empty string counts as no password.
 * For 'open' any password is refused here; a format that ignores one
 * (foreign WIFI: codes, P8) drops it before calling.
 */
export function checkPassword(auth: WifiAuth, password: string | null | undefined): PayloadResult<CheckedPassword> {
  const given = password !== null && password !== undefined && password !== '';
  if (auth === 'open') {
    return given ? fail('password_not_allowed', 'an open network takes no password') : ok({ password: null, rawPsk: false });
  }
  if (!given) return fail('password_required', `a ${auth === 'sae' ? 'WPA3-SAE' : 'WPA'} network needs a password`);
  if (!isWellFormedUnicode(password)) return fail('password_not_utf8', 'the password has no exact UTF-8 form (lone surrogate)');
  const control = controlCharacterOffset(password);
  if (control >= 0) return fail('bad_character', `the password has a control character at offset ${control}`);
  const bytes = utf8Length(password);
  if (auth === 'sae') {
    if (bytes > SAE_PASSWORD_MAX_BYTES) return fail('psk_too_long', `the SAE password is ${bytes} bytes; at most ${SAE_PASSWORD_MAX_BYTES}`);
    return ok({ password, rawPsk: false });
  }
  if (RAW_PSK.test(password)) return ok({ password, rawPsk: true });
  if (bytes < WPA_PASSPHRASE_MIN_BYTES) return fail('psk_too_short', `the WPA passphrase is ${bytes} bytes; at least ${WPA_PASSPHRASE_MIN_BYTES}`);
  if (bytes > WPA_PASSPHRASE_MAX_BYTES) {
    return fail('psk_too_long', `the WPA passphrase is ${bytes} bytes; at most ${WPA_PASSPHRASE_MAX_BYTES}, or exactly ${RAW_PSK_HEX_LENGTH} hex digits for a raw PSK`);
  }
  return ok({ password, rawPsk: false });
}
