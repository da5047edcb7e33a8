/**
 * NmcliWifiManager against test/helpers/fake-nmcli, a stand-in for nmcli
 * 1.42 that keeps NetworkManager's state (profiles, the active connection,
 * APs with passwords) in a file. Every test that handles a password checks
 * that it never reaches nmcli's argv, the agent's log or the result.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pbkdf2Sync } from 'node:crypto';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import type { WifiCredentials } from '../../../src/provisioning/provisioning-payload.js';
import { NmcliWifiManager, type NmcliWifiManagerOptions } from '../../../src/network/wifi-manager-nmcli.js';
import { isWifiStatusError, type WifiJoinResult } from '../../../src/network/wifi-manager.js';
import { fakeNmcli, type FakeAccessPoint, type FakeConnection, type FakeNmState, type FakeNmcli } from '../../helpers/fake-nmcli.js';
import { tempDir } from '../../helpers/tmp.js';

/** The password most tests use; it must never show up anywhere but the fake's profile store. */
const SENTINEL = 'Sentinel-Pw-7731';

let bssidCounter = 0;
function ap(ssid: string, extra: Partial<FakeAccessPoint> = {}): FakeAccessPoint {
  bssidCounter++;
  return {
    ssid,
    bssid: `AA:BB:CC:DD:${(bssidCounter >> 8).toString(16).padStart(2, '0').toUpperCase()}:${(bssidCounter & 0xff).toString(16).padStart(2, '0').toUpperCase()}`,
    signal: 70,
    chan: 6,
    freq: 2437,
    security: 'WPA2',
    password: SENTINEL,
    ...extra,
  };
}

function creds(ssid: string, extra: Partial<WifiCredentials> = {}): WifiCredentials {
  return { ssid, ssidAlternates: [], auth: 'wpa', password: SENTINEL, rawPsk: false, hidden: false, transitionDisable: false, ...extra };
}

interface Rig {
  fake: FakeNmcli;
  wifi: NmcliWifiManager;
  /** Everything the agent logged (pino JSON lines at debug level, no redaction). */
  logText(): string;
  runtimeDir: string;
  dir: string;
}

async function rig(t: Test, state: Partial<FakeNmState>, opts: Partial<NmcliWifiManagerOptions> = {}): Promise<Rig> {
  const dir = await tempDir(t);
  const fake = fakeNmcli(dir, state);
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  const runtimeDir = join(dir, 'run');
  await mkdir(runtimeDir, { mode: 0o700 });
  const wifi = new NmcliWifiManager({ logger, env: fake.env, runtimeDir, connectivityTimeoutMs: 600, connectivityIntervalMs: 100, ...opts });
  return { fake, wifi, logText: () => lines.join(''), runtimeDir, dir };
}

/** The calls with uuids, temporary profile names and passwd-file paths replaced by placeholders. */
function calls(fake: FakeNmcli): string[] {
  return fake.calls().map((c) =>
    c.argv
      .map((a) => a.replace(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, '<uuid>').replace(/^camera-agent-join-[0-9a-f]{8}$/, '<temp>'))
      .map((a, i, all) => (all[i - 1] === 'passwd-file' ? '<file>' : a))
      .join(' '),
  );
}

function wifiProfiles(fake: FakeNmcli): FakeConnection[] {
  return fake.state().connections ?? [];
}

/** The secret appears in no argv, no log line and nothing the caller gets back. */
function assertSecretNowhere(t: Test, r: Rig, result: unknown, secret = SENTINEL): void {
  t.notOk(r.fake.rawLog().includes(secret), 'password absent from every nmcli argv');
  t.notOk(r.logText().includes(secret), 'password absent from every log line');
  t.notOk(JSON.stringify(result).includes(secret), 'password absent from the result');
}

const STATUS = '-t -f DEVICE,TYPE,STATE device status';
const SHOW = '-t -f GENERAL.STATE,GENERAL.CONNECTION,GENERAL.CON-UUID,IP4.ADDRESS,IP4.GATEWAY device show wlan0';
const LIST = '-t -f NAME,UUID,TYPE connection show';
const UP_WITH_FILE = '--wait 45 connection up uuid <uuid> passwd-file <file>';
const CHECK = 'networking connectivity check';
const FINISH = [SHOW, '-t -f 802-11-wireless.ssid connection show uuid <uuid>', 'connection modify uuid <uuid> connection.id camera-agent-wifi connection.autoconnect yes'];

