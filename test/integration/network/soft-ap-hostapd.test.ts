/**
 * HostapdSoftAp against the fake hostapd, dnsmasq, ip, iw and nmcli
 * (test/helpers/fake-ap-bin): the exact command sequence of a start and a
 * stop, each failure at start undone in reverse, a crash later reported
 * after cleanup, NetworkManager given its interface back, and the
 * passphrase nowhere but in the 0600 hostapd.conf.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { createLogging } from '../../../src/log/logger.js';
import { softApConfig, type SoftApConfig, type SoftApEvent } from '../../../src/network/soft-ap.js';
import { HostapdSoftAp, type HostapdSoftApOptions } from '../../../src/network/soft-ap-hostapd.js';
import { DEFAULT_DEVICES } from '../../helpers/fake-nmcli.js';
import { FAKE_AP_DIR, fakeAp, type FakeAp, type FakeApState } from '../../helpers/fake-ap-bin/fake-ap-rig.js';
import { tempDir } from '../../helpers/tmp.js';

const TEMPLATES = fileURLToPath(new URL('../../../firmware-overlay/etc/camera-agent/ap/', import.meta.url));
/** A passphrase with the characters a config file could misread; it must only ever be in hostapd.conf. */
const PASSPHRASE = 'Pass\\word #1 =x';

function config(extra: Partial<SoftApConfig> = {}): SoftApConfig {
  return { ...softApConfig({ ifname: 'wlan0', model: 'CAM100', serial: 'AC10022345677890', passphrase: PASSPHRASE, countryCode: 'DE' }), ...extra };
}

interface Rig {
  fake: FakeAp;
  ap: HostapdSoftAp;
  runtimeDir: string;
  events: SoftApEvent[];
  logText(): string;
  /** Resolves with the next event matching `match`. */
  next(match: (e: SoftApEvent) => boolean): Promise<SoftApEvent>;
}

