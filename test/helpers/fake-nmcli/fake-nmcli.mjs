// A stand-in for nmcli 1.42 (Debian 12) that answers the calls the agent
// makes exactly as the real one does: same argv grammar, terse escaping,
// messages on stderr and exit codes. Behaviour is taken from nmcli's source
// (src/nmcli/devices.c, connections.c, general.c, utils.c, common.c, nmcli.h),
// nmcli(1), and — for everything that needs no radio — from running the real
// nmcli 1.42.4 against NetworkManager 1.42.4 in a network namespace:
//   * `connection add … ssid <S>` takes S verbatim, also `-rf`, `--help`,
//     `--ask`, `-s`, `--`, `$(reboot)`, ` space `, NFC/NFD spellings;
//   * multi-line output (`connection show <id>`, `device show`) is NOT
//     escaped in terse mode; tables and `-g` values are (`\:` and `\\`);
//   * `connection delete id X` deletes every profile named X;
//   * `connection modify` prints nothing on success.
// What needs a radio (wrong PSK, AP out of range, DHCP) follows
// NetworkManager's device state reasons as nmcli prints them for
// `connection up`: "Error: Connection activation failed: <reason>" plus a
// journalctl hint line, exit 4.
//
// State: JSON file $FAKE_NMCLI_STATE (see test/helpers/fake-nmcli.ts for the
// shape); commands that change NetworkManager's state write it back. Every
// call is appended to $FAKE_NMCLI_LOG as one JSON line {argv, locale} (plus,
// for a passwd-file, its mode and its directory's mode — never its content).
// Put this directory first on PATH.
import { pbkdf2Sync, randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parsePasswdFile } from './passwd-file.mjs';

const argv = process.argv.slice(2);
const env = process.env;
const state = JSON.parse(readFileSync(env.FAKE_NMCLI_STATE ?? '', 'utf8'));
const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || 'C';
const logEntry = { argv, locale };
// Written when the process exits, so it can carry what the call read (passwd-file modes).
const writeLog = () => {
  if (env.FAKE_NMCLI_LOG) appendFileSync(env.FAKE_NMCLI_LOG, JSON.stringify(logEntry) + '\n');
};
if (!state.hang) process.on('exit', writeLog);
const saveState = () => writeFileSync(env.FAKE_NMCLI_STATE ?? '', JSON.stringify(state));

// GLib's g_print/g_printerr convert to the locale charset, replacing what it
// cannot hold with '?' (gmessages.c strdup_convert): under LANG=C every
// non-ASCII character is printed as '?'.
const utf8 = /utf-?8/i.test(locale);
const toLocale = (s) => (utf8 ? s : s.replace(/[^\x00-\x7f]/gu, '?'));
const out = (s) => process.stdout.write(toLocale(s));
const exit = (code) => process.exit(code);
function fail(code, message) {
  process.stderr.write(toLocale(`Error: ${message}\n`));
  exit(code);
}

/** nmcli's matches(): an argument may be any non-empty prefix of the word. */
const matches = (arg, word) => arg.length > 0 && word.startsWith(arg);

// ---- global options (nmcli.c process_command_line) --------------------------
let mode = 'normal';
let fields = null;
let getValues = false;
let escape = true;
let waitSeconds = null;
let showSecrets = false;
let i = 0;
for (; i < argv.length; i++) {
  const a = argv[i];
  if (!a.startsWith('-')) break;
  const opt = a.replace(/^--?/, '');
  const value = () => {
    if (i + 1 >= argv.length) fail(2, `missing argument for '${a}' option.`);
    return argv[++i];
  };
  if (opt === 't' || matches(opt, 'terse')) mode = 'terse';
  else if (opt === 'p' || matches(opt, 'pretty')) mode = 'pretty';
  else if (opt === 'f' || matches(opt, 'fields')) fields = value();
  else if (opt === 'g' || matches(opt, 'get-values')) {
    fields = value();
    mode = 'terse';
    getValues = true;
  } else if (opt === 'e' || matches(opt, 'escape')) {
    const v = value();
    if (v !== 'yes' && v !== 'no') fail(2, `'${v}' is not valid argument for '${a}' option.`);
    escape = v === 'yes';
  } else if (opt === 'w' || matches(opt, 'wait')) {
    const v = value();
    if (!/^\d+$/.test(v)) fail(2, `'${v}' is not a valid timeout.`);
    waitSeconds = Number(v);
  } else if (opt === 's' || matches(opt, 'show-secrets')) showSecrets = true;
  else if (opt === 'm' || matches(opt, 'mode')) value();
  else if (opt === 'c' || matches(opt, 'colors')) value();
  else fail(2, `Option '${a}' is unknown, try 'nmcli -help'.`);
}
const rest = argv.slice(i);

function main() {
  const object = rest[0];
  if (object === undefined) fail(2, 'usage shown'); // the real one prints usage; the agent never calls it
  if (matches(object, 'device')) return device(rest.slice(1));
  if (matches(object, 'connection')) return connection(rest.slice(1));
  if (matches(object, 'networking')) return networking(rest.slice(1));
  if (matches(object, 'radio')) return radio(rest.slice(1));
  if (matches(object, 'general')) return general(rest.slice(1));
  fail(2, `argument '${object}' not understood. Try passing --help instead.`);
}

function needNm() {
  if (!state.nmRunning) fail(8, 'NetworkManager is not running.');
}

const escapeValue = (v) => v.replace(/[\\:]/g, (c) => `\\${c}`);