function expectOk(t: Test, result: WifiJoinResult): asserts result is Extract<WifiJoinResult, { ok: true }> {
  if (!result.ok) t.fail(`join failed: ${result.reason} (${result.message})`);
}

t.test('WPA2: the password goes to nmcli in a 0600 passwd-file, never on argv; the profile becomes camera-agent-wifi', async (t) => {
  const r = await rig(t, { aps: [ap('HomeNet')] });
  const result = await r.wifi.join(creds('HomeNet'));
  expectOk(t, result);
  t.same(result.connection, {
    ifname: 'wlan0',
    ssid: 'HomeNet',
    profile: 'camera-agent-wifi',
    uuid: result.connection.uuid,
    ipv4: '192.168.1.23/24',
    gateway: '192.168.1.1',
  });
  t.same(calls(r.fake), [
    STATUS,
    SHOW,
    LIST,
    'connection add type wifi ifname wlan0 con-name <temp> ssid HomeNet wifi-sec.key-mgmt wpa-psk connection.autoconnect no',
    UP_WITH_FILE,
    CHECK,
    ...FINISH,
  ]);
  const up = r.fake.calls().find((c) => c.argv.includes('up'));
  t.same(up?.passwdFile, { mode: '600', dirMode: '700' }, 'file 0600 in a private 0700 directory');
  t.same(await readdir(r.runtimeDir), [], 'the passwd-file and its directory are gone');
  const profiles = wifiProfiles(r.fake);
  t.equal(profiles.length, 1);
  t.match(profiles[0], { id: 'camera-agent-wifi', ssid: 'HomeNet', keyMgmt: 'wpa-psk', autoconnect: true, psk: SENTINEL, uuid: result.connection.uuid });
  t.ok(r.fake.calls().every((c) => c.locale === 'C.UTF-8'), 'every nmcli ran under C.UTF-8, node-wifi\'s deletes too');
  assertSecretNowhere(t, r, result);
});

t.test('WPA3-only (SAE): key-mgmt sae; a WPA-PSK profile would not find the AP', async (t) => {
  const r = await rig(t, { aps: [ap('Wpa3Home', { security: 'WPA3' })] });
  const psk = await r.wifi.join(creds('Wpa3Home', { auth: 'wpa' }));
  t.match(psk, { ok: false, reason: 'ap_not_found' }, 'NM matches profiles to APs by security too');
  const result = await r.wifi.join(creds('Wpa3Home', { auth: 'sae' }));
  expectOk(t, result);
  t.ok(calls(r.fake).includes('connection add type wifi ifname wlan0 con-name <temp> ssid Wpa3Home wifi-sec.key-mgmt sae connection.autoconnect no'));
  t.match(wifiProfiles(r.fake), [{ keyMgmt: 'sae', psk: SENTINEL }]);
  assertSecretNowhere(t, r, [psk, result]);
});

t.test('WPA3 transition disable (R:1) joins with SAE, never PSK', async (t) => {
  const r = await rig(t, { aps: [ap('Mixed', { security: 'WPA2 WPA3' })] });
  expectOk(t, await r.wifi.join(creds('Mixed', { auth: 'wpa', transitionDisable: true })));
  t.match(wifiProfiles(r.fake), [{ keyMgmt: 'sae' }]);
  t.notOk(r.fake.rawLog().includes('wpa-psk'));
});

t.test('open network: no security setting, no passwd-file, never "password undefined" or ""', async (t) => {
  const r = await rig(t, { aps: [ap('Open Net', { security: '', password: undefined })] });
  const result = await r.wifi.join(creds('Open Net', { auth: 'open', password: null }));
  expectOk(t, result);
  t.same(calls(r.fake).slice(3, 5), [
    'connection add type wifi ifname wlan0 con-name <temp> ssid Open Net connection.autoconnect no',
    '--wait 45 connection up uuid <uuid>',
  ]);
  for (const c of r.fake.calls()) {
    t.notOk(c.argv.some((a) => a === 'password' || a === 'undefined' || a === '' || a.startsWith('wifi-sec') || a === 'passwd-file'), c.argv.join(' '));
  }
  t.match(wifiProfiles(r.fake), [{ keyMgmt: null, psk: null }]);
});

