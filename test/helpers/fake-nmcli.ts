import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Drives test/helpers/fake-nmcli/nmcli, a stand-in for nmcli 1.42. A test
 * writes the NetworkManager state it wants and gets an environment with the
 * fake first on PATH; the scanner under test runs it like the real one.
 */
export const FAKE_NMCLI_DIR = new URL('./fake-nmcli/', import.meta.url).pathname;

export interface FakeAccessPoint {
  /** null = hidden (NM reports no SSID). */
  ssid: string | null;
  bssid: string;
  signal: number;
  chan: number;
  freq: number;
  /** What nmcli computes into SECURITY: e.g. 'WPA2', 'WPA1 WPA2', '' for open. */
  security: string;
  /** Interface that sees the AP; default wlan0. */
  device?: string;
}

export interface FakeNmState {
  nmRunning: boolean;
  /** rfkill hard block = false. */
  wifiHw: boolean;
  /** `nmcli radio wifi off` = false. */
  wifiEnabled: boolean;
  devices: { iface: string; type: string; state?: string; connection?: string | null }[];
  aps: FakeAccessPoint[];
  /** nmcli never answers (D-Bus wedged). */
  hang?: boolean;
}

export const DEFAULT_DEVICES: FakeNmState['devices'] = [
  { iface: 'eth0', type: 'ethernet', state: 'connected', connection: 'Wired connection 1' },
  { iface: 'wlan0', type: 'wifi', state: 'disconnected' },
  { iface: 'lo', type: 'loopback', state: 'unmanaged' },
];

export interface FakeNmcli {
  /** Environment for the program under test: fake first on PATH, state and log files. */
  env: NodeJS.ProcessEnv;
  /** Every call so far: argv and the locale it ran under. */
  calls(): { argv: string[]; locale: string }[];
}

export function fakeNmcli(dir: string, state: Partial<FakeNmState>): FakeNmcli {
  const full: FakeNmState = { nmRunning: true, wifiHw: true, wifiEnabled: true, devices: DEFAULT_DEVICES, aps: [], ...state };
  const stateFile = join(dir, 'nm-state.json');
  const logFile = join(dir, 'nmcli-calls.jsonl');
  writeFileSync(stateFile, JSON.stringify(full));
  writeFileSync(logFile, '');
  // tap preloads its own hooks through NODE_OPTIONS; the fake needs none and starts 5× faster without.
  const { NODE_OPTIONS: _ignored, ...base } = process.env;
  return {
    env: {
      ...base,
      PATH: `${FAKE_NMCLI_DIR}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      FAKE_NMCLI_STATE: stateFile,
      FAKE_NMCLI_LOG: logFile,
    },
    calls: () =>
      readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { argv: string[]; locale: string }),
  };
}
