/**
 * A simulated Wi-Fi manager for the demo and for tests of other modules:
 * a configurable neighbourhood of networks with passwords. join() succeeds
 * with the right password, and fails as the real one would otherwise
 * (auth_failed, ap_not_found, no_internet, invalid_credentials), staying on
 * the previous network when it fails. Nothing is persisted.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { WifiCredentials } from '../provisioning/provisioning-payload.js';
import { credentialsProblem, joinCandidates, keyMgmtFor } from './wifi-credentials-check.js';
import type { WifiConnection, WifiJoinFailure, WifiJoinResult, WifiManager } from './wifi-manager.js';
import type { AccessPoint } from './wifi-scan.js';

export interface SimNetwork {
  /** Exact SSID (hidden networks still have one: it is just not broadcast). */
  ssid: string;
  /** null for an open network. */
  password: string | null;
  /** What the AP speaks: 'wpa' = WPA2 (and WPA3 transition), 'sae' = WPA3-only. Default 'wpa', or 'open' without a password. */
  security?: 'wpa' | 'sae' | 'open';
  hidden?: boolean;
  /** false: joins, but has no Internet (a captive portal, a broken uplink). Default true. */
  internet?: boolean;
  signal?: number;
  channel?: number;
  bssid?: string;
}

export interface SimWifiManagerOptions {
  networks?: readonly SimNetwork[];
  /** The network the camera starts on (its SSID), if any. */
  connectedTo?: string | null;
  /** How long a join takes; default 0. */
  joinDelayMs?: number;
  /** How long a scan takes; default 0. */
  scanDelayMs?: number;
}

/** A small neighbourhood for the demo; the passwords are printed in the demo's help. */
export const SIM_NETWORKS: readonly SimNetwork[] = [
  { ssid: 'HomeNet', password: 'correct horse battery', signal: 82, channel: 6 },
  { ssid: 'Café ☕', password: 'espresso-2024', security: 'sae', signal: 58, channel: 36 },
  { ssid: 'Cafe:Guest', password: null, signal: 47, channel: 11, internet: false },
  { ssid: 'Attic', password: 'hidden-attic-1', hidden: true, signal: 31, channel: 1 },
];

const SIM_IFNAME = 'wlan0';

export class SimWifiManager implements WifiManager {
  readonly #networks: readonly SimNetwork[];
  readonly #opts: SimWifiManagerOptions;
  #current: WifiConnection | null = null;
  #serial = 0;

  constructor(opts: SimWifiManagerOptions = {}) {
    this.#opts = opts;
    this.#networks = opts.networks ?? SIM_NETWORKS;
    if (opts.connectedTo) {
      const network = this.#networks.find((n) => n.ssid === opts.connectedTo);
      if (!network) throw new RangeError('connectedTo names no simulated network');
      this.#current = this.#connectionTo(network);
    }
  }

  async scan(): Promise<AccessPoint[]> {
    if (this.#opts.scanDelayMs) await sleep(this.#opts.scanDelayMs);
    return this.#networks.map((n, i) => ({
      ssid: n.hidden ? '' : n.ssid,
      hidden: n.hidden ?? false,
      bssid: n.bssid ?? `02:5A:11:00:00:${(i + 1).toString(16).padStart(2, '0').toUpperCase()}`,
      signal: n.signal ?? 60,
      channel: n.channel ?? 6,
      security: securityOf(n) === 'open' ? [] : securityOf(n) === 'sae' ? ['WPA3'] : ['WPA2'],
    }));
  }

  async join(creds: WifiCredentials): Promise<WifiJoinResult> {
    const problem = credentialsProblem(creds);
    if (problem) return { ok: false, reason: 'invalid_credentials', message: problem, rolledBack: false };
    if (this.#opts.joinDelayMs) await sleep(this.#opts.joinDelayMs);
    let failure: { reason: WifiJoinFailure; message: string } = { reason: 'ap_not_found', message: 'The Wi-Fi network could not be found' };
    for (const ssid of joinCandidates(creds)) {
      const network = this.#networks.find((n) => n.ssid === ssid && (!n.hidden || creds.hidden) && compatible(n, creds));
      if (!network) continue;
      if (network.password !== null && creds.password !== network.password) {
        failure = { reason: 'auth_failed', message: 'Secrets were required, but not provided' };
        break;
      }
      if (network.internet === false) {
        failure = { reason: 'no_internet', message: "associated, but connectivity is 'portal'" };
        break;
      }
      this.#current = this.#connectionTo(network);
      return { ok: true, connection: { ...this.#current } };
    }
    // The simulated radio never leaves the previous network when a join fails.
    return { ok: false, ...failure, rolledBack: this.#current !== null };
  }

  async current(): Promise<WifiConnection | null> {
    return this.#current ? { ...this.#current } : null;
  }

  async forget(): Promise<void> {
    this.#current = null;
  }

  #connectionTo(network: SimNetwork): WifiConnection {
    this.#serial++;
    return {
      ifname: SIM_IFNAME,
      ssid: network.ssid,
      profile: 'camera-agent-wifi',
      uuid: `00000000-0000-4000-8000-${this.#serial.toString(16).padStart(12, '0')}`,
      ipv4: `192.168.1.${100 + this.#serial}/24`,
      gateway: '192.168.1.1',
    };
  }
}

function securityOf(n: SimNetwork): 'wpa' | 'sae' | 'open' {
  return n.security ?? (n.password === null ? 'open' : 'wpa');
}

/** As NetworkManager matches a profile to an AP: open with open, PSK with WPA2, SAE with WPA3 (transition APs take both). */
function compatible(n: SimNetwork, creds: WifiCredentials): boolean {
  const keyMgmt = keyMgmtFor(creds);
  const security = securityOf(n);
  if (keyMgmt === null) return security === 'open';
  if (security === 'open') return false;
  if (keyMgmt === 'wpa-psk') return security === 'wpa';
  return true; // SAE: WPA3-only APs and WPA2/WPA3 transition APs ('wpa' here) both speak it
}