t.test('hidden network: wifi.hidden yes finds it; without the flag NetworkManager does not', async (t) => {
  const r = await rig(t, { aps: [ap('Attic', { hidden: true })] });
  const visible = await r.wifi.join(creds('Attic'));
  t.match(visible, { ok: false, reason: 'ap_not_found' });
  const result = await r.wifi.join(creds('Attic', { hidden: true }));
  expectOk(t, result);
  t.ok(calls(r.fake).includes('connection add type wifi ifname wlan0 con-name <temp> ssid Attic wifi.hidden yes wifi-sec.key-mgmt wpa-psk connection.autoconnect no'));
  t.equal(result.connection.ssid, 'Attic');
  t.match(wifiProfiles(r.fake), [{ id: 'camera-agent-wifi', hidden: true }]);
});

t.test('raw PSK: 64 hex characters go to NetworkManager as they are', async (t) => {
  const raw = pbkdf2Sync(SENTINEL, 'HomeNet', 4096, 32, 'sha1').toString('hex');
  const r = await rig(t, { aps: [ap('HomeNet')] });
  const result = await r.wifi.join(creds('HomeNet', { password: raw, rawPsk: true }));
  expectOk(t, result);
  t.match(wifiProfiles(r.fake), [{ psk: raw }]);
  assertSecretNowhere(t, r, result, raw);
  const wrong = await r.wifi.join(creds('HomeNet', { password: 'a'.repeat(64), rawPsk: true }));
  t.match(wrong, { ok: false, reason: 'auth_failed' }, 'a×64 is valid hex, just the wrong key');
});

t.test('P17 wrong password: auth_failed at once, no retry, the password in no argv, log line or message', async (t) => {
  const r = await rig(t, { aps: [ap('HomeNet', { password: 'the-real-one' })] });
  const result = await r.wifi.join(creds('HomeNet'));
  t.match(result, { ok: false, reason: 'auth_failed', rolledBack: false });
  t.match((result as { message: string }).message, /Secrets were required/);
  t.equal(calls(r.fake).filter((c) => c.includes(' up ')).length, 1, 'one activation: a wrong password is not retried');
  t.same(wifiProfiles(r.fake), [], 'the temporary profile is deleted');
  t.ok(calls(r.fake).some((c) => /^connection delete id <temp>$/.test(c)), 'deleted through node-wifi (connection delete id)');
  assertSecretNowhere(t, r, result);
  t.same(await readdir(r.runtimeDir), []);
});

t.test('AP not found: one rescan, one retry, then ap_not_found', async (t) => {
  const r = await rig(t, { aps: [ap('Other')] });
  const result = await r.wifi.join(creds('Gone'));
  t.match(result, { ok: false, reason: 'ap_not_found' });
  t.same(calls(r.fake).slice(3), [
    'connection add type wifi ifname wlan0 con-name <temp> ssid Gone wifi-sec.key-mgmt wpa-psk connection.autoconnect no',
    UP_WITH_FILE,
    '-t -f SSID device wifi list ifname wlan0 --rescan yes',
    UP_WITH_FILE,
    'connection delete id <temp>',
  ]);
  t.same(wifiProfiles(r.fake), []);
});

t.test('an AP heard only after a rescan is joined on the retry', async (t) => {
  const r = await rig(t, { aps: [ap('LateNet', { appearsAfterRescan: true })] });
  const result = await r.wifi.join(creds('LateNet'));
  expectOk(t, result);
  t.equal(calls(r.fake).filter((c) => c.includes(' up ')).length, 2);
});

