/**
 * Joining a Wi-Fi network with credentials from provisioning, and knowing
 * which one the camera is on: the interface the provisioning service uses.
 * Production: NmcliWifiManager (NetworkManager); demo and tests of other
 * modules: SimWifiManager.
 */
import type { WifiCredentials } from '../provisioning/provisioning-payload.js';
import type { WifiScanner } from './wifi-scan.js';

/** The Wi-Fi connection the camera has right now. */
export interface WifiConnection {
  /** Interface, e.g. `wlan0`. */
  ifname: string;
  /** SSID of the active profile, byte-exact (may be an alternate reading of the provisioned one). */
  ssid: string;
  /** NetworkManager profile name and UUID. */
  profile: string;
  uuid: string;
  /** First IPv4 address with prefix (`192.168.1.23/24`); null while there is none. */
  ipv4: string | null;
  /** IPv4 default gateway; null when there is none. */
  gateway: string | null;
}

export type WifiJoinFailure =
  /** The AP rejected the password (NM "secrets were required" after the 4-way handshake failed). No retry. */
  | 'auth_failed'
  /** No AP with this SSID (or any alternate reading) was found, even after a rescan. */
  | 'ap_not_found'
  /** Associated, but DHCP gave no address (retried once). */
  | 'dhcp_timeout'
  /** Associated and addressed, but the connectivity check saw no Internet (portal, limited, none). */
  | 'no_internet'
  /** The credentials cannot be used as given (control characters, SSID length, password/auth mismatch). Nothing was run. */
  | 'invalid_credentials'
  /** Wi-Fi switched off (rfkill or `nmcli radio wifi off`). */
  | 'radio_off'
  /** No Wi-Fi interface (or the configured one does not exist). */
  | 'no_wifi_device'
  /** NetworkManager is not running. */
  | 'nm_not_running'
  /** The nmcli program is not installed. */
  | 'nmcli_missing'
  /** The activation did not finish within the join timeout. */
  | 'join_timeout'
  /** Anything else NetworkManager refused. */
  | 'join_failed';

/**
 * `message` is for logs and technicians; it never holds the password (and
 * does not name the SSID either: SSIDs are personal data).
 */
export type WifiJoinResult =
  | { ok: true; connection: WifiConnection }
  | {
      ok: false;
      reason: WifiJoinFailure;
      message: string;
      /**
       * The camera is on the network it was on before join() again:
       * re-activated after the attempt had taken it off, or never left
       * because the attempt failed before switching. False when there was
       * no previous Wi-Fi connection or it could not be restored.
       */
      rolledBack: boolean;
    };

export interface WifiJoinOptions {
  /** Per activation attempt (nmcli `--wait`); default 45 000 ms (provisioning.md §6.7). */
  timeoutMs?: number;
}

export type WifiStatusErrorCode = 'nmcli_missing' | 'nm_not_running' | 'no_wifi_device' | 'status_failed';

/** current() and forget() could not ask NetworkManager. */
export class WifiStatusError extends Error {
  override readonly name = 'WifiStatusError';

  constructor(
    readonly code: WifiStatusErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isWifiStatusError(err: unknown, code?: WifiStatusErrorCode): err is WifiStatusError {
  return err instanceof WifiStatusError && (code === undefined || err.code === code);
}

export interface WifiManager extends WifiScanner {
  /**
   * Joins the network, replacing the agent's previous Wi-Fi profile on
   * success and restoring the previous connection on failure. Never
   * rejects for a failed join: every failure is a WifiJoinResult. Joins
   * and forget() are serialised.
   */
  join(creds: WifiCredentials, opts?: WifiJoinOptions): Promise<WifiJoinResult>;
  /** The active Wi-Fi connection, or null when the interface is not connected. Rejects with WifiStatusError. */
  current(): Promise<WifiConnection | null>;
  /** Deletes every Wi-Fi profile the agent made (factory reset); the camera leaves that network. Rejects with WifiStatusError. */
  forget(): Promise<void>;
}