async function rig(t: Test, state: Partial<FakeApState> = {}, opts: Partial<HostapdSoftApOptions> = {}, nmDevices = DEFAULT_DEVICES): Promise<Rig> {
  const dir = await tempDir(t);
  const fake = fakeAp(dir, { interfaces: ['lo', 'eth0', 'wlan0'], ...state }, { devices: nmDevices.map((d) => ({ ...d })) });
  const lines: string[] = [];
  // The agent's own logging (sanitised by key and content), but with no secret registered: a leak would show.
  const { logger } = createLogging({ level: 'debug', ringLines: 10, output: { write: (s: string) => void lines.push(s) } });
  const runtimeDir = join(dir, 'run');
  const ap = new HostapdSoftAp({ logger, env: fake.env, templatesDir: TEMPLATES, runtimeDir, hostapdTimeoutMs: 5_000, dnsmasqTimeoutMs: 5_000, ...opts });
  const events: SoftApEvent[] = [];
  const waiters: Array<{ match: (e: SoftApEvent) => boolean; resolve: (e: SoftApEvent) => void }> = [];
  ap.onEvent((e) => {
    events.push(e);
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
  return { fake, ap, runtimeDir, events, logText: () => lines.join(''), next };
}

/** The program lines with the runtime directory replaced by <run>. */
function seq(r: Rig): string[] {
  return r.fake.lines().map((l) => l.split(join(r.runtimeDir, 'soft-ap')).join('<run>'));
}

const START = [
  'nmcli -t -f GENERAL.STATE device show wlan0',
  'nmcli device set wlan0 managed no',
  'ip addr flush dev wlan0',
  'ip addr add 192.168.4.1/24 dev wlan0',
  'hostapd <run>/hostapd.conf',
  'dnsmasq --keep-in-foreground --conf-file=<run>/dnsmasq.conf',
];
const STOP = ['dnsmasq SIGTERM', 'hostapd SIGTERM', 'ip addr flush dev wlan0', 'nmcli device set wlan0 managed yes'];

function assertPassphraseOnlyInConf(t: Test, r: Rig, results: unknown[]): void {
  t.notOk(r.fake.rawLog().includes('Pass\\\\word') || r.fake.rawLog().includes(PASSPHRASE), 'passphrase on no argv');
  t.notOk(r.fake.nm.rawLog().includes(PASSPHRASE), 'passphrase in no nmcli call');
  t.notOk(r.logText().includes('Pass\\\\word') || r.logText().includes(PASSPHRASE), 'passphrase in no log line');
  t.notOk(JSON.stringify(results).includes('Pass\\\\word'), 'passphrase in no result');
}

t.test('start: files rendered 0600 in a 0700 dir, NM lets go, address, hostapd, dnsmasq — in that order', async (t) => {
  const r = await rig(t);
  const result = await r.ap.start(config());
  t.same(result, { ok: true });
  t.equal(r.ap.state(), 'running');
  t.same(seq(r), START);
  const calls = r.fake.calls();
  t.same(calls.find((c) => c.prog === 'hostapd')?.conf, { mode: '600', dirMode: '700' }, 'hostapd.conf 0600 in a 0700 directory');
  t.same(calls.find((c) => c.prog === 'dnsmasq')?.conf, { mode: '600', dirMode: '700' });
  const hostapdConf = await readFile(join(r.runtimeDir, 'soft-ap', 'hostapd.conf'), 'utf8');
  t.match(hostapdConf, /^ssid2=43414d3130302d37383930$/m, 'SSID CAM100-7890 as hex');
  t.match(hostapdConf, /^wpa_passphrase=Pass\\word #1 =x$/m, 'the passphrase verbatim, on one line');
  t.match(hostapdConf, /^country_code=DE$/m);
  t.match(hostapdConf, /^max_num_sta=2$/m);
  t.match(hostapdConf, /^ap_isolate=1$/m);
  const dnsmasqConf = await readFile(join(r.runtimeDir, 'soft-ap', 'dnsmasq.conf'), 'utf8');
  t.match(dnsmasqConf, /^dhcp-range=192\.168\.4\.10,192\.168\.4\.50,255\.255\.255\.0,10m$/m);
  t.match(dnsmasqConf, /^port=0$/m, 'app mode: no DNS');
  t.notMatch(dnsmasqConf, /address=\/#\//, 'app mode: no wildcard');
  t.equal(r.fake.nm.state().devices.find((d) => d.iface === 'wlan0')?.state, 'unmanaged');
  t.same(r.fake.state().addresses?.wlan0, ['192.168.4.1/24']);

  await r.ap.stop();
  t.equal(r.ap.state(), 'stopped');
  t.same(seq(r).slice(START.length), STOP, 'stop: dnsmasq, hostapd, address, NM gets wlan0 back');
  t.equal(r.fake.nm.state().devices.find((d) => d.iface === 'wlan0')?.state, 'disconnected', 'NetworkManager manages wlan0 again');
  t.notOk(existsSync(join(r.runtimeDir, 'soft-ap')), 'runtime files removed');
  await r.ap.stop();
  t.equal(r.fake.calls().length, START.length + STOP.length, 'a second stop runs nothing');
  assertPassphraseOnlyInConf(t, r, [result]);
});

t.test('portal mode renders the wildcard DNS, the router and the DNS server', async (t) => {
  const r = await rig(t);
  t.same(await r.ap.start(config({ captiveDns: true, countryCode: null })), { ok: true });
  const dnsmasqConf = await readFile(join(r.runtimeDir, 'soft-ap', 'dnsmasq.conf'), 'utf8');
  t.match(dnsmasqConf, /^address=\/#\/192\.168\.4\.1$/m);
  t.match(dnsmasqConf, /^dhcp-option=option:router,192\.168\.4\.1$/m);
  t.notMatch(dnsmasqConf, /^port=0$/m);
  const hostapdConf = await readFile(join(r.runtimeDir, 'soft-ap', 'hostapd.conf'), 'utf8');
  t.notMatch(hostapdConf, /country_code|ieee80211d/, 'no country: the kernel keeps the world domain');
});

t.test('hostapd failing at start: reported, and everything done so far undone in reverse', async (t) => {
  const r = await rig(t, { hostapd: { mode: 'fail', message: 'nl80211: Could not configure driver mode' } });
  const result = await r.ap.start(config());
  t.match(result, { ok: false, reason: 'hostapd_failed', message: /hostapd exited with code 1: .*nl80211 driver initialization failed/ });
  t.equal(r.ap.state(), 'stopped');
  t.same(seq(r), [...START.slice(0, 5), 'ip addr flush dev wlan0', 'nmcli device set wlan0 managed yes']);
  t.notOk(existsSync(join(r.runtimeDir, 'soft-ap')));
  assertPassphraseOnlyInConf(t, r, [result]);
});

t.test('hostapd that never reports AP-ENABLED is stopped after its timeout', async (t) => {
  const r = await rig(t, { hostapd: { mode: 'hang' } }, { hostapdTimeoutMs: 400 });
  const result = await r.ap.start(config());
  t.match(result, { ok: false, reason: 'start_timeout', message: /hostapd was not ready within 400 ms/ });
  t.same(seq(r), [...START.slice(0, 5), 'hostapd SIGTERM', 'ip addr flush dev wlan0', 'nmcli device set wlan0 managed yes']);
});

t.test('dnsmasq failing at start stops hostapd too', async (t) => {
  const r = await rig(t, { dnsmasq: { mode: 'fail' } });
  const result = await r.ap.start(config());
  t.match(result, { ok: false, reason: 'dnsmasq_failed', message: /dnsmasq exited with code 2: dnsmasq: failed to create listening socket for 192\.168\.4\.1: Address already in use/ });
  t.same(seq(r), [...START, 'hostapd SIGTERM', 'ip addr flush dev wlan0', 'nmcli device set wlan0 managed yes']);
});

t.test('a missing interface is interface_missing, and NM keeps managing nothing it did not manage', async (t) => {
  const r = await rig(t, { interfaces: ['lo', 'eth0'] }, {}, DEFAULT_DEVICES.filter((d) => d.iface !== 'wlan0'));
  const result = await r.ap.start(config());
  t.match(result, { ok: false, reason: 'interface_missing', message: /Cannot find device "wlan0"/ });
  t.same(seq(r), ['nmcli -t -f GENERAL.STATE device show wlan0', 'ip addr flush dev wlan0'], 'NM does not know wlan0: no managed change');
});

t.test('ip refused (no CAP_NET_ADMIN) is address_failed', async (t) => {
  const r = await rig(t, { ipFail: [{ argv: ['addr', 'add'], stderr: 'RTNETLINK answers: Operation not permitted', code: 2 }] });
  const result = await r.ap.start(config());
  t.match(result, { ok: false, reason: 'address_failed', message: /Operation not permitted/ });
  t.same(seq(r), [...START.slice(0, 4), 'ip addr flush dev wlan0', 'nmcli device set wlan0 managed yes']);
});

t.test('an interface the integrator left unmanaged stays unmanaged after stop', async (t) => {
  const devices = DEFAULT_DEVICES.map((d) => (d.iface === 'wlan0' ? { ...d, state: 'unmanaged' } : d));
  const r = await rig(t, {}, {}, devices);
  t.same(await r.ap.start(config()), { ok: true });
  await r.ap.stop();
  t.notOk(seq(r).some((l) => l.startsWith('nmcli device set')), 'no managed no/yes');
  t.equal(r.fake.nm.state().devices.find((d) => d.iface === 'wlan0')?.state, 'unmanaged');
});

t.test('without NetworkManager the AP starts without nmcli changes', async (t) => {
  const r = await rig(t);
  r.fake.nm.update((s) => void (s.nmRunning = false));
  t.same(await r.ap.start(config()), { ok: true });
  await r.ap.stop();
  t.notOk(seq(r).some((l) => l.startsWith('nmcli device set')));
});

t.test('AP+STA concurrency: a virtual __ap interface is made first and deleted last', async (t) => {
  const r = await rig(t, {}, { virtualOf: 'wlan0' });
  t.same(await r.ap.start(config({ ifname: 'ap0' })), { ok: true });
  await r.ap.stop();
  t.same(seq(r), [
    'iw dev wlan0 interface add ap0 type __ap',
    'nmcli -t -f GENERAL.STATE device show ap0',
    'ip addr flush dev ap0',
    'ip addr add 192.168.4.1/24 dev ap0',
    'hostapd <run>/hostapd.conf',
    'dnsmasq --keep-in-foreground --conf-file=<run>/dnsmasq.conf',
    'dnsmasq SIGTERM',
    'hostapd SIGTERM',
    'ip addr flush dev ap0',
    'iw dev ap0 del',
  ]);
  t.same(r.fake.state().interfaces, ['lo', 'eth0', 'wlan0']);
});

t.test('stations joining and leaving are counted from hostapd\'s events', async (t) => {
  const r = await rig(t);
  t.same(await r.ap.start(config()), { ok: true });
  const pid = r.fake.pidOf('hostapd');
  const one = r.next((e) => e.type === 'clients' && e.count === 1);
  process.kill(pid, 'SIGUSR1');
  await one;
  const two = r.next((e) => e.type === 'clients' && e.count === 2);
  process.kill(pid, 'SIGUSR1');
  await two;
  t.equal(r.ap.clients(), 2);
  const back = r.next((e) => e.type === 'clients' && e.count === 1);
  process.kill(pid, 'SIGUSR2');
  await back;
  t.equal(r.ap.clients(), 1);
  t.notOk(r.logText().includes('02:00:00:00:00:01'), 'station MACs are masked in the log');
});

t.test('hostapd crashing later: the rest is cleaned up, then a down event is reported', async (t) => {
  const r = await rig(t);
  t.same(await r.ap.start(config()), { ok: true });
  process.kill(r.fake.pidOf('hostapd'), 'SIGUSR1');
  await r.next((e) => e.type === 'clients' && e.count === 1);
  const down = r.next((e) => e.type === 'down');
  process.kill(r.fake.pidOf('hostapd'), 'SIGKILL');
  t.match(await down, { type: 'down', reason: 'hostapd_exited', message: /hostapd exited with signal SIGKILL/ });
  t.equal(r.ap.state(), 'failed');
  t.equal(r.ap.clients(), 0);
  t.same(r.events.filter((e) => e.type === 'clients').map((e) => (e as { count: number }).count), [1, 0]);
  t.same(seq(r).slice(START.length), ['dnsmasq SIGTERM', 'ip addr flush dev wlan0', 'nmcli device set wlan0 managed yes']);
  t.equal(r.fake.nm.state().devices.find((d) => d.iface === 'wlan0')?.state, 'disconnected', 'NM has wlan0 back');
  t.notOk(existsSync(join(r.runtimeDir, 'soft-ap')));
  t.same(await r.ap.start(config()), { ok: true }, 'a failed AP starts again');
});

t.test('dnsmasq crashing later is reported as dnsmasq_exited', async (t) => {
  const r = await rig(t);
  t.same(await r.ap.start(config()), { ok: true });
  const down = r.next((e) => e.type === 'down');
  process.kill(r.fake.pidOf('dnsmasq'), 'SIGKILL');
  t.match(await down, { reason: 'dnsmasq_exited' });
  t.same(seq(r).slice(START.length), ['hostapd SIGTERM', 'ip addr flush dev wlan0', 'nmcli device set wlan0 managed yes']);
});

t.test('a bad config runs nothing; an injected newline never reaches a file', async (t) => {
  const r = await rig(t);
  const results = [
    await r.ap.start(config({ passphrase: 'good-pass\nssid=evil' })),
    await r.ap.start(config({ channel: 13 as 1 })),
    await r.ap.start(config({ ifname: 'wlan0 -B' })),
    await r.ap.start(config({ countryCode: 'D\nE' })),
  ];
  t.same(results.map((x) => (x.ok ? 'ok' : x.reason)), ['invalid_config', 'invalid_config', 'invalid_config', 'invalid_config']);
  t.match(results[0], { message: /passphrase: the passphrase may only hold printable ASCII/ });
  t.notOk(JSON.stringify(results).includes('good-pass'), 'the message does not carry the passphrase');
  t.same(r.fake.calls(), [], 'no program ran');
  t.notOk(existsSync(join(r.runtimeDir, 'soft-ap')));
});

t.test('a missing template is template_invalid; hostapd not installed is program_missing', async (t) => {
  const r = await rig(t, {}, { templatesDir: '/nonexistent' });
  t.match(await r.ap.start(config()), { ok: false, reason: 'template_invalid' });
  t.same(r.fake.calls(), []);

  // A PATH with the fake ip and nmcli but no hostapd (and nothing from the host's sbin).
  const s = await rig(t);
  const bin = join(s.runtimeDir, '..', 'bin');
  await mkdir(bin);
  for (const prog of ['ip', 'nmcli']) {
    await writeFile(join(bin, prog), `#!/bin/sh\nunset NODE_OPTIONS\nexec node "${FAKE_AP_DIR}fake-ap.mjs" ${prog} "$@"\n`, { mode: 0o755 });
  }
  const ap = new HostapdSoftAp({ logger: pino({ level: 'silent' }), env: { ...s.fake.env, PATH: `${bin}:${dirname(process.execPath)}` }, templatesDir: TEMPLATES, runtimeDir: s.runtimeDir });
  const result = await ap.start(config());
  t.match(result, { ok: false, reason: 'program_missing', message: 'hostapd is not installed' });
  t.equal(ap.state(), 'stopped');
  t.same(seq(s), [...START.slice(0, 4), 'ip addr flush dev wlan0', 'nmcli device set wlan0 managed yes'], 'undone like any other failure');
});

t.test('start while running restarts with the new config', async (t) => {
  const r = await rig(t);
  t.same(await r.ap.start(config()), { ok: true });
  t.same(await r.ap.start(config({ captiveDns: true })), { ok: true });
  t.same(seq(r), [...START, ...STOP, ...START]);
  const dnsmasqConf = await readFile(join(r.runtimeDir, 'soft-ap', 'dnsmasq.conf'), 'utf8');
  t.match(dnsmasqConf, /^address=\/#\/192\.168\.4\.1$/m);
});

t.test('a bad config while running is refused and leaves the running AP alone', async (t) => {
  const r = await rig(t);
  t.same(await r.ap.start(config()), { ok: true });
  t.match(await r.ap.start(config({ maxClients: 0 })), { ok: false, reason: 'invalid_config', message: 'maxClients: must be 1-10' });
  t.equal(r.ap.state(), 'running');
  t.same(seq(r), START);
});