t.test('an all-hex SSID that is not found is tried again as its hex-decoded alternate', async (t) => {
  const r = await rig(t, { aps: [ap('ABC')] });
  const result = await r.wifi.join(creds('414243', { ssidAlternates: ['ABC'] }));
  expectOk(t, result);
  t.equal(result.connection.ssid, 'ABC');
  const adds = r.fake.calls().filter((c) => c.argv[1] === 'add').map((c) => c.argv[c.argv.indexOf('ssid') + 1]);
  t.same(adds, ['414243', 'ABC'], 'literal first, then the alternate');
  t.same(wifiProfiles(r.fake).map((p) => [p.id, p.ssid]), [['camera-agent-wifi', 'ABC']], 'the literal attempt left nothing behind');
});

t.test('alternates are not tried after a wrong password', async (t) => {
  const r = await rig(t, { aps: [ap('414243', { password: 'other-password' }), ap('ABC')] });
  t.match(await r.wifi.join(creds('414243', { ssidAlternates: ['ABC'] })), { ok: false, reason: 'auth_failed' });
  t.equal(r.fake.calls().filter((c) => c.argv[1] === 'add').length, 1);
});

t.test('DHCP: one timeout is retried; two are dhcp_timeout', async (t) => {
  const r = await rig(t, { aps: [ap('SlowDhcp', { dhcpFailures: 1 }), ap('NoDhcp', { dhcpFailures: 5 })] });
  expectOk(t, await r.wifi.join(creds('SlowDhcp')));
  t.equal(calls(r.fake).filter((c) => c.includes(' up ')).length, 2);
  const before = r.fake.calls().length;
  const result = await r.wifi.join(creds('NoDhcp'));
  t.match(result, { ok: false, reason: 'dhcp_timeout', message: /IP configuration could not be reserved/ });
  t.equal(calls(r.fake).slice(before).filter((c) => c.includes(' up uuid <uuid> passwd-file')).length, 2, 'exactly one retry');
});

t.test('captive portal or no uplink after association: no_internet, the profile is removed', async (t) => {
  for (const internet of ['portal', 'limited', 'none'] as const) {
    const r = await rig(t, { aps: [ap('Portal', { internet })] });
    const result = await r.wifi.join(creds('Portal'));
    t.match(result, { ok: false, reason: 'no_internet', message: new RegExp(internet) }, internet);
    t.same(wifiProfiles(r.fake), []);
    t.equal(await r.wifi.current(), null);
  }
});

t.test('connectivity that becomes full within the window is a success; the check is polled', async (t) => {
  const r = await rig(t, { aps: [ap('Warming')], connectivity: ['limited', 'limited', 'full'] }, { connectivityTimeoutMs: 5000, connectivityIntervalMs: 50 });
  expectOk(t, await r.wifi.join(creds('Warming')));
  t.equal(calls(r.fake).filter((c) => c === CHECK).length, 3);
});

t.test('the connectivity check can be switched off or replaced by the caller\'s probe', async (t) => {
  const off = await rig(t, { aps: [ap('Portal', { internet: 'portal' })] }, { connectivity: 'off' });
  expectOk(t, await off.wifi.join(creds('Portal')));
  t.notOk(calls(off.fake).includes(CHECK));
  let asked = 0;
  const probe = await rig(t, { aps: [ap('Fine')] }, { connectivity: async () => (++asked, 'portal') });
  t.match(await probe.wifi.join(creds('Fine')), { ok: false, reason: 'no_internet' });
  t.ok(asked >= 2, 'polled until the window closed');
  t.notOk(calls(probe.fake).includes(CHECK));
});

t.test('an activation slower than the join timeout: nmcli exits 3 → join_timeout, nothing left behind', async (t) => {
  const r = await rig(t, { aps: [ap('Slow')], upDelayMs: 5000 });
  const started = performance.now();
  const result = await r.wifi.join(creds('Slow'), { timeoutMs: 1000 });
  t.match(result, { ok: false, reason: 'join_timeout', message: /Timeout expired \(1 seconds\)/ });
  t.ok(calls(r.fake).includes('--wait 1 connection up uuid <uuid> passwd-file <file>'));
  t.ok(performance.now() - started < 4000);
  t.same(wifiProfiles(r.fake), []);
});

