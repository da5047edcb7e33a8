/**
 * The last check on provisioned Wi-Fi credentials before anything is run:
 * what NetworkManager would refuse, what Node cannot pass to a child (a NUL
 * throws ERR_INVALID_ARG_VALUE, provisioning.md N9) and what the nmcli
 * passwd-file cannot carry (a line break ends its line). The payload parsers
 * apply the user-facing rules (psk_too_short…); this only guards the
 * adapter. Pure; shared by the NetworkManager and the simulated manager.
 */
import type { WifiCredentials } from '../provisioning/provisioning-payload.js';

/** 802.11 limits the SSID to 32 bytes (IEEE 802.11-2020 9.4.2.2); NM counts bytes the same way. */
export const MAX_SSID_BYTES = 32;

/** C0 controls and DEL: a NUL cannot reach execFile, a line break would split a passwd-file line. */
const CONTROL = /[\u0000-\u001f\u007f]/;
/** A lone UTF-16 surrogate has no UTF-8 form: Buffer.from would silently turn it into U+FFFD. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const HEX64 = /^[0-9a-fA-F]{64}$/;

/** Why this SSID cannot be joined, or null. Never contains the SSID itself. */
export function ssidProblem(ssid: string): string | null {
  if (ssid === '') return 'the SSID is empty';
  if (CONTROL.test(ssid)) return 'the SSID contains a control character';
  if (LONE_SURROGATE.test(ssid)) return 'the SSID is not valid Unicode';
  if (Buffer.byteLength(ssid, 'utf8') > MAX_SSID_BYTES) return `the SSID is longer than ${MAX_SSID_BYTES} bytes`;
  return null;
}

/** Why these credentials cannot be used, or null. Never contains the password or the SSID. */
export function credentialsProblem(creds: WifiCredentials): string | null {
  const ssid = ssidProblem(creds.ssid);
  if (ssid) return ssid;
  const { password } = creds;
  if (creds.auth === 'open') {
    if (password !== null) return 'an open network takes no password';
    if (creds.rawPsk) return 'an open network takes no PSK';
    return null;
  }
  if (password === null || password === '') return 'a secured network needs a password';
  if (CONTROL.test(password)) return 'the password contains a control character';
  if (LONE_SURROGATE.test(password)) return 'the password is not valid Unicode';
  if (creds.rawPsk) {
    if (!HEX64.test(password)) return 'a raw PSK must be 64 hexadecimal characters';
    // SAE derives its key from the password itself (IEEE 802.11-2020 12.4); a PMK cannot stand in for it.
    if (keyMgmtFor(creds) === 'sae') return 'WPA3-SAE cannot use a raw PSK';
    return null;
  }
  if (keyMgmtFor(creds) === 'wpa-psk') {
    // nm_utils_wpa_psk_valid: a passphrase is 8–63 bytes; 64 characters must be hex (a raw PSK).
    const bytes = Buffer.byteLength(password, 'utf8');
    if (bytes < 8) return 'a WPA passphrase needs at least 8 characters';
    if (bytes > 63 && !HEX64.test(password)) return 'a WPA passphrase has at most 63 characters';
  }
  return null;
}

/**
 * NetworkManager's key management for the credentials: none for open
 * networks, SAE for WPA3-only and for WPA3 transition-disable (R:1: never
 * fall back to PSK), WPA-PSK otherwise (which also joins WPA2/WPA3
 * transition-mode APs).
 */
export function keyMgmtFor(creds: Pick<WifiCredentials, 'auth' | 'transitionDisable'>): 'wpa-psk' | 'sae' | null {
  if (creds.auth === 'open') return null;
  if (creds.auth === 'sae' || creds.transitionDisable) return 'sae';
  return 'wpa-psk';
}

/**
 * The SSIDs to try in order: the SSID as given, then its alternate
 * readings (e.g. the hex-decoded form of an unquoted all-hex WIFI: SSID),
 * without duplicates and without readings that could not be joined anyway.
 */
export function joinCandidates(creds: Pick<WifiCredentials, 'ssid' | 'ssidAlternates'>): string[] {
  const out = [creds.ssid];
  for (const alt of creds.ssidAlternates) {
    if (!out.includes(alt) && ssidProblem(alt) === null) out.push(alt);
  }
  return out;
}
