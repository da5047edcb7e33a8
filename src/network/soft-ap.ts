/**
 * The camera's own Wi-Fi hotspot for AP-mode provisioning (provisioning.md
 * §6.5): the hardware-boundary interface, its settings and the pure rules
 * for them. Production implementations: HostapdSoftAp (hostapd + dnsmasq on
 * an interface taken away from NetworkManager, soft-ap-hostapd.ts) and
 * NmSoftAp (NetworkManager's shared hotspot, soft-ap-nm.ts); SimSoftAp
 * (soft-ap-sim.ts) for the demo and other modules' tests. createSoftAp()
 * in soft-ap-backend.ts picks one by `provisioning.ap.backend`. The policy
 * around it (scan first, idle timeout, hard cap, single-radio apply) is
 * SoftApSession in soft-ap-session.ts.
 */
import { validIfname } from './nmcli-join.js';
import { ssidProblem } from './wifi-credentials-check.js';

export type SoftApBackend = 'hostapd' | 'networkmanager' | 'sim';
export const SOFT_AP_BACKENDS: readonly SoftApBackend[] = ['hostapd', 'networkmanager', 'sim'];

/**
 * The AP's IPv4 network: fixed by the protocol, not configuration — the app
 * and the ESP-style clients expect the device at 192.168.4.1
 * (provisioning.md §2.1, §6.5), and the captive portal redirects there.
 */
export interface ApNetwork {
  address: string;
  prefixLength: number;
  netmask: string;
  dhcpStart: string;
  dhcpEnd: string;
  /** dnsmasq lease time; short, so a phone that left frees its address soon. */
  leaseTime: string;
}

export const AP_NETWORK: ApNetwork = {
  address: '192.168.4.1',
  prefixLength: 24,
  netmask: '255.255.255.0',
  dhcpStart: '192.168.4.10',
  dhcpEnd: '192.168.4.50',
  leaseTime: '10m',
};

/** 2.4 GHz channels that do not overlap and are allowed in every regulatory domain (incl. the world domain 00). */
export const AP_CHANNELS = [1, 6, 11] as const;
export type ApChannel = (typeof AP_CHANNELS)[number];

/** Everything a backend needs to bring the hotspot up. Build it with softApConfig(). */
export interface SoftApConfig {
  /** The interface the AP runs on (`wlan0` on a single radio, a virtual `ap0` with AP+STA concurrency). */
  ifname: string;
  /** Model + last 4 of the serial (softApSsid()); ASCII, 1–32 bytes. */
  ssid: string;
  /** The label's `W` passphrase from the factory partition (identity apPassphrase). Never logged. */
  passphrase: string;
  /** ISO 3166-1 alpha-2 (upper case), or null to stay in the kernel's world domain. */
  countryCode: string | null;
  channel: ApChannel;
  /** hostapd max_num_sta; provisioning.md §6.5: 2 (phone + one spare). */
  maxClients: number;
  /** Stations cannot talk to each other, only to the camera. */
  clientIsolation: boolean;
  /** Wildcard DNS (`address=/#/192.168.4.1`): only in browser-portal mode, so OS probes land on the portal. */
  captiveDns: boolean;
  network: ApNetwork;
}

export interface SoftApSettings {
  ifname: string;
  model: string;
  serial: string;
  passphrase: string;
  countryCode?: string | null;
  channel?: number;
  maxClients?: number;
  clientIsolation?: boolean;
  captiveDns?: boolean;
}

/** The defaults of provisioning.md §6.5 around the per-device facts. Not validated: see softApConfigProblems(). */
export function softApConfig(s: SoftApSettings): SoftApConfig {
  return {
    ifname: s.ifname,
    ssid: softApSsid(s.model, s.serial),
    passphrase: s.passphrase,
    countryCode: s.countryCode ? s.countryCode.toUpperCase() : null,
    channel: (s.channel ?? 6) as ApChannel,
    maxClients: s.maxClients ?? 2,
    clientIsolation: s.clientIsolation ?? true,
    captiveDns: s.captiveDns ?? false,
    network: AP_NETWORK,
  };
}

const SSID_MAX_BYTES = 32;
const SUFFIX_LENGTH = 4;

/**
 * `CAM100-7890`: the model and the serial's last four characters, which the
 * label and the app show (provisioning.md §6.5, "SSID <model>-<last4>").
 * Only ASCII letters, digits and '-' are kept from the model (a space or an
 * umlaut in a marketing name shows differently on every phone), runs of
 * anything else become one '-', and the model is shortened so the SSID fits
 * 32 bytes. Pure.
 */
export function softApSsid(model: string, serial: string): string {
  const suffix = serial.replace(/[^A-Za-z0-9]/g, '').slice(-SUFFIX_LENGTH).toUpperCase();
  let base = model.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (base === '') base = 'CAM';
  if (suffix === '') return base.slice(0, SSID_MAX_BYTES);
  base = base.slice(0, SSID_MAX_BYTES - suffix.length - 1).replace(/-+$/, '');
  return `${base}-${suffix}`;
}

export type SoftApConfigField = 'ifname' | 'ssid' | 'passphrase' | 'countryCode' | 'channel' | 'maxClients' | 'network';

export interface SoftApConfigProblem {
  field: SoftApConfigField;
  /** Never contains the passphrase. */
  message: string;
}

/**
 * IEEE 802.11-2020 J.4.1: a passphrase is 8–63 characters, each encoded
 * 32–126. That range also keeps line breaks, NUL and every other control
 * character out of the hostapd file and the nmcli passwd-file.
 */
export function passphraseProblem(passphrase: string): string | null {
  if (passphrase.length < 8 || passphrase.length > 63) return 'the passphrase must be 8-63 characters';
  if (!/^[\x20-\x7e]+$/.test(passphrase)) return 'the passphrase may only hold printable ASCII characters';
  return null;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const ipv4ToInt = (ip: string): number => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);

