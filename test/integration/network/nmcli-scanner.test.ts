/**
 * NmcliWifiScanner against test/helpers/fake-nmcli, a stand-in that answers
 * like nmcli 1.42: terse escaping, GLib's locale conversion, errors on stderr
 * with nmcli's exit codes, and an empty list (exit 0) for "no Wi-Fi device"
 * and "radio off".
 */
import { execFileSync } from 'node:child_process';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { isWifiScanError, type WifiScanErrorCode } from '../../../src/network/wifi-scan.js';
import { NmcliWifiScanner } from '../../../src/network/wifi-scan-nmcli.js';
import { fakeNmcli, type FakeNmState } from '../../helpers/fake-nmcli.js';
import { tempDir } from '../../helpers/tmp.js';

const logger = pino({ level: 'silent' });

const NEIGHBOURS: FakeNmState['aps'] = [
  { ssid: 'Plain', bssid: 'AA:BB:CC:DD:EE:01', signal: 70, chan: 6, freq: 2437, security: 'WPA2' },
  { ssid: 'My:Cafe', bssid: 'AA:BB:CC:DD:EE:02', signal: 50, chan: 1, freq: 2412, security: 'WPA2' },
  { ssid: 'back\\slash', bssid: 'AA:BB:CC:DD:EE:03', signal: 40, chan: 11, freq: 2462, security: 'WPA1 WPA2' },
  { ssid: 'Café ☕', bssid: 'AA:BB:CC:DD:EE:04', signal: 90, chan: 36, freq: 5180, security: 'WPA3' },
  { ssid: null, bssid: 'AA:BB:CC:DD:EE:05', signal: 30, chan: 6, freq: 2437, security: 'WPA2' },
  { ssid: 'Open Net', bssid: 'AA:BB:CC:DD:EE:06', signal: 20, chan: 6, freq: 2437, security: '' },
  { ssid: 'abc\\', bssid: 'AA:BB:CC:DD:EE:07', signal: 10, chan: 6, freq: 2437, security: 'WPA2' },
];

async function expectCode(t: Test, p: Promise<unknown>, code: WifiScanErrorCode, message?: RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(isWifiScanError(err, code), `rejects with ${code}, got ${String((err as { code?: string } | null)?.code ?? err)}`);
  if (message) t.match((err as Error).message, message);
}

t.test('a scan lists every AP with its SSID exactly as broadcast, strongest first', async (t) => {
  const fake = fakeNmcli(await tempDir(t), { aps: NEIGHBOURS });
  const aps = await new NmcliWifiScanner({ logger, env: fake.env }).scan();
  t.same(
    aps.map((a) => [a.ssid, a.bssid, a.signal, a.channel, a.security, a.hidden]),
    [
      ['Café ☕', 'AA:BB:CC:DD:EE:04', 90, 36, ['WPA3'], false],
      ['Plain', 'AA:BB:CC:DD:EE:01', 70, 6, ['WPA2'], false],
      ['My:Cafe', 'AA:BB:CC:DD:EE:02', 50, 1, ['WPA2'], false],
      ['back\\slash', 'AA:BB:CC:DD:EE:03', 40, 11, ['WPA1', 'WPA2'], false],
      ['', 'AA:BB:CC:DD:EE:05', 30, 6, ['WPA2'], true],
      ['Open Net', 'AA:BB:CC:DD:EE:06', 20, 6, [], false],
      ['abc\\', 'AA:BB:CC:DD:EE:07', 10, 6, ['WPA2'], false],
    ],
  );
  t.same(fake.calls(), [
    { argv: ['-t', '-f', 'SSID,BSSID,SIGNAL,CHAN,SECURITY', 'device', 'wifi', 'list', '--rescan', 'yes'], locale: 'C.UTF-8' },
  ], 'one nmcli call, argv as documented, UTF-8 C locale');
});