// ---- output (utils.c print_required_fields) ---------------------------------
function selectFields(all, common, objectName) {
  if (!fields || fields.toLowerCase() === 'common') return common;
  if (fields.toLowerCase() === 'all') return all;
  const names = fields.split(',');
  for (const n of names) {
    if (!all.includes(n.toUpperCase())) fail(2, `'${objectName}': invalid field '${n}'; allowed fields: ${all.join(',')}`);
  }
  return names.map((n) => n.toUpperCase());
}

/** rows: arrays of values (null = no value) in the order of `names`. */
function printTable(names, rows) {
  if (mode === 'terse') {
    for (const row of rows) {
      const cells = row.map((v) => (v === null ? '' : escape ? escapeValue(v) : v));
      out(cells.join(':') + '\n');
    }
    return;
  }
  const shown = rows.map((r) => r.map((v) => (v === null ? '--' : v)));
  const width = names.map((n, c) => Math.max(n.length, ...shown.map((r) => [...r[c]].length)));
  const line = (cells) => cells.map((v, c) => v + ' '.repeat(width[c] - [...v].length)).join('  ').trimEnd() + '\n';
  out(line(names));
  for (const r of shown) out(line(r));
}

/**
 * Multi-line "name:value" output (`connection show <id>`, `device show`).
 * Terse mode prints values raw (verified against nmcli 1.42.4); -g prints
 * only the values, escaped.
 */
function printMultiline(pairs) {
  for (const [name, value] of pairs) {
    const v = value ?? '';
    if (getValues) out(`${escape ? escapeValue(v) : v}\n`);
    else if (mode === 'terse') out(`${name}:${v}\n`);
    else out(`${(name + ':').padEnd(40)}${value ?? '--'}\n`);
  }
}

// ---- NetworkManager model -----------------------------------------------------
const DEVICE_STATES = {
  unmanaged: 10,
  unavailable: 20,
  disconnected: 30,
  'connecting (prepare)': 40,
  'connecting (configuring)': 50,
  'connecting (need authentication)': 60,
  'connecting (getting IP configuration)': 70,
  connected: 100,
  deactivating: 110,
  'connection failed': 120,
};

function wifiUsable(dev) {
  return dev.type === 'wifi' && state.wifiHw !== false && state.wifiEnabled !== false;
}

function deviceState(dev) {
  if (dev.type === 'wifi' && !wifiUsable(dev)) return 'unavailable';
  return dev.state ?? 'disconnected';
}

const connections = () => (state.connections ??= []);
const devices = () => state.devices ?? [];

/** The SSID an AP broadcasts; null for a hidden AP. */
const broadcastSsid = (ap) => (ap.hidden ? null : ap.ssid);
const heard = (ap) => !ap.appearsAfterRescan && !ap.gone;

function rescan() {
  let changed = false;
  for (const ap of state.aps ?? []) {
    if (ap.appearsAfterRescan) {
      ap.appearsAfterRescan = false;
      changed = true;
    }
  }
  if (changed) saveState();
}

/** Finds profiles by `[id|uuid|path] <ID>` as nmcli does (without a keyword: id, then uuid). */
function findConnections(kind, ident) {
  if (kind === 'id') return connections().filter((c) => c.id === ident);
  if (kind === 'uuid') return connections().filter((c) => c.uuid === ident);
  if (kind === 'path') return connections().filter((c, n) => `/org/freedesktop/NetworkManager/Settings/${n + 1}` === ident);
  const byId = connections().filter((c) => c.id === ident);
  return byId.length ? byId : connections().filter((c) => c.uuid === ident);
}

/** Reads `[id|uuid|path] <ID>` at args[n]; returns [kind|null, ident, nextIndex]. */
function readConnectionSpec(args, n) {
  const a = args[n];
  if (a === 'id' || a === 'uuid' || a === 'path') {
    if (n + 1 >= args.length) fail(2, `${a} argument is missing.`);
    return [a, args[n + 1], n + 2];
  }
  return [null, a, n + 1];
}

function activeOn(dev) {
  return dev.activeUuid ? connections().find((c) => c.uuid === dev.activeUuid) ?? null : null;
}

function deactivate(dev) {
  dev.activeUuid = null;
  dev.connection = null;
  dev.activeBssid = null;
  dev.ip4 = null;
  dev.gateway = null;
  if (wifiUsable(dev) || dev.type !== 'wifi') dev.state = 'disconnected';
}

// ---- device ------------------------------------------------------------------
function device(args) {
  needNm();
  const sub = args[0];
  if (sub === undefined || matches(sub, 'status')) return deviceStatus(args.slice(1));
  if (matches(sub, 'show')) return deviceShow(args.slice(1));
  if (matches(sub, 'wifi')) return deviceWifi(args.slice(1));
  fail(2, `argument '${sub}' not understood. Try passing --help instead.`);
}

function deviceStatus(args) {
  if (args.length) fail(2, `invalid extra argument '${args[0]}'.`);
  const all = ['DEVICE', 'TYPE', 'STATE', 'IP4-CONNECTIVITY', 'IP6-CONNECTIVITY', 'DBUS-PATH', 'CONNECTION', 'CON-UUID', 'CON-PATH'];
  const names = selectFields(all, ['DEVICE', 'TYPE', 'STATE', 'CONNECTION'], 'device status');
  const rows = devices().map((d, n) => {
    const active = activeOn(d);
    const v = {
      DEVICE: d.iface,
      TYPE: d.type,
      STATE: deviceState(d),
      'IP4-CONNECTIVITY': 'none',
      'IP6-CONNECTIVITY': 'none',
      'DBUS-PATH': `/org/freedesktop/NetworkManager/Devices/${n + 1}`,
      CONNECTION: active?.id ?? d.connection ?? null,
      'CON-UUID': active?.uuid ?? null,
      'CON-PATH': null,
    };
    return names.map((f) => v[f]);
  });
  printTable(names, rows);
}

