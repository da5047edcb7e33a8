import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Drives test/helpers/fake-nmcli/nmcli, a stand-in for nmcli 1.42. A test
 * writes the NetworkManager state it wants and gets an environment with the
 * fake first on PATH; the scanner and the Wi-Fi manager under test run it
 * like the real one. The fake keeps its state (profiles, the active
 * connection, APs that appeared after a rescan…) in the same file.
 */
export const FAKE_NMCLI_DIR = new URL('./fake-nmcli/', import.meta.url).pathname;

export interface FakeAccessPoint {
  /** null = hidden AP whose name nobody knows (NM reports no SSID). */
  ssid: string | null;
  /** Broadcasts no SSID: scans show it empty, and only a `wifi.hidden yes` profile finds it. */
  hidden?: boolean;
  /** Passphrase of a secured AP; a WPA1/WPA2 AP also takes its 64-hex PBKDF2 raw PSK. */
  password?: string;
  bssid: string;
  signal: number;
  chan: number;
  freq: number;
  /** What nmcli computes into SECURITY: e.g. 'WPA2', 'WPA1 WPA2', '' for open. */
  security: string;
  /** Interface that sees the AP; default wlan0. */
  device?: string;
  /** Not heard until the next rescan (`--rescan yes` or `device wifi rescan`). */
  appearsAfterRescan?: boolean;
  /** Switched off / out of range: neither scans nor activations find it. */
  gone?: boolean;
  /** This many activations lose the AP while associating: each fails SSID_NOT_FOUND and sets `gone` (the test clears it when the AP is back). */
  vanishesDuringJoin?: number;
  /** This many activations time out in DHCP before one gets an address. */
  dhcpFailures?: number;
  /** What `networking connectivity check` reports once joined; default 'full'. */
  internet?: FakeConnectivity;
  /** Address given by DHCP; default 192.168.1.23/24, gateway 192.168.1.1. */
  ip4?: string;
  gateway?: string;
  /** Shown as in use in scans regardless of any activation (scanner tests). */
  active?: boolean;
}

export type FakeConnectivity = 'full' | 'limited' | 'portal' | 'none' | 'unknown';

/** A NetworkManager Wi-Fi profile (what `connection add` makes). */
export interface FakeConnection {
  uuid: string;
  id: string;
  type: '802-11-wireless';
  /** connection.interface-name */
  ifname: string | null;
  ssid: string;
  hidden: boolean;
  /** null = no 802-11-wireless-security setting (open network). */
  keyMgmt: 'wpa-psk' | 'sae' | null;
  /** The saved secret (NM saves agent-provided system secrets after a successful activation). */
  psk: string | null;
  autoconnect: boolean;
  timestamp?: number;
}

export interface FakeDevice {
  iface: string;
  type: string;
  state?: string;
  /** Name shown for a connection not modelled as a profile (e.g. the wired one). */
  connection?: string | null;
  /** The active profile's uuid. */
  activeUuid?: string | null;
  activeBssid?: string | null;
  ip4?: string | null;
  gateway?: string | null;
}

export interface FakeNmState {
  nmRunning: boolean;
  /** rfkill hard block = false. */
  wifiHw: boolean;
  /** `nmcli radio wifi off` = false. */
  wifiEnabled: boolean;
  devices: FakeDevice[];
  aps: FakeAccessPoint[];
  connections?: FakeConnection[];
  /** Forces `networking connectivity`; a list is consumed one value per `check` (the last one stays). */
  connectivity?: FakeConnectivity | FakeConnectivity[];
  /** Each activation takes this long; past `--wait N` nmcli gives up with exit 3. */
  upDelayMs?: number;
  /** nmcli never answers (D-Bus wedged). */
  hang?: boolean;
}

export const DEFAULT_DEVICES: FakeNmState['devices'] = [
  { iface: 'eth0', type: 'ethernet', state: 'connected', connection: 'Wired connection 1' },
  { iface: 'wlan0', type: 'wifi', state: 'disconnected' },
  { iface: 'lo', type: 'loopback', state: 'unmanaged' },
];

export interface FakeNmcliCall {
  argv: string[];
  locale: string;
  /** For `connection up … passwd-file F`: F's mode and its folder's mode (octal), never its content. */
  passwdFile?: { mode: string; dirMode: string };
}

export interface FakeNmcli {
  /** Environment for the program under test: fake first on PATH, state and log files. */
  env: NodeJS.ProcessEnv;
  /** Every call so far: argv and the locale it ran under. */
  calls(): FakeNmcliCall[];
  /** The raw call log (one JSON line per call), for scanning for secrets. */
  rawLog(): string;
  /** NetworkManager's state now (profiles, active connections, APs). */
  state(): FakeNmState;
  /** Changes the state between calls (an AP goes away, DHCP breaks…). */
  update(change: (state: FakeNmState) => void): void;
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
        .map((l) => JSON.parse(l) as FakeNmcliCall),
    rawLog: () => readFileSync(logFile, 'utf8'),
    state: () => JSON.parse(readFileSync(stateFile, 'utf8')) as FakeNmState,
    update: (change) => {
      const current = JSON.parse(readFileSync(stateFile, 'utf8')) as FakeNmState;
      change(current);
      writeFileSync(stateFile, JSON.stringify(current));
    },
  };
}