function networkProblem(n: ApNetwork): string | null {
  for (const ip of [n.address, n.netmask, n.dhcpStart, n.dhcpEnd]) if (!IPV4.test(ip)) return 'an address is not a dotted IPv4 address';
  if (!Number.isInteger(n.prefixLength) || n.prefixLength < 8 || n.prefixLength > 30) return 'the prefix length must be 8-30';
  const mask = (0xffffffff << (32 - n.prefixLength)) >>> 0;
  if (ipv4ToInt(n.netmask) !== mask) return 'the netmask does not match the prefix length';
  const [addr, start, end] = [n.address, n.dhcpStart, n.dhcpEnd].map(ipv4ToInt) as [number, number, number];
  if (((addr & mask) >>> 0) !== ((start & mask) >>> 0) || ((addr & mask) >>> 0) !== ((end & mask) >>> 0)) return 'the DHCP range is outside the AP network';
  if (start > end) return 'the DHCP range ends before it starts';
  if (addr >= start && addr <= end) return "the DHCP range holds the camera's own address";
  if (!/^\d{1,5}[mh]$|^infinite$/.test(n.leaseTime)) return 'the lease time must look like 10m, 1h or infinite';
  return null;
}

/**
 * Everything wrong with a config, before any program sees it; [] when it
 * can be used. Both production backends and the simulated one refuse a
 * config with problems (`invalid_config`), and the template renderer
 * checks again, character by character, what it writes.
 */
export function softApConfigProblems(c: SoftApConfig): SoftApConfigProblem[] {
  const problems: SoftApConfigProblem[] = [];
  if (!validIfname(c.ifname)) problems.push({ field: 'ifname', message: 'not a valid interface name' });
  const ssid = ssidProblem(c.ssid);
  if (ssid) problems.push({ field: 'ssid', message: ssid });
  else if (!/^[\x20-\x7e]+$/.test(c.ssid)) problems.push({ field: 'ssid', message: 'the AP SSID must be printable ASCII' });
  const pass = passphraseProblem(c.passphrase);
  if (pass) problems.push({ field: 'passphrase', message: pass });
  if (c.countryCode !== null && !/^[A-Z]{2}$/.test(c.countryCode)) problems.push({ field: 'countryCode', message: 'not a two-letter ISO 3166-1 code' });
  if (!(AP_CHANNELS as readonly number[]).includes(c.channel)) problems.push({ field: 'channel', message: `must be one of ${AP_CHANNELS.join(', ')}` });
  if (!Number.isInteger(c.maxClients) || c.maxClients < 1 || c.maxClients > 10) problems.push({ field: 'maxClients', message: 'must be 1-10' });
  const net = networkProblem(c.network);
  if (net) problems.push({ field: 'network', message: net });
  return problems;
}

export type SoftApState = 'stopped' | 'starting' | 'running' | 'stopping' | 'failed';

export type SoftApFailure =
  /** softApConfigProblems() found something; nothing was run. */
  | 'invalid_config'
  /** A template under templatesDir is missing or has an unknown placeholder. */
  | 'template_invalid'
  /** The AP interface does not exist (`ip`: Cannot find device, nmcli: device not found). */
  | 'interface_missing'
  /** hostapd, dnsmasq, ip, iw or nmcli is not installed. */
  | 'program_missing'
  /** hostapd exited or never reported AP-ENABLED (driver refused AP mode, channel, country…). */
  | 'hostapd_failed'
  /** dnsmasq exited before it was serving (address in use, missing capability…). */
  | 'dnsmasq_failed'
  /** `ip addr`/`ip link` refused (usually a missing CAP_NET_ADMIN). */
  | 'address_failed'
  /** NetworkManager refused the hotspot profile or its activation. */
  | 'nm_failed'
  | 'nm_not_running'
  /** A program did not answer within its time. */
  | 'start_timeout'
  /** The backend cannot do what the config asks (captive DNS without a writable dnsmasq-shared.d). */
  | 'unsupported'
  /** The runtime directory or a file in it could not be written. */
  | 'setup_failed';

/** `message` is for logs and technicians: never the passphrase. */
export type SoftApStartResult = { ok: true } | { ok: false; reason: SoftApFailure; message: string };

export type SoftApDownReason = 'hostapd_exited' | 'dnsmasq_exited' | 'nm_deactivated';

export type SoftApEvent =
  /** The number of associated stations changed (MACs are personal data and stay inside the backend). */
  | { type: 'clients'; count: number }
  /** The AP went away without stop(): the backend has already cleaned up and is in state 'failed'. */
  | { type: 'down'; reason: SoftApDownReason; message: string };

export interface SoftAp {
  readonly backend: SoftApBackend;
  /**
   * Brings the hotspot up with this config; resolves once it is serving
   * (beacons and DHCP) or with the reason it could not. Never rejects for
   * a failed start, and leaves nothing behind when it fails. A running AP
   * is stopped first. Calls are serialised.
   */
  start(config: SoftApConfig): Promise<SoftApStartResult>;
  /** Takes the hotspot down and gives the interface back; idempotent, never rejects. */
  stop(): Promise<void>;
  state(): SoftApState;
  /** Stations associated right now, as last reported. */
  clients(): number;
  /** Subscribe; returns the unsubscribe function. */
  onEvent(listener: (event: SoftApEvent) => void): () => void;
}

/** The small event fan-out each backend embeds. */
export class SoftApEvents {
  readonly #listeners = new Set<(event: SoftApEvent) => void>();

  on(listener: (event: SoftApEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: SoftApEvent): void {
    for (const listener of [...this.#listeners]) listener(event);
  }
}