t.test('infrastructure failures are reported with their own reasons and change nothing', async (t) => {
  const radioOff = await rig(t, { aps: [ap('HomeNet')], wifiEnabled: false });
  t.match(await radioOff.wifi.join(creds('HomeNet')), { ok: false, reason: 'radio_off', message: /switched off/ });
  const rfkill = await rig(t, { aps: [ap('HomeNet')], wifiHw: false });
  t.match(await rfkill.wifi.join(creds('HomeNet')), { ok: false, reason: 'radio_off', message: /hardware switch/ });
  const noDevice = await rig(t, { devices: [{ iface: 'eth0', type: 'ethernet', state: 'connected' }] });
  t.match(await noDevice.wifi.join(creds('HomeNet')), { ok: false, reason: 'no_wifi_device' });
  const wrongIf = await rig(t, { aps: [ap('HomeNet')] }, { ifname: 'wlan7' });
  t.match(await wrongIf.wifi.join(creds('HomeNet')), { ok: false, reason: 'no_wifi_device', message: /wlan7/ });
  const nmDown = await rig(t, { nmRunning: false });
  t.match(await nmDown.wifi.join(creds('HomeNet')), { ok: false, reason: 'nm_not_running', rolledBack: false });
  for (const r of [radioOff, rfkill, noDevice, nmDown]) t.notOk(r.fake.calls().some((c) => c.argv.includes('add')), 'no profile was made');
  const dir = await tempDir(t);
  const missing = new NmcliWifiManager({ logger: pino({ level: 'silent' }), env: { PATH: dir }, runtimeDir: dir });
  t.match(await missing.join(creds('HomeNet')), { ok: false, reason: 'nmcli_missing' });
});

t.test('a passwd-file that cannot be written fails the join and leaves no profile behind', async (t) => {
  const r = await rig(t, { aps: [ap('HomeNet')] }, { runtimeDir: '/nonexistent/camera-agent' });
  const result = await r.wifi.join(creds('HomeNet'));
  t.match(result, { ok: false, reason: 'join_failed', rolledBack: false });
  t.same(wifiProfiles(r.fake), []);
  t.notOk(calls(r.fake).some((c) => c.includes(' up ')), 'nmcli never ran without its passwd-file');
  assertSecretNowhere(t, r, result);
});

t.test('a failed re-provisioning rolls back to the previous network', async (t) => {
  const old: FakeConnection = { uuid: '11111111-1111-4111-8111-111111111111', id: 'camera-agent-wifi', type: '802-11-wireless', ifname: 'wlan0', ssid: 'OldNet', hidden: false, keyMgmt: 'wpa-psk', psk: 'old-network-pw', autoconnect: true };
  const r = await rig(t, {
    aps: [ap('OldNet', { password: 'old-network-pw' }), ap('NewNet', { password: 'new-network-pw' })],
    connections: [old],
    devices: [{ iface: 'wlan0', type: 'wifi', state: 'connected', activeUuid: old.uuid, connection: old.id, ip4: '192.168.1.50/24', gateway: '192.168.1.1' }],
  });
  const result = await r.wifi.join(creds('NewNet'));
  t.match(result, { ok: false, reason: 'auth_failed', rolledBack: true });
  t.same(calls(r.fake).slice(-3), ['connection delete id <temp>', SHOW, '--wait 45 connection up uuid <uuid>'], 'temporary profile deleted, then the old one re-activated (its secret is saved)');
  t.match(await r.wifi.current(), { ssid: 'OldNet', profile: 'camera-agent-wifi', uuid: old.uuid });
  t.same(wifiProfiles(r.fake).map((p) => p.uuid), [old.uuid], 'the old profile is kept untouched');
  assertSecretNowhere(t, r, result);
});

