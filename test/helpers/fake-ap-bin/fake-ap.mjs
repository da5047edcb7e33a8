// Stand-ins for the programs the soft-AP backends run: hostapd 2.10,
// dnsmasq 2.90, iproute2's ip, iw, and nmcli (the AP-profile commands;
// everything else goes to test/helpers/fake-nmcli). Each wrapper in this
// directory runs `node fake-ap.mjs <program> …`. Put this directory first on
// PATH (before test/helpers/fake-nmcli).
//
// Every call is appended to $FAKE_AP_LOG as one JSON line
// {prog, argv, pid} (plus, for a config or passwd-file, its mode and its
// directory's mode — never its content), and signals the daemons receive
// are logged as {prog, signal, pid}: the adapter's whole command sequence
// in order. nmcli calls are also logged to $FAKE_NMCLI_LOG like the
// fake-nmcli does.
//
// State: JSON file $FAKE_AP_STATE (test/helpers/fake-ap-bin/fake-ap-rig.ts
// has the shape); NetworkManager's state is fake-nmcli's $FAKE_NMCLI_STATE.
//
// Messages and exit codes follow the real programs as run on Debian 12:
// hostapd without a usable interface prints "nl80211 driver initialization
// failed." and exits 1; dnsmasq prints "dnsmasq: …" and exits 2 when it
// cannot bind; ip prints `Cannot find device "x"` (exit 1) or
// "RTNETLINK answers: File exists" (exit 2); iw prints
// "command failed: No such device (-19)" (exit 237).
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePasswdFile } from '../fake-nmcli/passwd-file.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const [prog, ...argv] = process.argv.slice(2);
const env = process.env;