const DEVICE_SHOW_GROUPS = ['GENERAL', 'CAPABILITIES', 'INTERFACE-FLAGS', 'WIFI-PROPERTIES', 'AP', 'WIRED-PROPERTIES', 'WIMAX-PROPERTIES', 'NSP', 'IP4', 'DHCP4', 'IP6', 'DHCP6', 'BOND', 'TEAM', 'BRIDGE', 'VLAN', 'BLUETOOTH', 'CONNECTIONS'];
const DEVICE_SHOW_FIELDS = {
  GENERAL: ['DEVICE', 'TYPE', 'HWADDR', 'MTU', 'STATE', 'REASON', 'CONNECTION', 'CON-UUID', 'CON-PATH'],
  IP4: ['ADDRESS', 'GATEWAY', 'DNS'],
  IP6: ['ADDRESS', 'GATEWAY'],
};

function deviceShow(args) {
  if (args.length > 1) fail(2, `invalid extra argument '${args[1]}'.`);
  const ifname = args[0];
  let shown = devices();
  if (ifname !== undefined) {
    const d = shown.find((x) => x.iface === ifname);
    if (!d) fail(10, `Device '${ifname}' not found.`);
    shown = [d];
  }
  // -f accepts groups (GENERAL) and group.field (GENERAL.STATE).
  let wanted = null;
  if (fields && !['all', 'common'].includes(fields.toLowerCase())) {
    wanted = fields.split(',').map((f) => f.toUpperCase());
    for (const w of wanted) {
      const [group, field] = w.split('.');
      const known = DEVICE_SHOW_GROUPS.includes(group) && (field === undefined || (DEVICE_SHOW_FIELDS[group] ?? []).includes(field));
      if (!known) fail(2, `'device show': invalid field '${w.split('.').length > 1 && DEVICE_SHOW_GROUPS.includes(group) ? field : w}'; allowed fields: ${DEVICE_SHOW_GROUPS.join(',')}`);
    }
  }
  const want = (group, field) => !wanted || wanted.includes(group) || wanted.includes(`${group}.${field}`);
  shown.forEach((d, n) => {
    if (n > 0) out('\n');
    const active = activeOn(d);
    const st = deviceState(d);
    const pairs = [];
    const general = {
      DEVICE: d.iface,
      TYPE: d.type,
      HWADDR: d.hwaddr ?? (d.type === 'loopback' ? '00:00:00:00:00:00' : '02:00:00:00:00:01'),
      MTU: String(d.mtu ?? 1500),
      STATE: `${DEVICE_STATES[st] ?? 0} (${st})`,
      REASON: '0 (No reason given)',
      CONNECTION: active?.id ?? d.connection ?? '',
      'CON-UUID': active?.uuid ?? '',
      'CON-PATH': active ? `/org/freedesktop/NetworkManager/ActiveConnection/${connections().indexOf(active) + 1}` : '',
    };
    for (const f of DEVICE_SHOW_FIELDS.GENERAL) if (want('GENERAL', f)) pairs.push([`GENERAL.${f}`, general[f]]);
    // With no IPv4 configuration nmcli prints no IP4 rows at all.
    if (d.ip4) {
      if (want('IP4', 'ADDRESS')) pairs.push(['IP4.ADDRESS[1]', d.ip4]);
      if (want('IP4', 'GATEWAY')) pairs.push(['IP4.GATEWAY', d.gateway ?? '']);
      if (want('IP4', 'DNS') && d.gateway) pairs.push(['IP4.DNS[1]', d.gateway]);
    }
    printMultiline(pairs);
  });
}

function deviceWifi(args) {
  const sub = args[0];
  if (sub === undefined || matches(sub, 'list')) return wifiList(args.slice(1));
  if (matches(sub, 'rescan')) return wifiRescan(args.slice(1));
  if (matches(sub, 'connect')) return wifiConnect(args.slice(1));
  fail(2, `argument '${sub}' not understood. Try passing --help instead.`);
}