t.test('a successful re-provisioning replaces the agent\'s previous profile and keeps the user\'s own', async (t) => {
  const oldAgent: FakeConnection = { uuid: '33333333-3333-4333-8333-333333333333', id: 'camera-agent-wifi', type: '802-11-wireless', ifname: 'wlan0', ssid: 'OldNet', hidden: false, keyMgmt: 'wpa-psk', psk: 'old-network-pw', autoconnect: true };
  const users: FakeConnection = { uuid: '44444444-4444-4444-8444-444444444444', id: 'Factory test AP', type: '802-11-wireless', ifname: null, ssid: 'FactoryAP', hidden: false, keyMgmt: null, psk: null, autoconnect: true };
  const stale: FakeConnection = { ...users, uuid: '55555555-5555-4555-8555-555555555555', id: 'camera-agent-join-deadbeef', ssid: 'Crashed', autoconnect: false };
  const r = await rig(t, {
    aps: [ap('OldNet', { password: 'old-network-pw' }), ap('NewNet')],
    connections: [oldAgent, users, stale],
    devices: [{ iface: 'wlan0', type: 'wifi', state: 'connected', activeUuid: oldAgent.uuid }],
  });
  const result = await r.wifi.join(creds('NewNet'));
  expectOk(t, result);
  t.same(
    wifiProfiles(r.fake).map((p) => [p.id, p.ssid, p.autoconnect]),
    [
      ['Factory test AP', 'FactoryAP', true],
      ['camera-agent-wifi', 'NewNet', true],
    ],
    'old agent profile and the stale temporary one deleted, the user\'s kept',
  );
  t.match(await r.wifi.current(), { ssid: 'NewNet', profile: 'camera-agent-wifi' });
});

t.test('§7.1 SSIDs are passed as single argv items and come back byte-exact', async (t) => {
  // Short enough that every injection-looking SSID stays within 32 bytes.
  const marker = await tempDir(t, 's');
  const sentinelFile = join(marker, 'p');
  const ssids = [
    'Café ☕', // S4: 6 characters, 9 bytes
    'Caf\u00e9', // S5 NFC
    'My;Net', 'a:b', 'a\\b', 'a,b', '"quoted"', // S12
    ' space ', // S14
    '-rf', '--help', // S15
    `$(touch ${sentinelFile})`, `\`touch ${sentinelFile}\``, `;touch ${sentinelFile};`, `a|touch ${sentinelFile}`, // S16
    'abc\\', // S17
    'a&&b', // S18
    'My:Cafe', // S19
  ];
  const r = await rig(t, { aps: ssids.map((s) => ap(s)) });
  for (const ssid of ssids) {
    const result = await r.wifi.join(creds(ssid));
    expectOk(t, result);
    t.equal(result.connection.ssid, ssid, `joined ${JSON.stringify(ssid)}`);
    t.equal(Buffer.from(result.connection.ssid).toString('hex'), Buffer.from(ssid).toString('hex'));
    const add = r.fake.calls().filter((c) => c.argv[1] === 'add').at(-1)!;
    t.equal(add.argv[add.argv.indexOf('ssid') + 1], ssid, 'one argv item right after the ssid keyword');
    // node-wifi's getCurrentConnections crashes on the first and mangles the second (N5, N6).
    if (ssid === 'abc\\' || ssid === 'a&&b') t.same(await r.wifi.current(), result.connection, 'current() reads it back the same');
  }
  t.notOk(existsSync(sentinelFile), 'nothing in an SSID was ever executed');
  t.equal(Buffer.byteLength(ssids[0]!), 9);
});

t.test('S5: the NFD spelling of an NFC-named network is a different network', async (t) => {
  const r = await rig(t, { aps: [ap('Caf\u00e9')] });
  t.match(await r.wifi.join(creds('Cafe\u0301')), { ok: false, reason: 'ap_not_found' });
  expectOk(t, await r.wifi.join(creds('Caf\u00e9')));
});

t.test('S19: an SSID with ":" is listed whole by scan()', async (t) => {
  const r = await rig(t, { aps: [ap('My:Cafe'), ap('abc\\'), ap('a&&b')] });
  t.same((await r.wifi.scan()).map((a) => a.ssid).sort(), ['My:Cafe', 'a&&b', 'abc\\']);
});

t.test('S21: an SSID or password with NUL or a line break is refused before anything runs', async (t) => {
  const r = await rig(t, { aps: [ap('HomeNet')] });
  for (const bad of [creds('Home\u0000Net'), creds('Home\nNet'), creds('HomeNet', { password: `${SENTINEL}\nwifi-sec.psk:x` }), creds('HomeNet', { password: `a\u0000${SENTINEL}` })]) {
    const result = await r.wifi.join(bad);
    t.match(result, { ok: false, reason: 'invalid_credentials', rolledBack: false });
    t.notOk(JSON.stringify(result).includes(SENTINEL));
  }
  t.same(r.fake.calls(), [], 'nmcli never ran');
  t.notOk(r.logText().includes(SENTINEL));
});

