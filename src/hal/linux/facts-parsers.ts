/** Parsers for the small files system facts come from. Pure. */

/** Device-tree strings are NUL-terminated; an empty one means "not set". */
export function parseDeviceTreeString(raw: Buffer | string): string | null {
  const text = (typeof raw === 'string' ? raw : raw.toString('utf8')).replace(/\0/g, '').trim();
  return text === '' ? null : text;
}

/** os-release(5): KEY=value lines, values optionally in single or double quotes. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m?.[1] || m[2] === undefined) continue;
    let value = m[2].trim();
    const q = value[0];
    if ((q === '"' || q === "'") && value.endsWith(q) && value.length >= 2) {
      value = value.slice(1, -1);
      if (q === '"') value = value.replace(/\\(["\\`$])/g, '$1');
    }
    out[m[1]] = value;
  }
  return out;
}

/** /proc/uptime: "<seconds up> <seconds idle>". */
export function parseUptime(text: string): number | null {
  const first = Number.parseFloat(text.trim().split(/\s+/)[0] ?? '');
  return Number.isFinite(first) && first >= 0 ? first : null;
}

/** thermal_zone<n>/temp is millidegrees Celsius; one decimal is all a camera reports. */
export function parseThermalMillidegrees(text: string): number | null {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) return null;
  return Math.round(Number(t) / 100) / 10;
}

/** A MAC as lower-case aa:bb:..; the all-zero address of an unconfigured NIC counts as none. */
export function parseMac(text: string): string | null {
  const mac = text.trim().toLowerCase();
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac) || mac === '00:00:00:00:00:00') return null;
  return mac;
}