function wifiList(args) {
  let ifname = null;
  let bssid = null;
  for (let n = 0; n < args.length; n++) {
    const a = args[n];
    const value = () => {
      if (n + 1 >= args.length) fail(2, `${a} argument is missing.`);
      return args[++n];
    };
    if (a === 'ifname') ifname = value();
    else if (a === 'bssid' || a === 'hwaddr') bssid = value();
    else if (a === '--rescan') {
      const v = value();
      if (!['auto', 'no', 'yes'].includes(v)) fail(2, `invalid rescan argument: '${v}' not among [auto, no, yes]`);
      if (v === 'yes') rescan();
    } else fail(2, `invalid extra argument '${a}'.`);
  }
  const all = ['NAME', 'SSID', 'SSID-HEX', 'BSSID', 'MODE', 'CHAN', 'FREQ', 'RATE', 'SIGNAL', 'BARS', 'SECURITY', 'WPA-FLAGS', 'RSN-FLAGS', 'DEVICE', 'ACTIVE', 'IN-USE', 'DBUS-PATH'];
  const names = selectFields(all, ['IN-USE', 'BSSID', 'SSID', 'MODE', 'CHAN', 'RATE', 'SIGNAL', 'BARS', 'SECURITY'], 'device wifi');
  let wifiDevices;
  if (ifname !== null) {
    const d = devices().find((x) => x.iface === ifname);
    if (!d) fail(10, `Device '${ifname}' not found.`);
    if (d.type !== 'wifi') fail(10, `Device '${ifname}' is not a Wi-Fi device.`);
    wifiDevices = [d];
  } else {
    wifiDevices = devices().filter((d) => d.type === 'wifi');
  }
  // No Wi-Fi device at all: nmcli prints nothing and succeeds (devices.c do_device_wifi_list).
  if (wifiDevices.length === 0) {
    if (bssid) fail(10, `Access point with bssid '${bssid}' not found.`);
    return;
  }
  let found = false;
  wifiDevices.forEach((dev, n) => {
    // devices.c wifi_print_aps: an empty line between devices' lists, in every mode.
    if (n > 0) out('\n');
    const aps = wifiUsable(dev) ? (state.aps ?? []).filter((ap) => (ap.device ?? 'wlan0') === dev.iface && heard(ap)) : [];
    const sorted = [...aps].sort((a, b) => b.signal - a.signal || a.freq - b.freq);
    const shown = bssid ? sorted.filter((ap) => ap.bssid.toUpperCase() === bssid.toUpperCase()) : sorted;
    if (shown.length) found = true;
    const rows = shown.map((ap, k) => {
      const ssid = broadcastSsid(ap);
      const active = ap.active || dev.activeBssid === ap.bssid;
      const v = {
        NAME: `AP[${k + 1}]`,
        SSID: ssid,
        'SSID-HEX': ssid === null ? null : Buffer.from(ssid, 'utf8').toString('hex').toUpperCase(),
        BSSID: ap.bssid,
        MODE: 'Infra',
        CHAN: String(ap.chan),
        FREQ: `${ap.freq} MHz`,
        RATE: `${ap.rate ?? 270} Mbit/s`,
        SIGNAL: String(ap.signal),
        BARS: ap.signal > 80 ? '▂▄▆█' : ap.signal > 55 ? '▂▄▆_' : ap.signal > 30 ? '▂▄__' : ap.signal > 5 ? '▂___' : '____',
        SECURITY: ap.security,
        'WPA-FLAGS': ap.wpaFlags ?? '(none)',
        'RSN-FLAGS': ap.rsnFlags ?? '(none)',
        DEVICE: dev.iface,
        ACTIVE: active ? 'yes' : 'no',
        'IN-USE': active ? '*' : ' ',
        'DBUS-PATH': `/org/freedesktop/NetworkManager/AccessPoint/${k + 1}`,
      };
      return names.map((f) => v[f]);
    });
    if (mode !== 'terse' || rows.length) printTable(names, rows);
  });
  if (bssid && !found) fail(10, `Access point with bssid '${bssid}' not found.`);
}

function wifiRescan(args) {
  let ifname = null;
  for (let n = 0; n < args.length; n++) {
    if (args[n] === 'ifname' && n + 1 < args.length) ifname = args[++n];
    else if (args[n] === 'ssid' && n + 1 < args.length) n++;
    else fail(2, `invalid extra argument '${args[n]}'.`);
  }
  const dev = devices().find((d) => d.type === 'wifi' && (ifname === null || d.iface === ifname));
  // Real 1.42.4 answers an unknown ifname with this (misleading) message and exit 1.
  if (!dev) fail(1, ifname === null ? 'No Wi-Fi device found.' : `Device '${ifname}' is not a Wi-Fi device.`);
  if (!wifiUsable(dev)) fail(1, 'Scanning not allowed while unavailable.');
  rescan();
}

// ---- activation model (shared by `connection up` and `device wifi connect`) -----
/** PBKDF2(passphrase, ssid, 4096, 32): the raw PSK a 64-hex key stands for (IEEE 802.11i H.4). */
const rawPskOf = (passphrase, ssid) => pbkdf2Sync(passphrase, Buffer.from(ssid, 'utf8'), 4096, 32, 'sha1').toString('hex');

function apSecurity(ap) {
  const s = ap.security.split(' ').filter(Boolean);
  return { open: s.length === 0, psk: s.includes('WPA1') || s.includes('WPA2'), sae: s.includes('WPA3') };
}

/** The AP a profile can associate with, as NM/wpa_supplicant would pick it. */
function findAp(dev, profile) {
  return (state.aps ?? [])
    .filter((ap) => (ap.device ?? 'wlan0') === dev.iface && heard(ap))
    .filter((ap) => ap.ssid === profile.ssid && (!ap.hidden || profile.hidden))
    .filter((ap) => {
      const sec = apSecurity(ap);
      if (profile.keyMgmt === null) return sec.open;
      if (profile.keyMgmt === 'sae') return sec.sae;
      return sec.psk;
    })
    .sort((a, b) => b.signal - a.signal)[0] ?? null;
}

function activationHint(profile, dev) {
  return `Hint: use 'journalctl -xe NM_CONNECTION=${profile.uuid} + NM_DEVICE=${dev.iface}' to get more details.`;
}

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Runs an activation and returns null on success or the NM reason text. The
 * previous connection on the device is torn down as soon as the activation
 * starts, as NetworkManager does.
 */
