/**
 * NmSoftAp against the fake nmcli (AP profiles in test/helpers/fake-ap-bin,
 * everything else the shared fake-nmcli) and the fake iw: the hotspot
 * profile and its activation with the passphrase in a passwd-file, the
 * dnsmasq-shared.d drop-in per mode, supervision and the client count by
 * polling, and cleanup on every path.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { ManualClock } from '../../../src/core/clock.js';
import { createLogging } from '../../../src/log/logger.js';
import { softApConfig, type SoftApConfig, type SoftApEvent } from '../../../src/network/soft-ap.js';
import { AP_PROFILE, NmSoftAp, type NmSoftApOptions } from '../../../src/network/soft-ap-nm.js';
import { fakeAp, type FakeAp, type FakeApState } from '../../helpers/fake-ap-bin/fake-ap-rig.js';
import { tempDir } from '../../helpers/tmp.js';

const TEMPLATES = fileURLToPath(new URL('../../../firmware-overlay/etc/camera-agent/ap/', import.meta.url));
/** Backslash, spaces at both ends, '#', '=': what the passwd-file escaping must carry exactly. */
const PASSPHRASE = ' Pass\\word #1 =x ';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function config(extra: Partial<SoftApConfig> = {}): SoftApConfig {
  return { ...softApConfig({ ifname: 'wlan0', model: 'CAM100', serial: 'AC10022345677890', passphrase: PASSPHRASE, countryCode: 'DE' }), ...extra };
}

interface Rig {
  fake: FakeAp;
  ap: NmSoftAp;
  clock: ManualClock;
  sharedDir: string;
  logText(): string;
  next(match: (e: SoftApEvent) => boolean): Promise<SoftApEvent>;
}

