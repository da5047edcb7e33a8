import type { AccessPoint, WifiScanner } from './wifi-scan.js';

/**
 * What a development machine "hears": a fixed, realistic neighbourhood —
 * the user's own dual-band router, neighbours, a café with `:` in its name,
 * an open guest network and a hidden AP — so every consumer of a scan meets
 * the awkward cases from the start.
 */
const NEIGHBOURHOOD: readonly AccessPoint[] = [
  { ssid: 'HomeNet', hidden: false, bssid: '02:1A:11:F0:00:01', signal: 82, channel: 6, security: ['WPA2'] },
  { ssid: 'HomeNet', hidden: false, bssid: '02:1A:11:F0:00:02', signal: 74, channel: 36, security: ['WPA2', 'WPA3'] },
  { ssid: 'Café ☕', hidden: false, bssid: '02:1A:11:F0:00:03', signal: 58, channel: 1, security: ['WPA3'] },
  { ssid: 'Cafe:Guest', hidden: false, bssid: '02:1A:11:F0:00:04', signal: 47, channel: 11, security: [] },
  { ssid: 'FRITZ!Box 7590 XY', hidden: false, bssid: '02:1A:11:F0:00:05', signal: 39, channel: 1, security: ['WPA1', 'WPA2'] },
  { ssid: '', hidden: true, bssid: '02:1A:11:F0:00:06', signal: 31, channel: 6, security: ['WPA2'] },
  { ssid: 'back\\slash', hidden: false, bssid: '02:1A:11:F0:00:07', signal: 22, channel: 44, security: ['WPA2', '802.1X'] },
];

export class SimWifiScanner implements WifiScanner {
  readonly #networks: readonly AccessPoint[];

  /** @param networks what the simulated radio hears; default a typical apartment block */
  constructor(networks: readonly AccessPoint[] = NEIGHBOURHOOD) {
    this.#networks = networks;
  }

  async scan(): Promise<AccessPoint[]> {
    return this.#networks.map((ap) => ({ ...ap, security: [...ap.security] }));
  }
}
