/**
 * SoftApSession, the soft-AP policy (provisioning.md §6.5, §6.7), with the
 * simulated AP, a scripted scanner and Wi-Fi join, and a ManualClock:
 * scan before the AP, 15 min idle, 30 min cap, single-radio apply (answer
 * first, drop the AP, join, restore with the reason: §7.4 A7), the
 * concurrent-radio variant, and an AP that crashes.
 */
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { ManualClock } from '../../../src/core/clock.js';
import type { WifiCredentials } from '../../../src/provisioning/provisioning-payload.js';
import { softApConfig, type SoftApConfig, type SoftApStartResult } from '../../../src/network/soft-ap.js';
import { SimSoftAp } from '../../../src/network/soft-ap-sim.js';
import { SoftApSession, type SoftApSessionEvent, type SoftApSessionOptions } from '../../../src/network/soft-ap-session.js';
import type { WifiConnection, WifiJoinResult } from '../../../src/network/wifi-manager.js';
import { WifiScanError, type AccessPoint } from '../../../src/network/wifi-scan.js';

const MIN = 60_000;
const CREDS: WifiCredentials = { ssid: 'HomeNet', ssidAlternates: [], auth: 'wpa', password: 'correct horse', rawPsk: false, hidden: false, transitionDisable: false };
const HOME: AccessPoint = { ssid: 'HomeNet', hidden: false, bssid: '02:1A:11:F0:00:01', signal: 82, channel: 6, security: ['WPA2'] };
const CONNECTION: WifiConnection = { ifname: 'wlan0', ssid: 'HomeNet', profile: 'camera-agent-wifi', uuid: '00000000-0000-4000-8000-000000000001', ipv4: '192.168.1.23/24', gateway: '192.168.1.1' };

/** Flushes pending promise callbacks (not a timing wait: nothing here depends on real time). */
const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
};

class Deferred<T> {
  resolve!: (v: T) => void;
  readonly promise = new Promise<T>((r) => (this.resolve = r));
}

/** The simulated AP, with its calls written into the shared trace. */
class TracingAp extends SimSoftAp {
  constructor(private readonly trace: string[]) {
    super();
  }

  override async start(config: SoftApConfig): Promise<SoftApStartResult> {
    this.trace.push(`ap.start(${config.captiveDns ? 'portal' : 'app'})`);
    return super.start(config);
  }

  override async stop(): Promise<void> {
    if (this.state() === 'running' || this.state() === 'failed') this.trace.push('ap.stop');
    return super.stop();
  }
}

interface Rig {
  session: SoftApSession;
  ap: TracingAp;
  clock: ManualClock;
  trace: string[];
  events: SoftApSessionEvent[];
  /** The next join() call: resolve it with the result the radio gives. */
  joins: Array<Deferred<WifiJoinResult>>;
  scanResult: { aps: AccessPoint[] } | { error: WifiScanError };
}

function rig(t: Test, opts: Partial<SoftApSessionOptions> = {}): Rig {
  const trace: string[] = [];
  const clock = new ManualClock();
  const ap = new TracingAp(trace);
  const joins: Array<Deferred<WifiJoinResult>> = [];
  const r: Rig = { session: null as unknown as SoftApSession, ap, clock, trace, events: [], joins, scanResult: { aps: [HOME] } };
  r.session = new SoftApSession({
    softAp: ap,
    scanner: {
      scan: async () => {
        trace.push('scan');
        if ('error' in r.scanResult) throw r.scanResult.error;
        return r.scanResult.aps;
      },
    },
    wifi: {
      join: (creds, o) => {
        trace.push(`join(${creds.ssid}, ${o?.timeoutMs})`);
        const d = new Deferred<WifiJoinResult>();
        joins.push(d);
        return d.promise;
      },
    },
    clock,
    logger: pino({ level: 'silent' }),
    config: softApConfig({ ifname: 'wlan0', model: 'CAM100', serial: 'AC10022345677890', passphrase: 'K7QM2XH9PZ4D', countryCode: 'DE' }),
    ...opts,
  });
  r.session.on((e) => r.events.push(e));
  t.teardown(() => r.session.close());
  return r;
}