function activate(profile, dev, secret) {
  const previous = activeOn(dev);
  if (previous) deactivate(dev);
  dev.state = 'connecting (configuring)';
  const delay = state.upDelayMs ?? 0;
  if (waitSeconds !== null && delay > waitSeconds * 1000) {
    sleepMs(waitSeconds * 1000);
    saveState();
    return { timeout: true };
  }
  if (delay > 0) sleepMs(delay);
  const ap = findAp(dev, profile);
  const failWith = (reason) => {
    deactivate(dev);
    saveState();
    return { reason };
  };
  if (!ap) return failWith('The Wi-Fi network could not be found');
  if (profile.keyMgmt !== null) {
    const psk = secret ?? profile.psk;
    if (psk === null || psk === undefined) return failWith('Secrets were required, but not provided');
    const pskOk = psk === ap.password || (profile.keyMgmt === 'wpa-psk' && /^[0-9a-fA-F]{64}$/.test(psk) && psk.toLowerCase() === rawPskOf(ap.password ?? '', ap.ssid));
    // NM turns a failed 4-way handshake into a request for new secrets; the
    // passwd-file has no other one, so the activation ends with NO_SECRETS.
    if (!pskOk) return failWith('Secrets were required, but not provided');
    profile.psk = psk; // agent-provided system secrets are saved with the profile
  }
  if ((ap.vanishesDuringJoin ?? 0) > 0) {
    // Heard by the scan, then gone while associating (switched off, out of range): NetworkManager ends
    // the activation with SSID_NOT_FOUND and the AP is not heard again until it comes back.
    ap.vanishesDuringJoin -= 1;
    ap.gone = true;
    return failWith('The Wi-Fi network could not be found');
  }
  if ((ap.dhcpFailures ?? 0) > 0) {
    ap.dhcpFailures -= 1;
    return failWith('IP configuration could not be reserved (no available address, timeout, etc.)');
  }
  dev.activeUuid = profile.uuid;
  dev.connection = profile.id;
  dev.activeBssid = ap.bssid;
  dev.state = 'connected';
  dev.ip4 = ap.ip4 ?? '192.168.1.23/24';
  dev.gateway = ap.gateway ?? '192.168.1.1';
  profile.timestamp = Date.now();
  saveState();
  return null;
}

function wifiConnect(args) {
  // devices.c do_device_wifi_connect: connect <(B)SSID> [password <p>] [wep-key-type] [ifname] [bssid] [name] [private] [hidden]
  const ssid = args[0];
  if (ssid === undefined) fail(2, 'SSID or BSSID is missing.');
  let password = null;
  let ifname = null;
  let hidden = false;
  for (let n = 1; n < args.length; n++) {
    const a = args[n];
    const value = () => {
      if (n + 1 >= args.length) fail(2, `value for '${a}' is missing.`);
      return args[++n];
    };
    if (a === 'password') password = value();
    else if (a === 'ifname') ifname = value();
    else if (a === 'hidden') hidden = value() === 'yes';
    else if (a === 'name' || a === 'bssid' || a === 'wep-key-type' || a === 'private') value();
    else fail(2, `invalid extra argument '${a}'.`);
  }
  const dev = devices().find((d) => d.type === 'wifi' && (ifname === null || d.iface === ifname));
  if (!dev) fail(ifname === null ? 10 : 10, ifname === null ? 'No Wi-Fi device found.' : `Device '${ifname}' not found.`);
  const ap = (state.aps ?? []).find((x) => (x.device ?? 'wlan0') === dev.iface && heard(x) && x.ssid === ssid && (!x.hidden || hidden));
  if (!ap) fail(10, `No network with SSID '${ssid}' found.`);
  const sec = apSecurity(ap);
  const profile = {
    uuid: randomUUID(),
    id: ssid,
    type: '802-11-wireless',
    ifname: dev.iface,
    ssid,
    hidden,
    keyMgmt: sec.open ? null : sec.psk ? 'wpa-psk' : 'sae',
    psk: null,
    autoconnect: true,
  };
  connections().push(profile);
  const result = activate(profile, dev, password);
  if (result?.timeout) fail(3, `Timeout expired (${waitSeconds} seconds)`);
  if (result) {
    // devices.c device_state_cb prints the numeric device state reason.
    const code = result.reason.startsWith('Secrets') ? 7 : result.reason.startsWith('IP configuration') ? 5 : 53;
    fail(4, `Connection activation failed: (${code}) ${result.reason}.`);
  }
  out(`Device '${dev.iface}' successfully activated with '${profile.uuid}'.\n`);
}

// ---- connection (connections.c) ---------------------------------------------
function connection(args) {
  needNm();
  const sub = args[0];
  if (sub === undefined || matches(sub, 'show')) return connectionShow(args.slice(1));
  if (matches(sub, 'up')) return connectionUp(args.slice(1));
  if (matches(sub, 'down')) return connectionDown(args.slice(1));
  if (matches(sub, 'add')) return connectionAdd(args.slice(1));
  if (matches(sub, 'modify')) return connectionModify(args.slice(1));
  if (matches(sub, 'delete')) return connectionDelete(args.slice(1));
  fail(2, `argument '${sub}' not understood. Try passing --help instead.`);
}

const BOOL = { yes: true, no: false, true: true, false: false, on: true, off: false, 1: true, 0: false };
const KEY_MGMT = ['none', 'ieee8021x', 'wpa-psk', 'wpa-eap', 'wpa-eap-suite-b-192', 'sae', 'owe'];

