import { fail, ok, type PayloadResult, type QrPayloadError } from './payload-error.js';
import { controlCharacterOffset } from './text-field.js';
import { decodeUtf8, isWellFormedUnicode, utf8Length } from './utf8.js';

/**
 * SSID rules (provisioning.md §7.1). 802.11 allows 0–32 arbitrary bytes; we
 * accept 1–32 bytes of UTF-8 and keep them exactly: never trimmed (S14),
 * never Unicode-normalised (S5: NFC "Café" and NFD "Café" are two
 * networks), never case-folded (S24). Length is counted in UTF-8 bytes, not
 * JS .length (S8: 8 × 📷 is 16 UTF-16 units but 32 bytes).
 *
 * Policy for non-UTF-8 bytes (S22, e.g. Latin-1 "Caf\xE9" sent as
 * `S:Caf%E9`): refused with `ssid_not_utf8`. WifiCredentials.ssid is text,
 * and the nmcli path the adapter uses takes text; joining a non-UTF-8 SSID
 * would need raw bytes through the NM D-Bus/keyfile API. Decoding them
 * leniently as "Caf�" would silently target a different network.
 */
export const SSID_MAX_BYTES = 32;

/** Null when `ssid` is acceptable, otherwise why not. */
export function ssidProblem(ssid: string): QrPayloadError | null {
  if (ssid.length === 0) return { code: 'ssid_empty', message: 'the SSID is empty' };
  if (!isWellFormedUnicode(ssid)) return { code: 'ssid_not_utf8', message: 'the SSID has no exact UTF-8 form (lone surrogate)' };
  const control = controlCharacterOffset(ssid);
  if (control >= 0) return { code: 'bad_character', message: `the SSID has a control character at offset ${control}` };
  const bytes = utf8Length(ssid);
  if (bytes > SSID_MAX_BYTES) return { code: 'ssid_too_long', message: `the SSID is ${bytes} bytes of UTF-8; at most ${SSID_MAX_BYTES}` };
  return null;
}

/** Raw SSID bytes (PRV1 `S:` after percent-decoding) → checked text. */
export function ssidFromBytes(bytes: Uint8Array): PayloadResult<string> {
  if (bytes.length === 0) return fail('ssid_empty', 'the SSID is empty');
  const text = decodeUtf8(bytes);
  if (text === null) return fail('ssid_not_utf8', 'the SSID bytes are not UTF-8; only UTF-8 SSIDs are supported');
  const problem = ssidProblem(text);
  return problem ? { ok: false, error: problem } : ok(text);
}