const failed = (reason: 'auth_failed' | 'ap_not_found'): WifiJoinResult => ({ ok: false, reason, message: 'x', rolledBack: false });

t.test('open scans first, then starts the AP; the scan is kept for /wifi/scan', async (t) => {
  const r = rig(t);
  t.same(await r.session.open(), { ok: true });
  t.same(r.trace, ['scan', 'ap.start(app)']);
  t.match(r.session.status(), { state: 'open', mode: 'app', ssid: 'CAM100-7890', address: '192.168.4.1', clients: 0, lastError: null, apWillDrop: true });
  t.same(r.session.cachedScan(), { at: r.clock.now(), aps: [HOME], error: null });
  t.same(r.events, [{ type: 'opened', mode: 'app' }]);
  t.equal(r.ap.config()?.captiveDns, false, 'no wildcard DNS in app mode');
  t.same(await r.session.open(), { ok: true }, 'opening again in the same mode changes nothing');
  t.same(r.trace, ['scan', 'ap.start(app)']);
});

t.test('a failed scan leaves an empty list with its reason; the AP starts anyway', async (t) => {
  const r = rig(t);
  r.scanResult = { error: new WifiScanError('radio_off', 'Wi-Fi radio is switched off') };
  t.same(await r.session.open('portal'), { ok: true });
  t.match(r.session.cachedScan(), { aps: [], error: 'radio_off' });
  t.equal(r.ap.config()?.captiveDns, true, 'portal mode: wildcard DNS');
});

t.test('the AP closes after 15 min without any client (§7.4 A11)', async (t) => {
  const r = rig(t);
  await r.session.open();
  r.clock.advance(15 * MIN - 1);
  t.equal(r.session.status().state, 'open');
  r.clock.advance(1);
  await settle();
  t.match(r.session.status(), { state: 'closed', closeReason: 'idle' });
  t.equal(r.ap.state(), 'stopped');
  t.same(r.events.at(-1), { type: 'closed', reason: 'idle' });
  t.same(await r.session.open(), { ok: true }, 'a button press re-arms it');
  t.equal(r.session.status().state, 'open');
});

t.test('a client holds off the idle timeout; it restarts when the last one leaves', async (t) => {
  const r = rig(t, { maxOpenMs: 60 * MIN });
  await r.session.open();
  r.clock.advance(10 * MIN);
  r.ap.setClients(1);
  r.clock.advance(14 * MIN);
  r.ap.setClients(0);
  r.clock.advance(15 * MIN - 1);
  await settle();
  t.equal(r.session.status().state, 'open', '39 min open, but never 15 min without a client');
  r.clock.advance(1);
  await settle();
  t.match(r.session.status(), { state: 'closed', closeReason: 'idle' });
  t.same(r.events.filter((e) => e.type === 'clients'), [{ type: 'clients', count: 1 }, { type: 'clients', count: 0 }]);
});

t.test('hard cap: 30 min per entry, even with a phone connected', async (t) => {
  const r = rig(t);
  await r.session.open();
  r.ap.setClients(2);
  r.clock.advance(30 * MIN - 1);
  t.equal(r.session.status().state, 'open');
  r.clock.advance(1);
  await settle();
  t.match(r.session.status(), { state: 'closed', closeReason: 'hard_cap', clients: 0 });
  t.equal(r.clock.pendingTimers(), 0, 'no timer left behind');
});

