import { splitTerseLine } from './nmcli-terse.js';

/**
 * Parsers for the two nmcli answers that explain an empty scan list: a
 * `device wifi list` with no Wi-Fi device or with the radio off prints
 * nothing and exits 0 (devices.c do_device_wifi_list / wifi_list_rescan_cb),
 * so the scanner asks these to tell the cases apart.
 */

/** `nmcli -t -f WIFI-HW,WIFI radio` → e.g. `enabled:disabled`. */
export interface RadioState {
  /** Hardware switch / rfkill hard block; 'missing' from NM ≥ 1.44 when there is no Wi-Fi hardware. */
  hardware: 'enabled' | 'disabled' | 'missing' | 'unknown';
  /** Software switch (`nmcli radio wifi on|off`). */
  software: 'enabled' | 'disabled' | 'unknown';
}

export const RADIO_FIELDS = ['WIFI-HW', 'WIFI'] as const;

export function parseRadio(stdout: string): RadioState {
  const [hw = '', sw = ''] = splitTerseLine(stdout.split('\n')[0] ?? '');
  const hardware = hw === 'enabled' || hw === 'disabled' || hw === 'missing' ? hw : 'unknown';
  const software = sw === 'enabled' || sw === 'disabled' ? sw : 'unknown';
  return { hardware, software };
}

/** `nmcli -t -f DEVICE,TYPE,STATE device status`. */
export interface DeviceRow {
  device: string;
  type: string;
  state: string;
}

export const DEVICE_FIELDS = ['DEVICE', 'TYPE', 'STATE'] as const;

export function parseDevices(stdout: string): DeviceRow[] {
  const rows: DeviceRow[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const [device, type, state] = splitTerseLine(line);
    if (device === undefined || type === undefined || state === undefined) continue;
    rows.push({ device, type, state });
  }
  return rows;
}
