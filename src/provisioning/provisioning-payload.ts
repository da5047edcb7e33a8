/**
 * What a provisioning QR code (or, later, the AP-mode session) hands the
 * agent: Wi-Fi credentials and, for our own PRV1 codes, a binding token.
 * The shared contract between the payload parsers (payload/), the Wi-Fi
 * manager (network/) and the provisioning service.
 */

/** How to authenticate: WPA/WPA2/WPA3 transition (let NM negotiate), WPA3-only, or open/OWE. */
export type WifiAuth = 'wpa' | 'sae' | 'open';

export interface WifiCredentials {
  /**
   * The SSID as UTF-8 text, byte-exact: never trimmed, never Unicode-normalised
   * (NFC and NFD spellings are different networks). 1–32 bytes.
   */
  ssid: string;
  /**
   * Other readings of an ambiguous SSID, tried in order when no AP with
   * `ssid` is found: an unquoted all-hex SSID in a foreign WIFI: code is first
   * taken literally, then as hex bytes (provisioning.md §6.2).
   */
  ssidAlternates: string[];
  auth: WifiAuth;
  /** UTF-8 passphrase; null exactly when auth is 'open'. */
  password: string | null;
  /** The password is 64 hex characters: a raw PSK, not a passphrase. */
  rawPsk: boolean;
  /** The network does not broadcast its SSID: join by name with an explicit profile. */
  hidden: boolean;
  /** WPA3 transition disable (`R:1`): prefer SAE, never fall back to PSK. */
  transitionDisable: boolean;
}

export interface BindingRequest {
  /** 26 Crockford base32 characters, single use; never logged. */
  token: string;
  /** Two-letter cloud region from the compiled-in allow-list. */
  region: string;
}

export interface ProvisioningPayload {
  format: 'prv1' | 'wifi';
  wifi: WifiCredentials;
  /** null for foreign WIFI: codes: the camera then stays online-unbound, bindable over the LAN. */
  binding: BindingRequest | null;
  /** IANA time zone the app suggested (PRV1 `Z:`), or null. */
  timeZone: string | null;
  /** Fields understood but not acted on (e.g. SAE-PK `K:`), for the log. */
  warnings: string[];
}
