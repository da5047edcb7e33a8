/**
 * Why a QR payload (PRV1:, WIFI:) was refused. The code is what the
 * provisioning service maps to a voice/LED prompt, an AP-mode `lastError` or
 * an MQTT reply; the message is for the log and never carries the password
 * or the binding token (an SSID may appear: it is broadcast anyway).
 * Every rejection class has its own code so a prompt can say exactly what to
 * fix ("the password is too short", "that is an enterprise network").
 */
export type QrPayloadErrorCode =
  /** PRV1 longer than 512 bytes, or WIFI: longer than 1024 bytes (provisioning.md §6.2). */
  | 'too_long'
  /** `PRV0:`, `PRV2:` (sealed, not built), `PRV3:`…: a major version this firmware does not read. */
  | 'unsupported_version'
  /** A PRV1 byte outside 0x21–0x7E, or a control character / NUL in a decoded text field. */
  | 'bad_character'
  /** `%` not followed by two hex digits. */
  | 'bad_escape'
  /** The text stops before the final `;;` (cut-off scan, partial decode). */
  | 'truncated'
  /** Not the field grammar: a field without `key:`, a bad key, text after the end. */
  | 'malformed'
  /** A PRV1 key appears twice (WIFI: keeps the first, as ZXing does). */
  | 'duplicate_key'
  /** PRV1 without `X:` as its last field. */
  | 'crc_missing'
  /** PRV1 `X:` does not match the bytes before it: a mis-decode or an edited code. */
  | 'crc_mismatch'
  /** PRV1 without `T:`. */
  | 'auth_missing'
  /** A `T:` value that is none of the known types. */
  | 'unknown_auth'
  /** `T:WEP`: not supported in v1. */
  | 'wep_unsupported'
  /** `T:WPA2-EAP` and other enterprise types: the camera has no certificate/identity store. */
  | 'eap_unsupported'
  /** No SSID, or an empty one. */
  | 'ssid_empty'
  /** More than 32 bytes of UTF-8 (bytes, not characters, are counted). */
  | 'ssid_too_long'
  /** SSID bytes that are not UTF-8 (see ssid.ts for why they are refused). */
  | 'ssid_not_utf8'
  /** WPA/SAE without a password. */
  | 'password_required'
  /** PRV1 `P:` with `T:nopass`. */
  | 'password_not_allowed'
  /** Password bytes that are not UTF-8. */
  | 'password_not_utf8'
  /** WPA passphrase under 8 bytes. */
  | 'psk_too_short'
  /** WPA passphrase over 63 bytes (and not a 64-hex raw PSK), or SAE password over 128 bytes. */
  | 'psk_too_long'
  /** PRV1 `H:` other than `0`/`1`. */
  | 'bad_hidden'
  /** Binding token that is not 26 Crockford base32 characters. */
  | 'bad_token'
  /** PRV1 `B:` without `C:`: the token is useless without its cloud region. */
  | 'region_missing'
  /** Region not in the compiled-in allow-list (never an arbitrary endpoint). */
  | 'bad_region'
  /** Not an IANA time zone name this runtime knows. */
  | 'bad_timezone';

export interface QrPayloadError {
  code: QrPayloadErrorCode;
  message: string;
}

/** Errors are values (house style): parsers and encoders never throw on bad input. */
export type PayloadResult<T> = { ok: true; value: T } | { ok: false; error: QrPayloadError };

export function ok<T>(value: T): PayloadResult<T> {
  return { ok: true, value };
}

export function fail(code: QrPayloadErrorCode, message: string): { ok: false; error: QrPayloadError } {
  return { ok: false, error: { code, message } };
}
