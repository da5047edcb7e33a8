import { maskIp } from '../../log/mask.js';

/**
 * How the audit log records where a request came from.
 *
 * Decision: the same rule as the log masking (src/log/mask.ts `maskIp`):
 * keep the host part (last IPv4 octet, last IPv6 group), drop the network
 * part. The local API only listens on loopback (unbound) or the LAN/hotspot,
 * so a technician reading the audit view needs to tell *which host* on that
 * network acted ("*.*.*.42 is my laptop, *.*.*.17 is not"), which the host
 * part gives; the network prefix is what identifies a subscriber's network
 * (a public address, an unusual private range) and is personal data under
 * the privacy policy's "desensitisation" promise, so it is dropped.
 * Using the log's rule also means an audit record and a log line about the
 * same request show the same masked address and can be correlated.
 *
 * Loopback stays readable: it identifies nobody (the console on the device,
 * an SSH tunnel) and the difference between "local" and "LAN" matters.
 *
 * Two inputs the plain `maskIp` gets wrong, normalised here first:
 *   - IPv4-mapped IPv6 (`::ffff:192.168.1.42`), which is what Node reports
 *     for IPv4 clients of a dual-stack socket: `maskIp` treats it as IPv6
 *     and keeps the last ':'-group, i.e. the whole IPv4 address.
 *   - zone ids (`fe80::1%wlan0`) and bracketed forms (`[::1]`).
 */
export function maskSourceAddress(address: string | null | undefined): string {
  if (!address) return 'unknown';
  let a = address.trim().toLowerCase();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  if (mapped) a = mapped[1]!;
  if (isIpv4(a)) return a.startsWith('127.') ? a : maskIp(a);
  if (a === '::1') return a;
  if (a.includes(':') && /^[0-9a-f:.]+$/.test(a)) return maskIp(a);
  // Not an address (a unix socket path, garbage from a proxy header): never echo it.
  return '*';
}

function isIpv4(a: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a);
  return !!m && m.slice(1).every((o) => Number(o) <= 255);
}
