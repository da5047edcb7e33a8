/**
 * The nmcli command lines and the passwd-file of a Wi-Fi join, and the
 * parsers for what nmcli answers to them. Pure functions; the adapter
 * (wifi-manager-nmcli.ts) runs them.
 *
 * Checked against nmcli 1.42.4 talking to NetworkManager 1.42.4 (Debian 12
 * packages run in a network namespace):
 * - after the `ssid` keyword of `connection add`, nmcli takes the next argv
 *   item verbatim: `-rf`, `--help`, `--ask`, `-s`, `--`, `$(reboot)`,
 *   ` space `, `a\b:c`, NFC and NFD spellings all came back byte-exact;
 * - a `wifi-sec.key-mgmt wpa-psk|sae` profile without a psk is accepted;
 *   the secret comes with `connection up … passwd-file`;
 * - multi-line output (`device show`, `connection show <id>`) is printed
 *   raw even in terse mode, tables (`connection show`) are escaped.
 */
import { splitTerseLine } from './nmcli-terse.js';

/** The one profile the agent keeps for the camera's Wi-Fi. */
export const AGENT_PROFILE = 'camera-agent-wifi';
/** Profiles made for a join in progress; a crash can leave one behind, so every join deletes stale ones first. */
export const JOIN_PROFILE_PREFIX = 'camera-agent-join-';

export function isAgentProfile(name: string): boolean {
  return name === AGENT_PROFILE || name.startsWith(JOIN_PROFILE_PREFIX);
}

/** Interface names are the kernel's (≤ 15 bytes, IFNAMSIZ); anything else is a configuration error. */
export function validIfname(name: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/.test(name);
}

export interface JoinProfile {
  ifname: string;
  /** Profile name (JOIN_PROFILE_PREFIX + random). */
  name: string;
  ssid: string;
  hidden: boolean;
  keyMgmt: 'wpa-psk' | 'sae' | null;
}

/**
 * `nmcli connection add` for a join: no secret on argv (it would be in
 * /proc/<pid>/cmdline and in any logged command line, node-wifi N7),
 * autoconnect off until the join has succeeded, hidden only when asked (a
 * hidden profile makes the supplicant probe for the SSID by name). Open
 * networks get no security setting at all — never `password undefined` or
 * `password ""` (node-wifi N1/N2). The SSID is always the item after the
 * `ssid` keyword, where nmcli takes it verbatim.
 */
export function connectionAddArgs(p: JoinProfile): string[] {
  const args = ['connection', 'add', 'type', 'wifi', 'ifname', p.ifname, 'con-name', p.name, 'ssid', p.ssid];
  if (p.hidden) args.push('wifi.hidden', 'yes');
  if (p.keyMgmt) args.push('wifi-sec.key-mgmt', p.keyMgmt);
  args.push('connection.autoconnect', 'no');
  return args;
}

/** `nmcli --wait N connection up uuid <uuid> [passwd-file <file>]`; by uuid, so no other profile with the same name can be picked. */
export function connectionUpArgs(uuid: string, waitSeconds: number, passwdFile: string | null): string[] {
  const args = ['--wait', String(waitSeconds), 'connection', 'up', 'uuid', uuid];
  if (passwdFile !== null) args.push('passwd-file', passwdFile);
  return args;
}

/**
 * Escapes a secret for nmcli's passwd-file (nmc_utils_parse_passwd_file in
 * NM 1.42): the value loses unescaped leading and trailing whitespace and
 * understands C backslash escapes, so every backslash is doubled and every
 * space escaped — which keeps ` pw with spaces ` and `a\1b` exact. A 64-hex
 * raw PSK passes unchanged, and NetworkManager takes a 64-hex psk as the raw
 * key (nm_utils_wpa_psk_valid). Line breaks and NUL cannot be carried:
 * credentialsProblem() rejects them before this is reached.
 */
export function escapePasswdFileValue(secret: string): string {
  if (/[\u0000\r\n]/.test(secret)) throw new RangeError('a passwd-file value cannot hold NUL or a line break');
  return secret.replace(/[\\ \t]/g, (c) => (c === '\t' ? '\\t' : `\\${c}`));
}