const loadState = () => JSON.parse(readFileSync(env.FAKE_AP_STATE ?? '', 'utf8'));
const saveState = (s) => writeFileSync(env.FAKE_AP_STATE ?? '', JSON.stringify(s));
const log = (entry) => {
  if (env.FAKE_AP_LOG) appendFileSync(env.FAKE_AP_LOG, JSON.stringify({ prog, pid: process.pid, ...entry }) + '\n');
};
const modes = (file) => {
  try {
    return { mode: (statSync(file).mode & 0o777).toString(8), dirMode: (statSync(dirname(file)).mode & 0o777).toString(8) };
  } catch {
    return { mode: null, dirMode: null };
  }
};
const err = (s) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`);
const out = (s) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);

/** key=value lines of a rendered config file. */
function readConf(file) {
  const values = new Map();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (line.startsWith('#') || eq < 0) continue;
    const key = line.slice(0, eq);
    values.set(key, [...(values.get(key) ?? []), line.slice(eq + 1)]);
  }
  return values;
}

// ---- hostapd ------------------------------------------------------------------
function hostapd() {
  const conf = argv.at(-1);
  log({ argv, conf: conf ? modes(conf) : null });
  const state = loadState();
  const h = state.hostapd ?? {};
  let values;
  try {
    values = readConf(conf);
  } catch {
    err(`Could not open configuration file '${conf}' for reading.`);
    err('Failed to set up interface with ' + conf);
    process.exit(1);
  }
  out('Configuration file: ' + conf);
  const ifname = values.get('interface')?.[0] ?? '';
  if (!(state.interfaces ?? []).includes(ifname)) {
    out(`Could not read interface ${ifname} flags: No such device`);
    out('nl80211 driver initialization failed.');
    out(`${ifname}: interface state UNINITIALIZED->DISABLED`);
    out(`${ifname}: AP-DISABLED `);
    process.exit(1);
  }
  if (h.mode === 'fail') {
    out(h.message ?? 'nl80211: Could not configure driver mode');
    out('nl80211 driver initialization failed.');
    process.exit(1);
  }
  const keep = setInterval(() => undefined, 1 << 30);
  const stations = [];
  let next = 1;
  process.on('SIGUSR1', () => {
    const mac = `02:00:00:00:00:${(next++).toString(16).padStart(2, '0')}`;
    stations.push(mac);
    out(`${ifname}: AP-STA-CONNECTED ${mac}`);
  });
  process.on('SIGUSR2', () => {
    const mac = stations.pop();
    if (mac) out(`${ifname}: AP-STA-DISCONNECTED ${mac}`);
  });
  process.on('SIGTERM', () => {
    log({ signal: 'SIGTERM' });
    out(`${ifname}: AP-DISABLED `);
    clearInterval(keep);
    process.exit(0);
  });
  if (h.mode === 'hang') return; // never reports AP-ENABLED
  out(`${ifname}: interface state UNINITIALIZED->ENABLED`);
  out(`${ifname}: AP-ENABLED `);
}

// ---- dnsmasq ------------------------------------------------------------------
function dnsmasq() {
  const confArg = argv.find((a) => a.startsWith('--conf-file='));
  const conf = confArg?.slice('--conf-file='.length) ?? null;
  log({ argv, conf: conf ? modes(conf) : null });
  if (argv.includes('--test')) {
    err('dnsmasq: syntax check OK.');
    process.exit(0);
  }
  const state = loadState();
  const d = state.dnsmasq ?? {};
  let values;
  try {
    values = readConf(conf);
  } catch {
    err(`dnsmasq: cannot read ${conf}: No such file or directory`);
    process.exit(3);
  }
  const listen = values.get('listen-address')?.[0] ?? '';
  const ifname = values.get('interface')?.[0] ?? '';
  if (d.mode === 'fail') {
    err(`dnsmasq: failed to create listening socket for ${listen}: Address already in use`);
    process.exit(2);
  }
  // bind-interfaces + listen-address: the address must already be on the interface.
  const addrs = (state.addresses ?? {})[ifname] ?? [];
  if (!addrs.some((a) => a.split('/')[0] === listen)) {
    err(`dnsmasq: failed to create listening socket for ${listen}: Cannot assign requested address`);
    process.exit(2);
  }
  const keep = setInterval(() => undefined, 1 << 30);
  process.on('SIGTERM', () => {
    log({ signal: 'SIGTERM' });
    err(`dnsmasq[${process.pid}]: exiting on receipt of SIGTERM`);
    clearInterval(keep);
    process.exit(0);
  });
  err(`dnsmasq[${process.pid}]: started, version 2.90 ${values.has('port') ? 'DNS disabled' : 'cachesize 150'}`);
  err(`dnsmasq-dhcp[${process.pid}]: DHCP, IP range ${(values.get('dhcp-range')?.[0] ?? '').split(',').slice(0, 2).join(' -- ')}, lease time 10m`);
}

// ---- ip -----------------------------------------------------------------------
function ip() {
  log({ argv });
  const state = loadState();
  const failing = (state.ipFail ?? []).find((f) => f.argv.every((a, i) => argv[i] === a));
  if (failing) {
    err(failing.stderr);
    process.exit(failing.code ?? 2);
  }
  const devIndex = argv.indexOf('dev');
  const ifname = devIndex >= 0 ? argv[devIndex + 1] : argv[2];
  const known = (state.interfaces ?? []).includes(ifname);
  state.addresses ??= {};
  if (argv[0] === 'addr' && argv[1] === 'flush') {
    if (!known) fail1(ifname);
    state.addresses[ifname] = [];
  } else if (argv[0] === 'addr' && argv[1] === 'add') {
    if (!known) fail1(ifname);
    const list = (state.addresses[ifname] ??= []);
    if (list.includes(argv[2])) {
      err('RTNETLINK answers: File exists');
      process.exit(2);
    }
    list.push(argv[2]);
  } else if (argv[0] === 'link' && argv[1] === 'set') {
    if (!known) fail1(ifname);
  } else {
    err(`Object "${argv[0]}" is unknown, try "ip help".`);
    process.exit(1);
  }
  saveState(state);
}
function fail1(ifname) {
  err(`Cannot find device "${ifname}"`);
  process.exit(1);
}

// ---- iw -----------------------------------------------------------------------
function iw() {
  log({ argv });
  const state = loadState();
  const nodev = () => {
    err('command failed: No such device (-19)');
    process.exit(237);
  };
  if (argv[0] === 'reg' && argv[1] === 'set') {
    state.reg = argv[2];
    saveState(state);
    return;
  }
  if (argv[0] === 'list') {
    out('Wiphy phy0');
    out('\tvalid interface combinations:');
    if (state.iwConcurrent) out('\t\t * #{ managed } <= 1, #{ AP } <= 1,\n\t\t   total <= 2, #channels <= 1');
    else out('\t\t * #{ managed, AP } <= 1,\n\t\t   total <= 1, #channels <= 1');
    return;
  }
  if (argv[0] === 'dev') {
    const ifname = argv[1];
    if (!(state.interfaces ?? []).includes(ifname)) nodev();
    if (argv[2] === 'interface' && argv[3] === 'add') {
      state.interfaces.push(argv[4]);
      saveState(state);
      return;
    }
    if (argv[2] === 'del') {
      state.interfaces = state.interfaces.filter((i) => i !== ifname);
      saveState(state);
      return;
    }
    if (argv[2] === 'station' && argv[3] === 'dump') {
      const n = (state.stations ?? {})[ifname] ?? 0;
      for (let k = 1; k <= n; k++) out(`Station 02:00:00:00:01:${k.toString(16).padStart(2, '0')} (on ${ifname})\n\tinactive time:\t120 ms\n\tsignal:  \t-41 dBm`);
      return;
    }
  }
  err('Usage:\tiw [options] command');
  process.exit(1);
}

// ---- nmcli: AP profiles and `device set`, the rest to fake-nmcli ---------------
function nmcli() {
  log({ argv });
  const nmStateFile = env.FAKE_NMCLI_STATE ?? '';
  const nm = JSON.parse(readFileSync(nmStateFile, 'utf8'));
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || 'C';
  const entry = { argv, locale };
  const nmLog = () => env.FAKE_NMCLI_LOG && appendFileSync(env.FAKE_NMCLI_LOG, JSON.stringify(entry) + '\n');
  const saveNm = () => writeFileSync(nmStateFile, JSON.stringify(nm));
  const fail = (code, message) => {
    nmLog();
    err(`Error: ${message}`);
    process.exit(code);
  };
  let i = 0;
  let waitSeconds = null;
  for (; i < argv.length && argv[i].startsWith('-'); i++) {
    if (argv[i] === '--wait' || argv[i] === '-w') waitSeconds = Number(argv[++i]);
    else if (argv[i] === '-f' || argv[i] === '--fields') i++;
  }
  const rest = argv.slice(i);
  const connections = (nm.connections ??= []);
  const findSpec = (kind, ident) => connections.filter((c) => (kind === 'uuid' ? c.uuid === ident : c.id === ident));
  const delegate = () => {
    const r = spawnSync(process.execPath, [join(here, '..', 'fake-nmcli', 'fake-nmcli.mjs'), ...argv], { stdio: 'inherit', env });
    process.exit(r.status ?? 1);
  };
  if (!nm.nmRunning) delegate();

  if (rest[0] === 'device' && rest[1] === 'set') {
    const [ifname, prop, value] = rest.slice(2);
    const dev = (nm.devices ?? []).find((d) => d.iface === ifname);
    if (!dev) fail(10, `Device '${ifname}' not found.`);
    if (prop !== 'managed' || !['yes', 'no'].includes(value)) fail(2, `invalid argument '${prop}'.`);
    if (value === 'no') {
      dev.state = 'unmanaged';
      dev.activeUuid = null;
      dev.connection = null;
    } else if (dev.state === 'unmanaged') dev.state = 'disconnected';
    saveNm();
    nmLog();
    return;
  }
  if (rest[0] === 'connection' && rest[1] === 'add' && rest.includes('802-11-wireless.mode')) {
    const pairs = new Map();
    for (let n = 2; n < rest.length; n += 2) {
      if (n + 1 >= rest.length) fail(2, `value for '${rest[n]}' is missing.`);
      pairs.set(rest[n], rest[n + 1]);
    }
    const known = ['type', 'ifname', 'con-name', 'connection.autoconnect', 'ssid', '802-11-wireless.mode', '802-11-wireless.band', '802-11-wireless.channel', '802-11-wireless.ap-isolation', 'wifi-sec.key-mgmt', 'wifi-sec.proto', 'wifi-sec.pairwise', 'wifi-sec.group', 'wifi-sec.psk-flags', 'ipv4.method', 'ipv4.addresses', 'ipv6.method'];
    for (const k of pairs.keys()) if (!known.includes(k)) fail(2, `invalid <setting>.<property> '${k}'.`);
    if (pairs.get('802-11-wireless.mode') !== 'ap') fail(2, "the fake handles only mode 'ap' here");
    const ssid = pairs.get('ssid');
    if (!ssid || Buffer.byteLength(ssid) > 32) fail(2, `failed to modify 802-11-wireless.ssid: '${ssid}' is not valid.`);
    const profile = {
      uuid: randomUUID(),
      id: pairs.get('con-name') ?? 'Hotspot',
      type: '802-11-wireless',
      ifname: pairs.get('ifname') ?? null,
      ssid,
      mode: 'ap',
      hidden: false,
      keyMgmt: pairs.get('wifi-sec.key-mgmt') ?? null,
      psk: null,
      autoconnect: pairs.get('connection.autoconnect') !== 'no',
      ap: Object.fromEntries(pairs),
    };
    connections.push(profile);
    saveNm();
    nmLog();
    out(`Connection '${profile.id}' (${profile.uuid}) successfully added.`);
    return;
  }
  if (rest[0] === 'connection' && ['up', 'down', 'delete'].includes(rest[1])) {
    const kind = rest[2] === 'uuid' || rest[2] === 'id' ? rest[2] : null;
    const ident = kind ? rest[3] : rest[2];
    const found = findSpec(kind, ident);
    if (!found.some((c) => c.mode === 'ap')) delegate();
    const profile = found[0];
    const devices = nm.devices ?? [];
    if (rest[1] === 'delete') {
      for (const d of devices) if (d.activeUuid === profile.uuid) Object.assign(d, { activeUuid: null, connection: null, ip4: null, gateway: null, state: 'disconnected' });
      nm.connections = connections.filter((c) => c !== profile);
      saveNm();
      nmLog();
      out(`Connection '${profile.id}' (${profile.uuid}) successfully deleted.`);
      return;
    }
    if (rest[1] === 'down') {
      const dev = devices.find((d) => d.activeUuid === profile.uuid);
      if (!dev) {
        err(`Error: '${ident}' is not an active connection.`);
        fail(10, 'no active connection provided.');
      }
      Object.assign(dev, { activeUuid: null, connection: null, ip4: null, gateway: null, state: 'disconnected' });
      saveNm();
      nmLog();
      out(`Connection '${profile.id}' successfully deactivated (D-Bus active path: /org/freedesktop/NetworkManager/ActiveConnection/1)`);
      return;
    }
    // up
    const fileIndex = rest.indexOf('passwd-file');
    let secret = null;
    if (fileIndex >= 0) {
      const file = rest[fileIndex + 1];
      entry.passwdFile = modes(file);
      let parsed;
      try {
        parsed = parsePasswdFile(readFileSync(file));
      } catch {
        fail(2, `invalid passwd-file '${file}': Failed to open file “${file}”: No such file or directory.`);
      }
      if (!parsed.ok) fail(2, `invalid passwd-file '${file}' at line ${parsed.line}: ${parsed.message}.`);
      secret = parsed.secrets.get('802-11-wireless-security.psk') ?? null;
    }
    const dev = devices.find((d) => d.type === 'wifi' && d.iface === profile.ifname);
    if (!dev) fail(4, 'Connection activation failed: No suitable device found for this connection (device lo not available because device is strictly unmanaged).');
    if (dev.state === 'unmanaged') fail(4, `Connection activation failed: No suitable device found for this connection (device ${dev.iface} not available because device is strictly unmanaged).`);
    if (secret === null) fail(4, 'Connection activation failed: Secrets were required, but not provided');
    const apState = loadState();
    if (apState.nmUpFails) fail(4, `Connection activation failed: ${apState.nmUpFails}`);
    // What the hotspot got, for assertions (a real NM with psk-flags 2 keeps it in memory only).
    profile.receivedPsk = secret;
    Object.assign(dev, { activeUuid: profile.uuid, connection: profile.id, activeBssid: null, ip4: profile.ap['ipv4.addresses'] ?? '10.42.0.1/24', gateway: null, state: 'connected' });
    saveNm();
    nmLog();
    void waitSeconds;
    out(`Connection successfully activated (D-Bus active path: /org/freedesktop/NetworkManager/ActiveConnection/${connections.indexOf(profile) + 1})`);
    return;
  }
  delegate();
}

if (prog === 'hostapd') hostapd();
else if (prog === 'dnsmasq') dnsmasq();
else if (prog === 'ip') ip();
else if (prog === 'iw') iw();
else if (prog === 'nmcli') nmcli();
else {
  err(`fake-ap: unknown program ${prog}`);
  process.exit(127);
}