/** Property aliases nmcli accepts, to the names the model stores. */
function propertyName(p) {
  const aliases = {
    'connection.id': 'id', 'con-name': 'id',
    'connection.autoconnect': 'autoconnect', autoconnect: 'autoconnect',
    'connection.interface-name': 'ifname', ifname: 'ifname',
    '802-11-wireless.ssid': 'ssid', 'wifi.ssid': 'ssid', ssid: 'ssid',
    '802-11-wireless.hidden': 'hidden', 'wifi.hidden': 'hidden',
    '802-11-wireless-security.key-mgmt': 'keyMgmt', 'wifi-sec.key-mgmt': 'keyMgmt',
    '802-11-wireless-security.psk': 'psk', 'wifi-sec.psk': 'psk',
  };
  return aliases[p] ?? null;
}

const CANONICAL = {
  id: 'connection.id', autoconnect: 'connection.autoconnect', ifname: 'connection.interface-name',
  ssid: '802-11-wireless.ssid', hidden: '802-11-wireless.hidden', keyMgmt: '802-11-wireless-security.key-mgmt',
  psk: '802-11-wireless-security.psk',
};

/** Applies `prop value` pairs; returns an error text or null. */
function applyProperties(profile, pairs) {
  for (const [p, v] of pairs) {
    const key = propertyName(p);
    if (key === null) {
      if (!p.includes('.')) return [2, `invalid <setting>.<property> '${p}'.`];
      return [2, `invalid property '${p}'.`];
    }
    if (key === 'autoconnect' || key === 'hidden') {
      if (!(v in BOOL)) return [2, `failed to modify ${CANONICAL[key]}: '${v}' is not valid; use [true, false, yes, no, on, off].`];
      profile[key] = BOOL[v];
    } else if (key === 'ssid') {
      if (Buffer.byteLength(v, 'utf8') > 32) return [2, `failed to modify 802-11-wireless.ssid: '${v}' is not valid.`];
      profile.ssid = v === '' ? null : v;
    } else if (key === 'keyMgmt') {
      if (!KEY_MGMT.includes(v)) return [2, `failed to modify 802-11-wireless-security.key-mgmt: '${v}' not among [${KEY_MGMT.join(', ')}].`];
      profile.keyMgmt = v === 'none' ? null : v;
    } else profile[key] = v;
  }
  return null;
}

function connectionAdd(args) {
  const pairs = [];
  let type = null;
  for (let n = 0; n < args.length; n++) {
    const a = args[n];
    if (n + 1 >= args.length) fail(2, `value for '${a}' is missing.`);
    const v = args[++n];
    if (a === 'type') type = v;
    else pairs.push([a, v]);
  }
  if (type === null) fail(2, "'type' argument is required.");
  if (type !== 'wifi' && type !== '802-11-wireless') fail(2, `the fake nmcli only adds Wi-Fi profiles, not '${type}'.`);
  const n = connections().length + 1;
  const profile = { uuid: randomUUID(), id: null, type: '802-11-wireless', ifname: null, ssid: null, hidden: false, keyMgmt: null, psk: null, autoconnect: true, timestamp: 0 };
  const err = applyProperties(profile, pairs);
  if (err) fail(err[0], err[1]);
  profile.id ??= `wifi${n > 1 ? `-${n - 1}` : ''}`;
  if (profile.ssid === null) fail(4, `Failed to add '${profile.id}' connection: 802-11-wireless.ssid: property is missing`);
  if (connections().some((c) => c.id === profile.id)) {
    out(`Warning: There is another connection with the name '${profile.id}'. Reference the connection by its uuid '${profile.uuid}'\n`);
  }
  connections().push(profile);
  saveState();
  out(`Connection '${profile.id}' (${profile.uuid}) successfully added.\n`);
}

function connectionModify(args) {
  const [kind, ident, next] = readConnectionSpec(args, 0);
  if (ident === undefined) fail(2, 'No connection specified.');
  const found = findConnections(kind, ident);
  if (found.length === 0) fail(10, `unknown connection '${ident}'.`);
  const profile = found[0];
  const pairs = [];
  for (let n = next; n < args.length; n++) {
    const a = args[n];
    if (n + 1 >= args.length) fail(2, `value for '${a}' is missing.`);
    pairs.push([a, args[++n]]);
  }
  const copy = { ...profile };
  const err = applyProperties(copy, pairs);
  if (err) fail(err[0], err[1]);
  Object.assign(profile, copy);
  // A renamed active profile shows its new name on the device.
  for (const d of devices()) if (d.activeUuid === profile.uuid) d.connection = profile.id;
  saveState();
}

function connectionDelete(args) {
  if (args.length === 0) fail(2, 'No connection specified.');
  const deleted = [];
  const unknown = [];
  for (let n = 0; n < args.length; ) {
    const [kind, ident, next] = readConnectionSpec(args, n);
    n = next;
    const found = findConnections(kind, ident);
    if (found.length === 0) unknown.push(kind ? `${kind} '${ident}'` : `'${ident}'`);
    for (const c of found) if (!deleted.includes(c)) deleted.push(c);
  }
  for (const c of deleted) {
    for (const d of devices()) if (d.activeUuid === c.uuid) deactivate(d);
    state.connections = connections().filter((x) => x !== c);
    out(`Connection '${c.id}' (${c.uuid}) successfully deleted.\n`);
  }
  if (deleted.length) saveState();
  if (unknown.length) {
    for (const u of unknown) process.stderr.write(`Error: unknown connection ${u.replace(/^(id|uuid|path) /, '')}.\n`);
    fail(10, `cannot delete unknown connection(s): ${unknown.join(', ')}.`);
  }
}