/** The passwd-file for a Wi-Fi PSK or SAE password (NM uses the psk property for both). */
export function passwdFileContent(secret: string): string {
  return `802-11-wireless-security.psk:${escapePasswdFileValue(secret)}\n`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The uuid from `Connection 'name' (uuid) successfully added.` (a duplicate-name warning may come first). */
export function parseAddedUuid(stdout: string): string | null {
  for (const line of stdout.split('\n')) {
    const m = / \(([0-9a-fA-F-]{36})\) successfully added\.$/.exec(line);
    if (m && UUID.test(m[1]!)) return m[1]!.toLowerCase();
  }
  return null;
}

export const PROFILE_LIST_FIELDS = ['NAME', 'UUID', 'TYPE'] as const;

export interface ProfileRow {
  name: string;
  uuid: string;
  type: string;
}

/**
 * `nmcli -t -f NAME,UUID,TYPE connection show`. Names are escaped like any
 * terse table value; a raw newline inside a name (nmcli does not escape it)
 * continues the record on the next line.
 */
export function parseProfileList(stdout: string): ProfileRow[] {
  const rows: ProfileRow[] = [];
  let pending: string | null = null;
  const lines = stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) {
    const record: string = pending === null ? line : `${pending}\n${line}`;
    const fields = splitTerseLine(record);
    if (fields.length < PROFILE_LIST_FIELDS.length) {
      pending = record;
      continue;
    }
    pending = null;
    const [name, uuid, type] = fields as [string, string, string];
    if (fields.length === PROFILE_LIST_FIELDS.length && UUID.test(uuid)) rows.push({ name, uuid: uuid.toLowerCase(), type });
  }
  return rows;
}

export const DEVICE_SHOW_FIELDS = ['GENERAL.STATE', 'GENERAL.CONNECTION', 'GENERAL.CON-UUID', 'IP4.ADDRESS', 'IP4.GATEWAY'] as const;

/** NMDeviceState: 100 = activated (nmcli prints "100 (connected)"). */
export const DEVICE_STATE_CONNECTED = 100;

export interface DeviceDetails {
  state: number;
  /** Active profile name and uuid; null when none. */
  connection: string | null;
  uuid: string | null;
  /** First IPv4 address (`a.b.c.d/len`). */
  ipv4: string | null;
  gateway: string | null;
}

const DEVICE_KEY = /^(GENERAL\.[A-Z0-9-]+|IP4\.[A-Z0-9-]+(?:\[\d+\])?)$/;

/**
 * `nmcli -t -f GENERAL.STATE,GENERAL.CONNECTION,GENERAL.CON-UUID,IP4.ADDRESS,IP4.GATEWAY device show <if>`.
 * Terse multi-line output is `KEY:value` with the value raw (not escaped):
 * the key ends at the first ':', and a line that does not start with a
 * known key continues the previous value (a profile name with a newline).
 * Unlike node-wifi's getCurrentConnections, nothing here can throw on an
 * SSID or name ending in `\` (N5) or containing `&&` (N6). Returns null for
 * output that is not a device record.
 */
export function parseDeviceShow(stdout: string): DeviceDetails | null {
  const values = new Map<string, string>();
  let lastKey: string | null = null;
  const lines = stdout.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) {
    const colon = line.indexOf(':');
    const key = colon > 0 ? line.slice(0, colon) : '';
    if (line === '') break; // the blank line before a second device's record (no ifname given)
    if (DEVICE_KEY.test(key)) {
      if (values.has(key)) break;
      values.set(key, line.slice(colon + 1));
      lastKey = key;
    } else if (lastKey === 'GENERAL.CONNECTION') {
      values.set(lastKey, `${values.get(lastKey)}\n${line}`);
    } else {
      return null;
    }
  }
  const stateText = values.get('GENERAL.STATE');
  const m = stateText === undefined ? null : /^(\d+) \(.*\)$/.exec(stateText);
  if (!m) return null;
  const uuid = values.get('GENERAL.CON-UUID') ?? '';
  const address = values.get('IP4.ADDRESS[1]') ?? values.get('IP4.ADDRESS') ?? '';
  const gateway = values.get('IP4.GATEWAY') ?? '';
  return {
    state: Number(m[1]),
    connection: values.get('GENERAL.CONNECTION') || null,
    uuid: UUID.test(uuid) ? uuid.toLowerCase() : null,
    ipv4: /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(address) ? address : null,
    gateway: /^\d{1,3}(\.\d{1,3}){3}$/.test(gateway) ? gateway : null,
  };
}

/**
 * `nmcli -t -f 802-11-wireless.ssid connection show uuid <uuid>`: one
 * `802-11-wireless.ssid:<raw SSID>` record; the SSID may itself contain
 * ':', '\' or a newline, so everything up to the final newline is the SSID.
 */
export function parseProfileSsid(stdout: string): string | null {
  const prefix = '802-11-wireless.ssid:';
  if (!stdout.startsWith(prefix)) return null;
  const value = stdout.slice(prefix.length).replace(/\n$/, '');
  return value === '' ? null : value;
}

export type Connectivity = 'full' | 'limited' | 'portal' | 'none' | 'unknown';

/** `nmcli networking connectivity check` prints one word (NMConnectivityState's nick). */
export function parseConnectivity(stdout: string): Connectivity {
  const word = stdout.trim();
  return word === 'full' || word === 'limited' || word === 'portal' || word === 'none' ? word : 'unknown';
}