t.test('single radio, wrong password: answer first, AP down, join, AP back with lastError (§7.4 A7)', async (t) => {
  const r = rig(t);
  await r.session.open();
  r.ap.setClients(1);
  t.same(r.session.applyPlan(), { apWillDrop: true, retryAfterMs: 45_000 });
  const answered = new Deferred<void>();
  const outcome = r.session.applyAndJoin(CREDS, { answered: answered.promise });
  await settle();
  t.equal(r.session.status().state, 'joining');
  t.same(r.trace, ['scan', 'ap.start(app)'], 'nothing happens to the radio before the answer is out');
  answered.resolve();
  await settle();
  t.same(r.trace.slice(2), ['ap.stop', 'join(HomeNet, 45000)']);
  t.equal(r.session.status().clients, 0, 'the phone lost the AP');
  r.scanResult = { aps: [HOME, { ...HOME, ssid: 'Neighbour', bssid: '02:1A:11:F0:00:09' }] };
  r.clock.advance(1_000);
  r.joins[0]!.resolve(failed('auth_failed'));
  t.same(await outcome, { ok: false, reason: 'auth_failed', apRestored: true });
  t.same(r.trace.slice(4), ['scan', 'ap.start(app)'], 'fresh scan while the radio is free, then the AP is back');
  t.match(r.session.status(), { state: 'open', lastError: 'auth_failed', attempt: 1 });
  t.equal(r.session.cachedScan()?.aps.length, 2);
  t.same(
    r.events.filter((e) => e.type !== 'clients'),
    [
      { type: 'opened', mode: 'app' },
      { type: 'joining', attempt: 1, apDropped: true },
      { type: 'join-failed', reason: 'auth_failed', apRestored: true },
    ],
  );
  // The phone comes back and retries with the right password.
  const second = r.session.applyAndJoin(CREDS);
  await settle();
  r.joins[1]!.resolve({ ok: true, connection: CONNECTION });
  t.same(await second, { ok: true, connection: CONNECTION });
  t.match(r.session.status(), { state: 'joined', lastError: null, attempt: 2, closeReason: 'joined', connection: CONNECTION });
  t.equal(r.ap.state(), 'stopped', 'a single radio stays a station after success');
  t.equal(r.clock.pendingTimers(), 0);
});

t.test('the answer is waited for 2 s at most', async (t) => {
  const r = rig(t);
  await r.session.open();
  void r.session.applyAndJoin(CREDS, { answered: new Promise(() => undefined) });
  await settle();
  t.notOk(r.trace.includes('ap.stop'));
  r.clock.advance(2_000);
  await settle();
  t.same(r.trace.slice(2), ['ap.stop', 'join(HomeNet, 45000)']);
  r.joins[0]!.resolve(failed('ap_not_found'));
});

t.test('the AP that cannot come back after a failed join closes the entry with its reason', async (t) => {
  const r = rig(t);
  await r.session.open();
  const outcome = r.session.applyAndJoin(CREDS);
  await settle();
  r.ap.failNextStart('hostapd_failed', 'driver refused AP mode');
  r.joins[0]!.resolve(failed('ap_not_found'));
  t.same(await outcome, { ok: false, reason: 'ap_not_found', apRestored: false });
  t.match(r.session.status(), { state: 'failed', lastError: 'ap_not_found', apError: 'hostapd_failed', closeReason: 'ap_failed' });
});

t.test('the hard cap during a join: the join finishes, the AP does not come back', async (t) => {
  const r = rig(t);
  await r.session.open();
  r.ap.setClients(1);
  r.clock.advance(29 * MIN);
  const outcome = r.session.applyAndJoin(CREDS);
  await settle();
  r.clock.advance(MIN);
  await settle();
  t.equal(r.session.status().state, 'joining');
  r.joins[0]!.resolve(failed('auth_failed'));
  t.same(await outcome, { ok: false, reason: 'auth_failed', apRestored: false });
  t.match(r.session.status(), { state: 'closed', closeReason: 'hard_cap', lastError: 'auth_failed' });
  t.equal(r.trace.filter((l) => l.startsWith('ap.start')).length, 1);
});

