/**
 * Seeing which Wi-Fi networks are around: the first piece of the network
 * module (provisioning's network list, the factory self-test). Joining and
 * connecting will live next to it behind their own interfaces.
 */

/** One access point (one BSSID) as the radio saw it. */
export interface AccessPoint {
  /** UTF-8 SSID exactly as broadcast, never trimmed or normalised; '' for a hidden network. */
  ssid: string;
  /** The AP hides its SSID: it can only be joined by typing the name. */
  hidden: boolean;
  /** Upper-case `AA:BB:CC:DD:EE:FF`. */
  bssid: string;
  /** Signal quality in percent, 0–100, as NetworkManager reports it. */
  signal: number;
  channel: number;
  /**
   * Security suites the AP advertises, in nmcli's words (`WPA1`, `WPA2`,
   * `WPA3`, `WEP`, `OWE`, `802.1X`…); empty for an open network.
   */
  security: string[];
}

export type WifiScanErrorCode =
  /** Wi-Fi is switched off (rfkill soft or hard block, `nmcli radio wifi off`). */
  | 'radio_off'
  /** No Wi-Fi interface exists (driver or firmware missing, wrong ifname). */
  | 'no_wifi_device'
  /** The nmcli program is not installed. */
  | 'nmcli_missing'
  /** NetworkManager (the daemon nmcli talks to) is not running. */
  | 'nm_not_running'
  /** Anything else: nmcli failed, timed out or printed what we cannot read. */
  | 'scan_failed';

export class WifiScanError extends Error {
  override readonly name = 'WifiScanError';

  constructor(
    readonly code: WifiScanErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isWifiScanError(err: unknown, code?: WifiScanErrorCode): err is WifiScanError {
  return err instanceof WifiScanError && (code === undefined || err.code === code);
}

export interface WifiScanner {
  /** A fresh scan; rejects with a WifiScanError. An empty list means the radio works but hears nothing. */
  scan(): Promise<AccessPoint[]>;
}