t.test('under LANG=C nmcli itself would turn "Café ☕" into "Caf? ?": the scanner never runs it that way', async (t) => {
  const fake = fakeNmcli(await tempDir(t), { aps: NEIGHBOURS });
  const aps = await new NmcliWifiScanner({ logger, env: { ...fake.env, LANG: 'C', LC_ALL: 'C', LANGUAGE: 'de' } }).scan();
  t.ok(aps.some((a) => a.ssid === 'Café ☕'));
  t.equal(fake.calls()[0]?.locale, 'C.UTF-8');
  // The stand-in does convert like GLib, so a scanner that dropped the locale would be caught.
  const raw = execFileSync('nmcli', ['-t', '-f', 'SSID', 'dev', 'wifi'], { env: { ...fake.env, LC_ALL: 'C' }, encoding: 'utf8' });
  t.match(raw, /^Caf\? \?$/m);
});

t.test('ifname limits the scan to one interface', async (t) => {
  const fake = fakeNmcli(await tempDir(t), { aps: NEIGHBOURS });
  const aps = await new NmcliWifiScanner({ logger, env: fake.env, ifname: 'wlan0' }).scan();
  t.equal(aps.length, NEIGHBOURS.length);
  t.same(fake.calls()[0]?.argv.slice(5), ['list', 'ifname', 'wlan0', '--rescan', 'yes']);
});

t.test('radio switched off: nmcli lists nothing, the scanner says radio_off', async (t) => {
  const fake = fakeNmcli(await tempDir(t), { aps: NEIGHBOURS, wifiEnabled: false });
  await expectCode(t, new NmcliWifiScanner({ logger, env: fake.env }).scan(), 'radio_off', /switched off/);
  t.same(
    fake.calls().map((c) => c.argv),
    [
      ['-t', '-f', 'SSID,BSSID,SIGNAL,CHAN,SECURITY', 'device', 'wifi', 'list', '--rescan', 'yes'],
      ['-t', '-f', 'DEVICE,TYPE,STATE', 'device', 'status'],
      ['-t', '-f', 'WIFI-HW,WIFI', 'radio'],
    ],
    'the empty scan is explained by device status, then radio',
  );
});

t.test('rfkill hard block is radio_off too', async (t) => {
  const fake = fakeNmcli(await tempDir(t), { aps: NEIGHBOURS, wifiHw: false });
  await expectCode(t, new NmcliWifiScanner({ logger, env: fake.env }).scan(), 'radio_off', /hardware switch/);
});

t.test('no Wi-Fi device: nmcli exits 0 with nothing; the scanner says no_wifi_device', async (t) => {
  const fake = fakeNmcli(await tempDir(t), { devices: [{ iface: 'eth0', type: 'ethernet', state: 'connected' }] });
  await expectCode(t, new NmcliWifiScanner({ logger, env: fake.env }).scan(), 'no_wifi_device');
});

t.test('a named interface that does not exist: nmcli exit 10 → no_wifi_device', async (t) => {
  const fake = fakeNmcli(await tempDir(t), { aps: NEIGHBOURS });
  await expectCode(t, new NmcliWifiScanner({ logger, env: fake.env, ifname: 'wlan9' }).scan(), 'no_wifi_device', /^Device 'wlan9' not found\.$/);
  await expectCode(t, new NmcliWifiScanner({ logger, env: fake.env, ifname: 'eth0' }).scan(), 'no_wifi_device', /is not a Wi-Fi device/);
});

t.test('NetworkManager not running: exit 8 → nm_not_running with nmcli\'s reason', async (t) => {
  const fake = fakeNmcli(await tempDir(t), { nmRunning: false });
  await expectCode(t, new NmcliWifiScanner({ logger, env: fake.env }).scan(), 'nm_not_running', /^NetworkManager is not running\.$/);
});

t.test('nmcli not installed → nmcli_missing', async (t) => {
  const dir = await tempDir(t);
  await expectCode(t, new NmcliWifiScanner({ logger, env: { PATH: dir } }).scan(), 'nmcli_missing');
});

t.test('an nmcli that never answers is killed after the scan timeout → scan_failed', async (t) => {
  const fake = fakeNmcli(await tempDir(t), { hang: true });
  const started = performance.now();
  await expectCode(t, new NmcliWifiScanner({ logger, env: fake.env, scanTimeoutMs: 800 }).scan(), 'scan_failed', /did not answer within 800 ms/);
  t.ok(performance.now() - started < 5000);
});

t.test('no network in range with a working radio is an empty list, not an error', async (t) => {
  const fake = fakeNmcli(await tempDir(t), { aps: [] });
  t.same(await new NmcliWifiScanner({ logger, env: fake.env }).scan(), []);
});