t.test('concurrent radio: the AP stays up during the join and 60 s after success', async (t) => {
  const r = rig(t, { concurrent: true });
  await r.session.open();
  t.same(r.session.applyPlan(), { apWillDrop: false, retryAfterMs: 45_000 });
  const first = r.session.applyAndJoin(CREDS);
  await settle();
  t.same(r.trace, ['scan', 'ap.start(app)', 'join(HomeNet, 45000)'], 'no AP drop');
  r.joins[0]!.resolve(failed('auth_failed'));
  t.same(await first, { ok: false, reason: 'auth_failed', apRestored: true });
  t.match(r.session.status(), { state: 'open', lastError: 'auth_failed' });

  const second = r.session.applyAndJoin(CREDS);
  await settle();
  r.joins[1]!.resolve({ ok: true, connection: CONNECTION });
  t.same(await second, { ok: true, connection: CONNECTION });
  t.equal(r.ap.state(), 'running', 'the app can still read the final status');
  r.clock.advance(60_000);
  await settle();
  t.match(r.session.status(), { state: 'joined', closeReason: 'joined' });
  t.equal(r.ap.state(), 'stopped');
});

t.test('apply only while open, one at a time', async (t) => {
  const r = rig(t);
  t.same(await r.session.applyAndJoin(CREDS), { ok: false, reason: 'not_open', apRestored: false });
  await r.session.open();
  const first = r.session.applyAndJoin(CREDS);
  t.same(await r.session.applyAndJoin(CREDS), { ok: false, reason: 'busy', apRestored: true });
  await settle();
  r.joins[0]!.resolve(failed('auth_failed'));
  await first;
});

t.test('an AP that crashes is restarted once; a second crash closes the entry', async (t) => {
  const r = rig(t);
  await r.session.open('portal');
  r.ap.setClients(1);
  r.ap.crash('hostapd_exited');
  await settle();
  t.same(r.trace, ['scan', 'ap.start(portal)', 'ap.start(portal)']);
  t.match(r.session.status(), { state: 'open', apError: 'hostapd_exited', clients: 0 });
  t.same(r.events.filter((e) => e.type === 'ap-down'), [{ type: 'ap-down', reason: 'hostapd_exited', restarted: true }]);
  r.clock.advance(15 * MIN);
  await settle();
  t.match(r.session.status(), { state: 'closed', closeReason: 'idle' }, 'the idle timer runs again after the restart');

  const s = rig(t);
  await s.session.open();
  s.ap.crash('dnsmasq_exited');
  await settle();
  s.ap.crash('dnsmasq_exited');
  await settle();
  t.match(s.session.status(), { state: 'failed', closeReason: 'ap_failed', apError: 'dnsmasq_exited' });
  t.same(s.events.filter((e) => e.type === 'ap-down').map((e) => (e as { restarted: boolean }).restarted), [true, false]);
});

t.test('an AP that does not start leaves the entry failed with the reason', async (t) => {
  const r = rig(t);
  r.ap.failNextStart('interface_missing');
  t.match(await r.session.open(), { ok: false, reason: 'interface_missing' });
  t.match(r.session.status(), { state: 'failed', apError: 'interface_missing' });
  t.equal(r.clock.pendingTimers(), 0);
  t.same(await r.session.open(), { ok: true }, 'and can be opened again');
});

t.test('switching mode restarts the AP; close during a join leaves the radio alone afterwards', async (t) => {
  const r = rig(t);
  await r.session.open('app');
  await r.session.open('portal');
  t.same(r.trace, ['scan', 'ap.start(app)', 'ap.stop', 'scan', 'ap.start(portal)']);

  const outcome = r.session.applyAndJoin(CREDS);
  await settle();
  await r.session.close();
  t.match(r.session.status(), { state: 'closed', closeReason: 'requested' });
  r.joins[0]!.resolve(failed('auth_failed'));
  t.same(await outcome, { ok: false, reason: 'auth_failed', apRestored: false });
  t.equal(r.ap.state(), 'stopped', 'no AP restored after close()');
  t.equal(r.trace.filter((l) => l.startsWith('ap.start')).length, 2);
});

t.test('stop() (the Service contract) closes the entry', async (t) => {
  const r = rig(t);
  await r.session.start();
  await r.session.open();
  await r.session.stop();
  t.match(r.session.status(), { state: 'closed', closeReason: 'requested' });
  t.equal(r.ap.state(), 'stopped');
});