function connectionDown(args) {
  const [kind, ident] = readConnectionSpec(args, 0);
  if (ident === undefined) fail(2, 'No connection specified.');
  const found = findConnections(kind, ident);
  const dev = devices().find((d) => found.some((c) => c.uuid === d.activeUuid));
  if (!dev) {
    process.stderr.write(`Error: '${ident}' is not an active connection.\n`);
    fail(10, 'no active connection provided.');
  }
  const c = activeOn(dev);
  deactivate(dev);
  saveState();
  out(`Connection '${c.id}' successfully deactivated (D-Bus active path: /org/freedesktop/NetworkManager/ActiveConnection/1)\n`);
}

function connectionUp(args) {
  const [kind, ident, next] = readConnectionSpec(args, 0);
  if (ident === undefined) fail(2, 'No connection specified.');
  let passwdFile = null;
  let ifname = null;
  for (let n = next; n < args.length; n++) {
    const a = args[n];
    if (n + 1 >= args.length) fail(2, `value for '${a}' is missing.`);
    const v = args[++n];
    if (a === 'passwd-file') passwdFile = v;
    else if (a === 'ifname') ifname = v;
    else if (a === 'ap' || a === 'nsp') continue;
    else fail(2, `invalid extra argument '${a}'.`);
  }
  const found = findConnections(kind, ident);
  if (found.length === 0) fail(10, `unknown connection '${ident}'.`);
  const profile = found[0];
  let secrets = new Map();
  if (passwdFile !== null) {
    let contents;
    try {
      contents = readFileSync(passwdFile);
      const st = statSync(passwdFile);
      logEntry.passwdFile = { mode: (st.mode & 0o777).toString(8), dirMode: (statSync(dirname(passwdFile)).mode & 0o777).toString(8) };
    } catch {
      fail(2, `invalid passwd-file '${passwdFile}': Failed to open file “${passwdFile}”: No such file or directory.`);
    }
    const parsed = parsePasswdFile(contents);
    if (!parsed.ok) fail(2, `invalid passwd-file '${passwdFile}' at line ${parsed.line}: ${parsed.message}.`);
    secrets = parsed.secrets;
  }
  const devName = ifname ?? profile.ifname;
  const dev = devices().find((d) => d.type === 'wifi' && (devName === null || d.iface === devName));
  if (!dev) {
    if (ifname !== null) fail(4, `device '${ifname}' not found for connection '${profile.id}'.`);
    fail(4, 'Connection activation failed: No suitable device found for this connection (device lo not available because device is strictly unmanaged).');
  }
  if (!wifiUsable(dev)) {
    fail(4, `Connection activation failed: No suitable device found for this connection (device ${dev.iface} not available because device is not available).`);
  }
  const secret = secrets.get('802-11-wireless-security.psk') ?? null;
  if (profile.keyMgmt !== null && secret === null && !profile.psk) {
    out(`Warning: password for '802-11-wireless-security.psk' not given in 'passwd-file' and nmcli cannot ask without '--ask' option.\n`);
  }
  const result = activate(profile, dev, secret);
  if (result?.timeout) fail(3, `Timeout expired (${waitSeconds} seconds)`);
  if (result) fail(4, `Connection activation failed: ${result.reason}\n${activationHint(profile, dev)}`);
  out(`Connection successfully activated (D-Bus active path: /org/freedesktop/NetworkManager/ActiveConnection/${connections().indexOf(profile) + 1})\n`);
}

function connectionShow(args) {
  let activeOnly = false;
  let n = 0;
  while (args[n] === '--active' || args[n] === '-a' || args[n] === '--order') {
    if (args[n] === '--order') n++;
    else activeOnly = true;
    n++;
  }
  if (n >= args.length) return connectionList(activeOnly);
  const [kind, ident] = readConnectionSpec(args, n);
  const found = findConnections(kind, ident);
  if (found.length === 0) fail(10, `${ident} - no such connection profile.`);
  found.forEach((c, k) => {
    if (k > 0) out('\n');
    const all = [
      ['connection.id', c.id],
      ['connection.uuid', c.uuid],
      ['connection.type', c.type],
      ['connection.interface-name', c.ifname ?? ''],
      ['connection.autoconnect', c.autoconnect ? 'yes' : 'no'],
      ['802-11-wireless.ssid', c.ssid],
      ['802-11-wireless.mode', 'infrastructure'],
      ['802-11-wireless.hidden', c.hidden ? 'yes' : 'no'],
    ];
    if (c.keyMgmt !== null) {
      all.push(['802-11-wireless-security.key-mgmt', c.keyMgmt]);
      all.push(['802-11-wireless-security.psk', showSecrets ? c.psk ?? '' : '<hidden>']);
      all.push(['802-11-wireless-security.psk-flags', '0']);
    }
    let pairs = all;
    if (fields && !['all', 'common'].includes(fields.toLowerCase())) {
      const wanted = fields.split(',');
      const known = ['connection', '802-11-wireless', '802-11-wireless-security', 'ipv4', 'ipv6', 'GENERAL', 'IP4', 'IP6'];
      for (const w of wanted) {
        const setting = w.split('.')[0];
        if (!known.includes(setting)) fail(2, `invalid field '${w}'; allowed fields: ${known.join(',')}`);
      }
      pairs = all.filter(([name]) => wanted.some((w) => w === name || w === name.split('.')[0]));
    }
    printMultiline(pairs);
  });
}

