import type { AccessPoint } from './wifi-scan.js';
import { splitTerseLine } from './nmcli-terse.js';

/**
 * Parser for `nmcli -t -f SSID,BSSID,SIGNAL,CHAN,SECURITY device wifi list`.
 * The field order here must match WIFI_LIST_FIELDS; nmcli prints fields in
 * the order asked for.
 */
export const WIFI_LIST_FIELDS = ['SSID', 'BSSID', 'SIGNAL', 'CHAN', 'SECURITY'] as const;

const FIELD_COUNT = WIFI_LIST_FIELDS.length;
const BSSID = /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$/;

export interface WifiListParse {
  accessPoints: AccessPoint[];
  /** Records that did not make sense (count only: they may contain SSIDs, which are personal data). */
  malformed: number;
}

/**
 * Quirks handled, each seen in nmcli's source (src/nmcli/devices.c):
 * - a hidden AP has no SSID; terse mode prints a NULL value as an empty field;
 * - SECURITY is a space-separated list, empty for open networks;
 * - with several Wi-Fi devices an empty line separates their lists;
 * - an SSID may contain a newline, which nmcli does not escape: SSID is the
 *   only free-text field, so a line with too few fields is the start of an
 *   SSID that continues on the next line.
 */
export function parseWifiList(stdout: string): WifiListParse {
  const accessPoints: AccessPoint[] = [];
  let malformed = 0;
  let pending: string | null = null;
  const lines = stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) {
    const record: string = pending === null ? line : `${pending}\n${line}`;
    if (pending === null && line === '') continue; // separator between devices
    const fields = splitTerseLine(record);
    if (fields.length < FIELD_COUNT) {
      pending = record;
      continue;
    }
    pending = null;
    const ap = toAccessPoint(fields);
    if (ap) accessPoints.push(ap);
    else malformed++;
  }
  if (pending !== null) malformed++;
  return { accessPoints, malformed };
}

function toAccessPoint(fields: string[]): AccessPoint | null {
  if (fields.length !== FIELD_COUNT) return null;
  const [ssid, bssid, signal, chan, security] = fields as [string, string, string, string, string];
  if (!BSSID.test(bssid)) return null;
  const signalPct = wholeNumber(signal);
  const channel = wholeNumber(chan);
  if (signalPct === null || signalPct > 100 || channel === null) return null;
  return {
    ssid,
    hidden: ssid === '',
    bssid: bssid.toUpperCase(),
    signal: signalPct,
    channel,
    security: security.split(' ').filter((s) => s !== ''),
  };
}

function wholeNumber(text: string): number | null {
  return /^\d{1,4}$/.test(text) ? Number(text) : null;
}
