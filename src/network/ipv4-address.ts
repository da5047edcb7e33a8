import { networkInterfaces } from 'node:os';

/** The first non-internal IPv4 address of `iface` right now, or null (down, no DHCP lease yet, no such interface). */
export function ipv4AddressOf(iface: string): string | null {
  return (networkInterfaces()[iface] ?? []).find((a) => a.family === 'IPv4' && !a.internal)?.address ?? null;
}
