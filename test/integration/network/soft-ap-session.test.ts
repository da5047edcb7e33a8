/**
 * SoftApSession with the production parts on a single radio: the hostapd
 * backend or NetworkManager's hotspot, and NmcliWifiManager joining on the
 * same wlan0 — all against the fake programs (test/helpers/fake-ap-bin,
 * test/helpers/fake-nmcli). provisioning.md §6.5 "Single radio" and §7.4
 * A7: scan before the AP, the AP down before the join, NetworkManager given
 * wlan0 back so it can join, and the AP back with the reason after a wrong
 * password.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { systemClock } from '../../../src/core/clock.js';
import type { WifiCredentials } from '../../../src/provisioning/provisioning-payload.js';
import { softApConfig, type SoftAp } from '../../../src/network/soft-ap.js';
import { createSoftAp } from '../../../src/network/soft-ap-backend.js';
import { detectApStaConcurrency } from '../../../src/network/soft-ap-radio.js';
import { SoftApSession } from '../../../src/network/soft-ap-session.js';
import { NmcliWifiManager } from '../../../src/network/wifi-manager-nmcli.js';
import { fakeAp, type FakeAp } from '../../helpers/fake-ap-bin/fake-ap-rig.js';
import { tempDir } from '../../helpers/tmp.js';

const TEMPLATES = fileURLToPath(new URL('../../../firmware-overlay/etc/camera-agent/ap/', import.meta.url));
const PASSWORD = 'Sentinel-Pw-7731';
const creds = (password: string): WifiCredentials => ({ ssid: 'HomeNet', ssidAlternates: [], auth: 'wpa', password, rawPsk: false, hidden: false, transitionDisable: false });

interface Rig {
  fake: FakeAp;
  ap: SoftAp;
  session: SoftApSession;
}

async function rig(t: Test, backend: 'hostapd' | 'networkmanager'): Promise<Rig> {
  const dir = await tempDir(t);
  const fake = fakeAp(
    dir,
    { interfaces: ['lo', 'eth0', 'wlan0'] },
    { aps: [{ ssid: 'HomeNet', bssid: 'AA:BB:CC:DD:EE:01', signal: 70, chan: 6, freq: 2437, security: 'WPA2', password: PASSWORD }] },
  );
  const logger = pino({ level: 'silent' });
  const runtimeDir = join(dir, 'run');
  await mkdir(runtimeDir, { mode: 0o700 });
  const sharedDir = join(dir, 'dnsmasq-shared.d');
  await mkdir(sharedDir);
  const ap = createSoftAp({ backend, logger, env: fake.env, templatesDir: TEMPLATES, runtimeDir, dnsmasqSharedDir: sharedDir });
  const wifi = new NmcliWifiManager({ logger, env: fake.env, runtimeDir, connectivity: 'off' });
  const session = new SoftApSession({
    softAp: ap,
    scanner: wifi,
    wifi,
    clock: systemClock,
    logger,
    config: softApConfig({ ifname: 'wlan0', model: 'CAM100', serial: 'AC10022345677890', passphrase: 'K7QM2XH9PZ4D', countryCode: 'DE' }),
  });
  t.teardown(() => session.close());
  return { fake, ap, session };
}

const indexOf = (lines: string[], match: RegExp, from = 0) => lines.findIndex((l, i) => i >= from && match.test(l));

t.test('hostapd backend: scan, AP; wrong password → AP down, NM gets wlan0, join fails, AP back; then the right one joins', async (t) => {
  const r = await rig(t, 'hostapd');
  t.same(await r.session.open(), { ok: true });
  let lines = r.fake.lines();
  t.ok(indexOf(lines, /^nmcli .*device wifi list .*--rescan yes/) < indexOf(lines, /^hostapd /), 'the scan ran before hostapd');
  t.equal(r.session.cachedScan()?.aps[0]?.ssid, 'HomeNet');
  t.equal(r.fake.nm.state().devices.find((d) => d.iface === 'wlan0')?.state, 'unmanaged');

  const failed = await r.session.applyAndJoin(creds('wrong-password-1'));
  t.same(failed, { ok: false, reason: 'auth_failed', apRestored: true });
  t.match(r.session.status(), { state: 'open', lastError: 'auth_failed' });
  lines = r.fake.lines();
  const stop = indexOf(lines, /^hostapd SIGTERM/);
  const managed = indexOf(lines, /^nmcli device set wlan0 managed yes/, stop);
  const joinAdd = indexOf(lines, /^nmcli connection add type wifi .* ssid HomeNet/, managed);
  const rescan = indexOf(lines, /^nmcli .*device wifi list .*--rescan yes/, joinAdd);
  const again = indexOf(lines, /^hostapd /, rescan);
  t.ok(stop > 0 && managed > stop && joinAdd > managed && rescan > joinAdd && again > rescan, 'AP down → NM manages wlan0 → join → rescan → AP up again');
  t.equal(r.ap.state(), 'running');

  const joined = await r.session.applyAndJoin(creds(PASSWORD));
  t.match(joined, { ok: true, connection: { ssid: 'HomeNet', ifname: 'wlan0', profile: 'camera-agent-wifi' } });
  t.match(r.session.status(), { state: 'joined', closeReason: 'joined', lastError: null });
  t.equal(r.ap.state(), 'stopped');
  t.match(r.fake.nm.state().devices.find((d) => d.iface === 'wlan0'), { state: 'connected', connection: 'camera-agent-wifi' });
  t.notOk(r.fake.rawLog().includes(PASSWORD) || r.fake.nm.rawLog().includes(PASSWORD), 'the Wi-Fi password on no argv');
  t.notOk(r.fake.rawLog().includes('K7QM2XH9PZ4D'), 'the AP passphrase on no argv');
});

t.test('NetworkManager backend: the same flow with the hotspot profile', async (t) => {
  const r = await rig(t, 'networkmanager');
  t.same(await r.session.open('portal'), { ok: true });
  t.match(r.fake.nm.state().devices.find((d) => d.iface === 'wlan0'), { state: 'connected', connection: 'camera-agent-ap' });

  t.same(await r.session.applyAndJoin(creds('wrong-password-1')), { ok: false, reason: 'auth_failed', apRestored: true });
  t.match(r.session.status(), { state: 'open', lastError: 'auth_failed', mode: 'portal' });
  t.match(r.fake.nm.state().devices.find((d) => d.iface === 'wlan0'), { connection: 'camera-agent-ap' }, 'the hotspot is back');
  t.equal(r.fake.nm.state().connections?.filter((c) => c.id === 'camera-agent-ap').length, 1, 'one hotspot profile, not two');

  t.match(await r.session.applyAndJoin(creds(PASSWORD)), { ok: true });
  t.match(r.fake.nm.state().devices.find((d) => d.iface === 'wlan0'), { state: 'connected', connection: 'camera-agent-wifi' });
  t.notOk(r.fake.nm.state().connections?.some((c) => c.id === 'camera-agent-ap'), 'hotspot profile gone');
  t.notOk(r.fake.nm.rawLog().includes(PASSWORD) || r.fake.nm.rawLog().includes('K7QM2XH9PZ4D'), 'no secret on any nmcli argv');
});

t.test('radio detection from `iw list`: concurrent, single, unknown', async (t) => {
  const dir = await tempDir(t);
  const fake = fakeAp(dir, { interfaces: ['wlan0'], iwConcurrent: true });
  t.equal(await detectApStaConcurrency(fake.env), true);
  fake.update((s) => void (s.iwConcurrent = false));
  t.equal(await detectApStaConcurrency(fake.env), false);
  t.equal(await detectApStaConcurrency({ PATH: '/nonexistent' }), null, 'no iw: unknown, treat as a single radio');
  t.same(fake.lines(), ['iw list', 'iw list']);
});