async function rig(t: Test, state: Partial<FakeApState> = {}, opts: Partial<NmSoftApOptions> = {}): Promise<Rig> {
  const dir = await tempDir(t);
  const fake = fakeAp(dir, { interfaces: ['lo', 'eth0', 'wlan0'], ...state });
  const lines: string[] = [];
  const { logger } = createLogging({ level: 'debug', ringLines: 10, output: { write: (s: string) => void lines.push(s) } });
  const sharedDir = join(dir, 'dnsmasq-shared.d');
  await mkdir(sharedDir);
  const runtimeDir = join(dir, 'run');
  await mkdir(runtimeDir, { mode: 0o700 });
  const clock = new ManualClock();
  const ap = new NmSoftAp({ logger, clock, env: fake.env, templatesDir: TEMPLATES, runtimeDir, dnsmasqSharedDir: sharedDir, pollIntervalMs: 5_000, ...opts });
  const waiters: Array<{ match: (e: SoftApEvent) => boolean; resolve: (e: SoftApEvent) => void }> = [];
  ap.onEvent((e) => {
    for (const w of [...waiters]) {
      if (w.match(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  t.teardown(() => ap.stop());
  const next = (match: (e: SoftApEvent) => boolean) =>
    new Promise<SoftApEvent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no such soft-AP event within 5 s')), 5_000);
      waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  return { fake, ap, clock, sharedDir, logText: () => lines.join(''), next };
}

/** Program lines with uuids and the passwd-file path replaced by placeholders. */
function seq(r: Rig): string[] {
  return r.fake.calls().map((c) =>
    [c.prog, ...(c.argv ?? [])]
      .map((a) => (UUID.test(a) ? '<uuid>' : a))
      .map((a, i, all) => (all[i - 1] === 'passwd-file' ? '<file>' : a))
      .join(' '),
  );
}

const ADD =
  'nmcli connection add type wifi ifname wlan0 con-name camera-agent-ap connection.autoconnect no ssid CAM100-7890 ' +
  '802-11-wireless.mode ap 802-11-wireless.band bg 802-11-wireless.channel 6 802-11-wireless.ap-isolation yes ' +
  'wifi-sec.key-mgmt wpa-psk wifi-sec.proto rsn wifi-sec.pairwise ccmp wifi-sec.group ccmp wifi-sec.psk-flags 2 ' +
  'ipv4.method shared ipv4.addresses 192.168.4.1/24 ipv6.method disabled';
const START = ['nmcli -t -f NAME,UUID,TYPE connection show', 'iw reg set DE', ADD, 'nmcli --wait 30 connection up uuid <uuid> passwd-file <file>'];
const STOP = ['nmcli connection down uuid <uuid>', 'nmcli connection delete uuid <uuid>'];

t.test('start: profile without the secret, activation with a 0600 passwd-file; stop deletes it all', async (t) => {
  const r = await rig(t);
  const result = await r.ap.start(config());
  t.same(result, { ok: true });
  t.equal(r.ap.state(), 'running');
  t.same(seq(r), START);
  const up = r.fake.nm.calls().find((c) => c.argv.includes('up'));
  t.same(up?.passwdFile, { mode: '600', dirMode: '700' }, 'passwd-file 0600 in a 0700 directory');
  t.equal(up?.locale, 'C.UTF-8');
  const profile = r.fake.nm.state().connections?.find((c) => c.id === AP_PROFILE) as unknown as { receivedPsk: string; ssid: string };
  t.equal(profile.receivedPsk, PASSPHRASE, 'NetworkManager got the passphrase byte-exact through the passwd-file');
  t.equal(profile.ssid, 'CAM100-7890');
  t.equal(r.fake.nm.state().devices.find((d) => d.iface === 'wlan0')?.state, 'connected');
  t.equal(r.fake.state().reg, 'DE');
  t.equal(await readFile(join(r.sharedDir, 'camera-agent-ap.conf'), 'utf8'), 'dhcp-option=option:router\ndhcp-option=option:dns-server\n', 'app mode: no router, no DNS for the phone');
  t.notOk(existsSync(join(r.sharedDir, '..', 'run', 'soft-ap-')), 'passwd-file directory gone');

  await r.ap.stop();
  t.equal(r.ap.state(), 'stopped');
  t.same(seq(r).slice(START.length), STOP);
  t.notOk(r.fake.nm.state().connections?.some((c) => c.id === AP_PROFILE), 'profile deleted');
  t.notOk(existsSync(join(r.sharedDir, 'camera-agent-ap.conf')), 'drop-in removed');
  t.notOk(r.fake.rawLog().includes('Pass\\\\word') || r.fake.nm.rawLog().includes('Pass\\\\word'), 'passphrase on no argv');
  t.notOk(r.logText().includes('Pass\\\\word'), 'passphrase in no log line');
});

t.test('portal mode: the drop-in makes every name resolve to the camera', async (t) => {
  const r = await rig(t);
  t.same(await r.ap.start(config({ captiveDns: true, countryCode: null, clientIsolation: false, channel: 11 })), { ok: true });
  t.equal(await readFile(join(r.sharedDir, 'camera-agent-ap.conf'), 'utf8'), 'address=/#/192.168.4.1\n');
  t.ok(seq(r).some((l) => l.includes('802-11-wireless.channel 11 802-11-wireless.ap-isolation no')));
  t.notOk(seq(r).some((l) => l.startsWith('iw reg')), 'no country code: regulatory domain untouched');
});

t.test('captive DNS without a dnsmasq-shared.d is refused before anything runs', async (t) => {
  const r = await rig(t, {}, { dnsmasqSharedDir: null });
  t.match(await r.ap.start(config({ captiveDns: true })), { ok: false, reason: 'unsupported' });
  t.same(r.fake.calls(), []);
  t.same(await r.ap.start(config()), { ok: true }, 'app mode needs no drop-in');
});

t.test('a stale hotspot profile from a crash is deleted first', async (t) => {
  const r = await rig(t);
  t.same(await r.ap.start(config()), { ok: true });
  // The agent dies without stop(): a new instance finds the profile.
  const dir = await tempDir(t);
  const ap2 = new NmSoftAp({ logger: createLogging({ level: 'silent', ringLines: 1 }).logger, clock: r.clock, env: r.fake.env, templatesDir: TEMPLATES, runtimeDir: dir, dnsmasqSharedDir: r.sharedDir });
  t.teardown(() => ap2.stop());
  t.same(await ap2.start(config()), { ok: true });
  t.same(seq(r).slice(START.length), ['nmcli -t -f NAME,UUID,TYPE connection show', 'nmcli connection delete uuid <uuid>', ...START.slice(1)]);
  t.equal(r.fake.nm.state().connections?.filter((c) => c.id === AP_PROFILE).length, 1);
});

t.test('a failed activation deletes the profile and the drop-in and says why', async (t) => {
  const r = await rig(t, { nmUpFails: 'No suitable device found for this connection (device wlan0 not available because device is not available).' });
  const result = await r.ap.start(config());
  t.match(result, { ok: false, reason: 'interface_missing', message: /NetworkManager did not start the hotspot: Connection activation failed: No suitable device/ });
  t.same(seq(r), [...START, ...STOP]);
  t.notOk(existsSync(join(r.sharedDir, 'camera-agent-ap.conf')));
  t.notOk(JSON.stringify(result).includes('Pass\\\\word'));
});

t.test('NetworkManager not running is nm_not_running', async (t) => {
  const r = await rig(t);
  r.fake.nm.update((s) => void (s.nmRunning = false));
  t.match(await r.ap.start(config()), { ok: false, reason: 'nm_not_running' });
  t.equal(r.ap.state(), 'stopped');
});

t.test('polling counts stations and notices a hotspot NetworkManager dropped', async (t) => {
  const r = await rig(t);
  t.same(await r.ap.start(config()), { ok: true });
  r.fake.update((s) => void (s.stations = { wlan0: 2 }));
  const two = r.next((e) => e.type === 'clients' && e.count === 2);
  r.clock.advance(5_000);
  await two;
  t.equal(r.ap.clients(), 2);
  t.same(seq(r).slice(START.length), ['nmcli -t -f GENERAL.STATE,GENERAL.CON-UUID device show wlan0', 'iw dev wlan0 station dump']);

  // Another profile takes the radio (or the driver reset): our hotspot is no longer active.
  r.fake.nm.update((s) => {
    const wlan = s.devices.find((d) => d.iface === 'wlan0')!;
    Object.assign(wlan, { activeUuid: null, connection: null, state: 'disconnected' });
  });
  const down = r.next((e) => e.type === 'down');
  r.clock.advance(5_000);
  t.match(await down, { type: 'down', reason: 'nm_deactivated' });
  t.equal(r.ap.state(), 'failed');
  t.equal(r.ap.clients(), 0);
  t.notOk(r.fake.nm.state().connections?.some((c) => c.id === AP_PROFILE), 'profile deleted after the loss');
  t.equal(r.clock.pendingTimers(), 0, 'polling stopped');
});

t.test('an unwritable dnsmasq-shared.d fails a portal start as unsupported', async (t) => {
  const r = await rig(t, {}, { dnsmasqSharedDir: '/nonexistent/dnsmasq-shared.d' });
  t.match(await r.ap.start(config({ captiveDns: true })), { ok: false, reason: 'unsupported', message: /cannot write/ });
  t.same(seq(r), ['nmcli -t -f NAME,UUID,TYPE connection show']);
});

t.test('a template with an unknown placeholder is template_invalid', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'nm-dnsmasq-shared.conf.tmpl'), 'server={{upstream}}\n');
  const r = await rig(t, {}, { templatesDir: dir });
  t.match(await r.ap.start(config()), { ok: false, reason: 'template_invalid', message: 'unknown placeholder upstream' });
});