t.test('§7.2 passwords reach NetworkManager exactly, through the passwd-file only', async (t) => {
  const passwords = [
    'p;a:s\\s,"w%41', // P6
    ' pw with spaces ', // P12: leading and trailing spaces survive nmcli's stripping
    'undefined', // P13: the literal word is data
    '$(id)', '`reboot`', "'; rm -rf /;'", // P14
    'a\\1b\\tc\\\\', // backslash escapes nmcli would otherwise interpret
    'pässwörd', // P7
  ];
  for (const password of passwords) {
    // WPA2 passphrases have 8–63 bytes; shorter ones (`$(id)`) are tried as WPA3-SAE passwords.
    const sae = Buffer.byteLength(password) < 8;
    const r = await rig(t, { aps: [ap('HomeNet', { password, security: sae ? 'WPA3' : 'WPA2' })] });
    const result = await r.wifi.join(creds('HomeNet', { password, auth: sae ? 'sae' : 'wpa' }));
    expectOk(t, result);
    t.equal(wifiProfiles(r.fake)[0]?.psk, password, `NetworkManager got ${JSON.stringify(password)}`);
    t.notOk(r.fake.calls().some((c) => c.argv.includes(password)), 'not on argv');
    t.notOk(r.logText().includes(password), 'not in the log');
  }
});

t.test('current(): null when disconnected, the connection when connected, WifiStatusError when NM is down', async (t) => {
  const r = await rig(t, { aps: [ap('HomeNet')] });
  t.equal(await r.wifi.current(), null);
  expectOk(t, await r.wifi.join(creds('HomeNet')));
  t.match(await r.wifi.current(), { ssid: 'HomeNet', ipv4: '192.168.1.23/24' });
  const down = await rig(t, { nmRunning: false });
  const err = await down.wifi.current().then(() => null, (e: unknown) => e);
  t.ok(isWifiStatusError(err, 'nm_not_running'));
});

t.test('forget() deletes the agent\'s profiles only; the camera leaves that network', async (t) => {
  const users: FakeConnection = { uuid: '66666666-6666-4666-8666-666666666666', id: 'Factory test AP', type: '802-11-wireless', ifname: null, ssid: 'FactoryAP', hidden: false, keyMgmt: null, psk: null, autoconnect: true };
  const r = await rig(t, { aps: [ap('HomeNet')], connections: [users] });
  expectOk(t, await r.wifi.join(creds('HomeNet')));
  await r.wifi.forget();
  t.same(wifiProfiles(r.fake).map((p) => p.id), ['Factory test AP']);
  t.equal(await r.wifi.current(), null);
});

t.test('node-wifi never changes the agent\'s environment', async (t) => {
  const before = { LANG: process.env.LANG, LC_ALL: process.env.LC_ALL, LC_MESSAGES: process.env.LC_MESSAGES, PATH: process.env.PATH };
  const r = await rig(t, { aps: [ap('HomeNet', { password: 'x-other-x' })] });
  t.match(await r.wifi.join(creds('HomeNet')), { ok: false, reason: 'auth_failed' });
  t.same({ LANG: process.env.LANG, LC_ALL: process.env.LC_ALL, LC_MESSAGES: process.env.LC_MESSAGES, PATH: process.env.PATH }, before);
  const del = r.fake.calls().find((c) => c.argv[1] === 'delete');
  t.equal(del?.locale, 'C.UTF-8', 'node-wifi\'s nmcli ran with the fake\'s PATH and the C.UTF-8 locale');
});

t.test('joins are serialised', async (t) => {
  const r = await rig(t, { aps: [ap('One'), ap('Two')] });
  const [a, b] = await Promise.all([r.wifi.join(creds('One')), r.wifi.join(creds('Two'))]);
  expectOk(t, a);
  expectOk(t, b);
  t.match(await r.wifi.current(), { ssid: 'Two' });
  t.same(wifiProfiles(r.fake).map((p) => [p.id, p.ssid]), [['camera-agent-wifi', 'Two']]);
});
