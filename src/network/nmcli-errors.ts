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