function connectionList(activeOnly) {
  const all = ['NAME', 'UUID', 'TYPE', 'TIMESTAMP', 'TIMESTAMP-REAL', 'AUTOCONNECT', 'AUTOCONNECT-PRIORITY', 'READONLY', 'DBUS-PATH', 'ACTIVE', 'DEVICE', 'STATE', 'ACTIVE-PATH', 'SLAVE', 'FILENAME'];
  const names = selectFields(all, ['NAME', 'UUID', 'TYPE', 'DEVICE'], 'connection show');
  const deviceOf = (c) => devices().find((d) => d.activeUuid === c.uuid) ?? null;
  const listed = connections().filter((c) => !activeOnly || deviceOf(c));
  // nmcli lists active profiles first.
  const ordered = [...listed.filter((c) => deviceOf(c)), ...listed.filter((c) => !deviceOf(c))];
  const rows = ordered.map((c) => {
    const dev = deviceOf(c);
    const v = {
      NAME: c.id,
      UUID: c.uuid,
      TYPE: c.type,
      TIMESTAMP: String(Math.floor((c.timestamp ?? 0) / 1000)),
      'TIMESTAMP-REAL': c.timestamp ? new Date(c.timestamp).toUTCString() : 'never',
      AUTOCONNECT: c.autoconnect ? 'yes' : 'no',
      'AUTOCONNECT-PRIORITY': '0',
      READONLY: 'no',
      'DBUS-PATH': `/org/freedesktop/NetworkManager/Settings/${connections().indexOf(c) + 1}`,
      ACTIVE: dev ? 'yes' : 'no',
      DEVICE: dev?.iface ?? null,
      STATE: dev ? 'activated' : null,
      'ACTIVE-PATH': null,
      SLAVE: null,
      FILENAME: `/etc/NetworkManager/system-connections/${c.id}.nmconnection`,
    };
    return names.map((f) => v[f]);
  });
  printTable(names, rows);
}

// ---- networking (general.c) ----------------------------------------------------
function networking(args) {
  needNm();
  const sub = args[0];
  if (sub !== undefined && matches(sub, 'connectivity')) {
    const check = args[1] !== undefined && matches(args[1], 'check');
    let value;
    const forced = state.connectivity;
    if (Array.isArray(forced) && forced.length) {
      value = forced[0];
      // Each `check` moves on to the next value; the last one stays.
      if (check && forced.length > 1) {
        forced.shift();
        saveState();
      }
    } else if (typeof forced === 'string') value = forced;
    else {
      // What NM reports for the AP the Wi-Fi device is on; without a check
      // URI NM guesses 'full' for a device with a default route.
      const dev = devices().find((d) => d.type === 'wifi' && d.activeBssid);
      const ap = dev ? (state.aps ?? []).find((x) => x.bssid === dev.activeBssid) : null;
      value = ap ? ap.internet ?? 'full' : devices().some((d) => d.state === 'connected') ? 'full' : 'none';
    }
    return out(`${value}\n`);
  }
  if (sub === undefined) return out('enabled\n');
  fail(2, `argument '${sub}' not understood. Try passing --help instead.`);
}

// ---- radio (general.c) -------------------------------------------------------
const onOff = (b) => (b === false ? 'disabled' : 'enabled');

function radio(args) {
  needNm();
  const sub = args[0];
  if (sub === undefined || matches(sub, 'all')) {
    const all = ['WIFI-HW', 'WIFI', 'WWAN-HW', 'WWAN'];
    const names = selectFields(all, all, 'radio');
    const v = { 'WIFI-HW': onOff(state.wifiHw), WIFI: onOff(state.wifiEnabled), 'WWAN-HW': 'enabled', WWAN: 'enabled' };
    return printTable(names, [names.map((f) => v[f])]);
  }
  if (matches(sub, 'wifi')) {
    const arg = args[1];
    if (arg === undefined) {
      // nmc_switch_show: a bare `nmcli radio wifi` prints just the value, in every mode.
      if (!fields) return out(`${onOff(state.wifiEnabled)}\n`);
      const names = selectFields(['WIFI'], ['WIFI'], 'radio');
      return printTable(names, [[onOff(state.wifiEnabled)]]);
    }
    if (arg !== 'on' && arg !== 'off') fail(2, `invalid radio switch value '${arg}'`);
    return; // the agent never switches the radio; nothing to remember
  }
  fail(2, `argument '${sub}' not understood. Try passing --help instead.`);
}

function general(args) {
  const sub = args[0];
  if (sub === undefined || matches(sub, 'status')) {
    needNm();
    const names = selectFields(['RUNNING', 'VERSION', 'STATE', 'STARTUP', 'CONNECTIVITY', 'NETWORKING', 'WIFI-HW', 'WIFI', 'WWAN-HW', 'WWAN'], ['STATE', 'CONNECTIVITY', 'WIFI-HW', 'WIFI', 'WWAN-HW', 'WWAN'], 'general');
    const v = { RUNNING: 'running', VERSION: '1.42.4', STATE: 'disconnected', STARTUP: 'started', CONNECTIVITY: 'none', NETWORKING: 'enabled', 'WIFI-HW': onOff(state.wifiHw), WIFI: onOff(state.wifiEnabled), 'WWAN-HW': 'enabled', WWAN: 'enabled' };
    return printTable(names, [names.map((f) => v[f])]);
  }
  fail(2, `argument '${sub}' not understood. Try passing --help instead.`);
}

// Last, so every helper above is initialised.
if (state.hang) {
  writeLog();
  setInterval(() => undefined, 1 << 30);
} else {
  main();
  exit(0);
}
