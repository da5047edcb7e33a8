/**
 * Which interface the camera advertises itself on, and with which
 * addresses. Pure: works on a table shaped like os.networkInterfaces().
 *
 * bonjour-service 1.4.4 builds A/AAAA records for every non-internal
 * address of every interface (service.js records()), whatever socket
 * interface it was given, so on a camera running its soft-AP it would tell
 * the home LAN about 192.168.4.1 too. The advertiser publishes exactly the
 * addresses chosen here: the IPv4 addresses of the one interface the camera
 * joined (Wi-Fi or Ethernet), given by name ("wlan0") or by address.
 * IPv4 only: bonjour-service's socket is udp4, so it could not answer an
 * IPv6 query anyway.
 */
import { isIPv4 } from 'node:net';

/** The part of os.NetworkInterfaceInfo this module reads. */
export interface InterfaceAddress {
  address: string;
  family: string | number;
  internal: boolean;
}

export type InterfaceTable = Readonly<Record<string, readonly InterfaceAddress[] | undefined>>;

export interface LanBinding {
  interfaceName: string;
  /** IPv4 addresses of that interface, link-local (169.254/16) last; [0] is where the mDNS socket sends from. */
  addresses: string[];
}

export type LanBindingErrorCode =
  /** No interface has that name or address (not up yet, or renamed). */
  | 'interface_not_found'
  /** The interface exists but has no IPv4 address yet (DHCP pending). */
  | 'no_ipv4_address'
  /** Loopback: peers could not resolve it (bonjour-service skips internal addresses). */
  | 'loopback_interface';

export type LanBindingResult = { ok: true; binding: LanBinding } | { ok: false; code: LanBindingErrorCode; message: string };

/** `selector`: an interface name, or an IPv4 address one of its interfaces holds. */
export function lanBinding(table: InterfaceTable, selector: string): LanBindingResult {
  const byAddress = isIPv4(selector);
  for (const [name, entries] of Object.entries(table)) {
    const list = entries ?? [];
    if (byAddress ? !list.some((e) => e.address === selector) : name !== selector) continue;
    if (list.some((e) => e.internal)) return { ok: false, code: 'loopback_interface', message: `${name} is a loopback interface` };
    const v4 = list.filter((e) => (e.family === 'IPv4' || e.family === 4) && isIPv4(e.address)).map((e) => e.address);
    if (v4.length === 0) return { ok: false, code: 'no_ipv4_address', message: `${name} has no IPv4 address` };
    const linkLocal = (a: string) => a.startsWith('169.254.');
    // The selected address goes first when one was named.
    const ordered = [...v4.filter((a) => !linkLocal(a)), ...v4.filter(linkLocal)];
    const addresses = byAddress ? [selector, ...ordered.filter((a) => a !== selector)] : ordered;
    return { ok: true, binding: { interfaceName: name, addresses } };
  }
  return { ok: false, code: 'interface_not_found', message: `no interface ${byAddress ? 'holds' : 'is named'} ${selector}` };
}

export function sameBinding(a: LanBinding | null, b: LanBinding | null): boolean {
  if (a === null || b === null) return a === b;
  return a.interfaceName === b.interfaceName && a.addresses.length === b.addresses.length && a.addresses.every((x, i) => x === b.addresses[i]);
}
