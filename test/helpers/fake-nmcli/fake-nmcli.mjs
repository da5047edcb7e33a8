// A stand-in for nmcli 1.42 (Debian 12) that answers the calls the agent
// makes exactly as the real one does: same argv grammar, terse escaping,
// messages on stderr and exit codes. Behaviour is taken from nmcli's source
// (src/nmcli/devices.c, general.c, utils.c, nmcli.h) and nmcli(1).
//
// State: JSON file $FAKE_NMCLI_STATE (see test/helpers/fake-nmcli.ts for the
// shape). Every call is appended to $FAKE_NMCLI_LOG as one JSON line
// {argv, locale}. Put this directory first on PATH.
import { appendFileSync, readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
const env = process.env;
const state = JSON.parse(readFileSync(env.FAKE_NMCLI_STATE ?? '', 'utf8'));
const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || 'C';
if (env.FAKE_NMCLI_LOG) appendFileSync(env.FAKE_NMCLI_LOG, JSON.stringify({ argv, locale }) + '\n');

// GLib's g_print/g_printerr convert to the locale charset, replacing what it
// cannot hold with '?' (gmessages.c strdup_convert): under LANG=C every
// non-ASCII character is printed as '?'.
const utf8 = /utf-?8/i.test(locale);
const toLocale = (s) => (utf8 ? s : s.replace(/[^\x00-\x7f]/gu, '?'));
const out = (s) => process.stdout.write(toLocale(s));
function fail(code, message) {
  process.stderr.write(toLocale(`Error: ${message}\n`));
  process.exit(code);
}

/** nmcli's matches(): an argument may be any non-empty prefix of the word. */
const matches = (arg, word) => arg.length > 0 && word.startsWith(arg);

// ---- global options (nmcli.c process_command_line) --------------------------
let mode = 'normal';
let fields = null;
let escape = true;
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
  } else if (opt === 'e' || matches(opt, 'escape')) {
    const v = value();
    if (v !== 'yes' && v !== 'no') fail(2, `'${v}' is not valid argument for '${a}' option.`);
    escape = v === 'yes';
  } else if (opt === 'w' || matches(opt, 'wait')) value();
  else if (opt === 'm' || matches(opt, 'mode')) value();
  else if (opt === 'c' || matches(opt, 'colors')) value();
  else fail(2, `Option '${a}' is unknown, try 'nmcli -help'.`);
}
const rest = argv.slice(i);

function main() {
  const object = rest[0];
  if (object === undefined) fail(2, 'usage shown'); // the real one prints usage; the agent never calls it
  if (matches(object, 'device')) return device(rest.slice(1));
  if (matches(object, 'radio')) return radio(rest.slice(1));
  if (matches(object, 'general')) return general(rest.slice(1));
  fail(2, `argument '${object}' not understood. Try passing --help instead.`);
}

function needNm() {
  if (!state.nmRunning) fail(8, 'NetworkManager is not running.');
}

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
      const cells = row.map((v) => (v === null ? '' : escape ? v.replace(/[\\:]/g, (c) => `\\${c}`) : v));
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

// ---- device ------------------------------------------------------------------
function wifiUsable(dev) {
  return dev.type === 'wifi' && state.wifiHw !== false && state.wifiEnabled !== false;
}

function deviceState(dev) {
  if (dev.type === 'wifi' && !wifiUsable(dev)) return 'unavailable';
  return dev.state ?? 'disconnected';
}

function device(args) {
  needNm();
  const sub = args[0];
  if (sub === undefined || matches(sub, 'status')) return deviceStatus(args.slice(1));
  if (matches(sub, 'wifi')) return deviceWifi(args.slice(1));
  fail(2, `argument '${sub}' not understood. Try passing --help instead.`);
}

function deviceStatus(args) {
  if (args.length) fail(2, `invalid extra argument '${args[0]}'.`);
  const all = ['DEVICE', 'TYPE', 'STATE', 'IP4-CONNECTIVITY', 'IP6-CONNECTIVITY', 'DBUS-PATH', 'CONNECTION', 'CON-UUID', 'CON-PATH'];
  const names = selectFields(all, ['DEVICE', 'TYPE', 'STATE', 'CONNECTION'], 'device status');
  const rows = (state.devices ?? []).map((d, n) => {
    const v = {
      DEVICE: d.iface,
      TYPE: d.type,
      STATE: deviceState(d),
      'IP4-CONNECTIVITY': 'none',
      'IP6-CONNECTIVITY': 'none',
      'DBUS-PATH': `/org/freedesktop/NetworkManager/Devices/${n + 1}`,
      CONNECTION: d.connection ?? null,
      'CON-UUID': null,
      'CON-PATH': null,
    };
    return names.map((f) => v[f]);
  });
  printTable(names, rows);
}

function deviceWifi(args) {
  const sub = args[0];
  if (sub === undefined || matches(sub, 'list')) return wifiList(args.slice(1));
  if (matches(sub, 'rescan')) return wifiRescan(args.slice(1));
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
    } else fail(2, `invalid extra argument '${a}'.`);
  }
  const all = ['NAME', 'SSID', 'SSID-HEX', 'BSSID', 'MODE', 'CHAN', 'FREQ', 'RATE', 'SIGNAL', 'BARS', 'SECURITY', 'WPA-FLAGS', 'RSN-FLAGS', 'DEVICE', 'ACTIVE', 'IN-USE', 'DBUS-PATH'];
  const names = selectFields(all, ['IN-USE', 'BSSID', 'SSID', 'MODE', 'CHAN', 'RATE', 'SIGNAL', 'BARS', 'SECURITY'], 'device wifi');
  const devices = state.devices ?? [];
  let wifiDevices;
  if (ifname !== null) {
    const d = devices.find((x) => x.iface === ifname);
    if (!d) fail(10, `Device '${ifname}' not found.`);
    if (d.type !== 'wifi') fail(10, `Device '${ifname}' is not a Wi-Fi device.`);
    wifiDevices = [d];
  } else {
    wifiDevices = devices.filter((d) => d.type === 'wifi');
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
    const aps = wifiUsable(dev) ? (state.aps ?? []).filter((ap) => (ap.device ?? 'wlan0') === dev.iface) : [];
    const sorted = [...aps].sort((a, b) => b.signal - a.signal || a.freq - b.freq);
    const shown = bssid ? sorted.filter((ap) => ap.bssid.toUpperCase() === bssid.toUpperCase()) : sorted;
    if (shown.length) found = true;
    const rows = shown.map((ap, k) => {
      const v = {
        NAME: `AP[${k + 1}]`,
        SSID: ap.ssid,
        'SSID-HEX': ap.ssid === null ? null : Buffer.from(ap.ssid, 'utf8').toString('hex').toUpperCase(),
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
        ACTIVE: ap.active ? 'yes' : 'no',
        'IN-USE': ap.active ? '*' : ' ',
        'DBUS-PATH': `/org/freedesktop/NetworkManager/AccessPoint/${k + 1}`,
      };
      return names.map((f) => v[f]);
    });
    if (mode !== 'terse' || rows.length) printTable(names, rows);
  });
  if (bssid && !found) fail(10, `Access point with bssid '${bssid}' not found.`);
}

function wifiRescan(args) {
  if (args.length) fail(2, `invalid extra argument '${args[0]}'.`);
  const dev = (state.devices ?? []).find((d) => d.type === 'wifi');
  if (!dev) fail(1, 'No Wi-Fi device found.');
  if (!wifiUsable(dev)) fail(1, 'Scanning not allowed while unavailable.');
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
if (state.hang) setInterval(() => undefined, 1 << 30);
else main();
