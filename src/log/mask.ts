import { maskUrlCredentials as maskUserinfo } from './url-mask.js';

/**
 * Masking of personal data wherever it is shown (logs, diagnostics, API
 * answers to low-privilege roles). The rules are the product's privacy
 * promise ("desensitisation"): enough left for a technician to recognise
 * the value, not enough to identify a person's network or device.
 */

/** SSID: first two characters and the length, e.g. "Ho…(9)". */
export function maskSsid(ssid: string): string {
  const chars = [...ssid];
  return `${chars.slice(0, 2).join('')}…(${chars.length})`;
}

/**
 * A person's identifier (technician id, user name, e-mail): like an SSID,
 * first two characters and the length, e.g. "jo…(17)". The token id next to
 * it in a log line is what correlates with the audit log and the cloud.
 */
export function maskPersonId(id: string): string {
  return maskSsid(id);
}

/** MAC: only the last three octets, e.g. "**:**:**:4d:5e:6f". */
export function maskMac(mac: string): string {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6) return '**:**:**:**:**:**';
  return `**:**:**:${parts.slice(3).join(':').toLowerCase()}`;
}

/** IP: only the last octet (IPv4) or group (IPv6), e.g. "*.*.*.42". */
export function maskIp(ip: string): string {
  // Dual-stack sockets report IPv4 clients as ::ffff:a.b.c.d: mask the IPv4 part, not the last ':' group.
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return maskIp(mapped[1]!);
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return `*.*.*.${ip.split('.')[3]}`;
  if (ip.includes(':')) {
    const last = ip.split(':').filter(Boolean).pop() ?? '';
    return `*:*:${last}`;
  }
  return '*';
}

/** URLs: drop userinfo and the query string (presigned URLs carry their signature there). */
export function maskUrlCredentials(url: string): string {
  return maskUserinfo(url).replace(/(^[a-z][a-z0-9+.-]*:\/\/[^?\s#]*)\?[^\s#]*/i, '$1?***');
}

const MAC_RE = /\b([0-9a-f]{2}[:-]){5}[0-9a-f]{2}\b/gi;
const IPV4_RE = /\b(?<!\d\.)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b(?!\.\d)/g;
const URL_RE = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;

/**
 * Scrub free text we did not write ourselves (child-process stderr, library
 * error messages): URLs lose credentials and query strings, MACs and IPv4
 * addresses are masked. Loopback stays readable: it identifies nobody and
 * technicians need it.
 */
export function scrubText(text: string): string {
  return text
    .replace(URL_RE, (u) => maskUrlCredentials(u))
    .replace(MAC_RE, (m) => maskMac(m))
    .replace(IPV4_RE, (ip) => (ip.startsWith('127.') || ip === '0.0.0.0' ? ip : maskIp(ip)));
}
