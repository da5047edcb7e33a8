import type { WifiJoinFailure } from './wifi-manager.js';
import type { WifiScanErrorCode } from './wifi-scan.js';

/**
 * nmcli's exit codes (nmcli(1) "EXIT STATUS"; NMCResultCode in
 * src/nmcli/nmcli.h). Errors go to stderr as one line starting "Error: ".
 */
export const NMCLI_EXIT = {
  success: 0,
  unknown: 1,
  userInput: 2,
  timeout: 3,
  activationFailed: 4,
  deactivationFailed: 5,
  disconnectFailed: 6,
  deletionFailed: 7,
  nmNotRunning: 8,
  notFound: 10,
} as const;

/** The scan error for a failed `device wifi list`. */
export function scanErrorForExit(code: number): WifiScanErrorCode {
  if (code === NMCLI_EXIT.nmNotRunning) return 'nm_not_running';
  // Only reachable with `ifname X`: "Device 'X' not found." / "is not a Wi-Fi device."
  if (code === NMCLI_EXIT.notFound) return 'no_wifi_device';
  return 'scan_failed';
}

/** nmcli's one-line reason ("NetworkManager is not running."), without the "Error: " prefix. */
export function nmcliReason(stderr: string): string {
  const line = stderr.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.replace(/^Error:\s*/, '').trim().slice(0, 300);
}

/** What the join does after a failed `connection up`: rescan and retry once, retry once, or give up. */
export type JoinRetry = 'rescan' | 'again' | 'none';

/**
 * Maps a failed `nmcli connection up` (or `connection add`) to the
 * provisioning reason and the retry rule of provisioning.md §6.7. nmcli
 * 1.42 reports an activation failure as "Error: Connection activation
 * failed: <reason>" (exit 4), where <reason> is NetworkManager's device
 * state reason text (libnmc nmc_device_reason_to_string; the strings are in
 * the Debian 12 nmcli binary):
 * - NO_SECRETS "Secrets were required, but not provided": NM turns a failed
 *   4-way handshake into a request for new secrets, which the passwd-file
 *   cannot answer differently, so a wrong password ends here;
 * - SSID_NOT_FOUND "The Wi-Fi network could not be found";
 * - IP_CONFIG_UNAVAILABLE "IP configuration could not be reserved (no
 *   available address, timeout, etc.)" and the DHCP client reasons.
 * `device wifi connect` words the first two differently ("(7) Secrets were
 * required…", exit 10 "No network with SSID 'x' found.") — matched too.
 */
export function joinFailureFor(exitCode: number, stderr: string): { reason: WifiJoinFailure; retry: JoinRetry } {
  if (exitCode === NMCLI_EXIT.nmNotRunning) return { reason: 'nm_not_running', retry: 'none' };
  if (exitCode === NMCLI_EXIT.timeout) return { reason: 'join_timeout', retry: 'none' };
  const text = stderr;
  if (/Secrets were required|4-way handshake|802\.1X supplicant (failed|disconnected)/i.test(text)) {
    return { reason: 'auth_failed', retry: 'none' };
  }
  if (/Wi-Fi network could not be found|No network with SSID|no compatible access point/i.test(text)) {
    return { reason: 'ap_not_found', retry: 'rescan' };
  }
  if (/IP configuration could not be reserved|DHCP client (failed|error)/i.test(text)) {
    return { reason: 'dhcp_timeout', retry: 'again' };
  }
  if (/802\.1X supplicant took too long|connection attempt timed out/i.test(text)) return { reason: 'join_timeout', retry: 'none' };
  if (/No suitable device found|device '[^']*' not found|No Wi-Fi device/i.test(text)) return { reason: 'no_wifi_device', retry: 'none' };
  return { reason: 'join_failed', retry: 'none' };
}
