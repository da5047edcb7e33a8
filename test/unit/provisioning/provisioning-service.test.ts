import t, { type Test } from 'tap';
import pino from 'pino';
import { DeviceLifecycle } from '../../../src/lifecycle/device-lifecycle.js';
import { EventBus } from '../../../src/core/bus.js';
import { ManualClock } from '../../../src/core/clock.js';
import type { ButtonGesture, Hal } from '../../../src/hal/types.js';
import type { BindOutcome } from '../../../src/provisioning/account-binding.js';
import type { ProvisioningPayload, WifiCredentials } from '../../../src/provisioning/provisioning-payload.js';
import { ProvisioningService, type JoinResult, type QrReading } from '../../../src/provisioning/provisioning-service.js';
import type { PersonalData } from '../../../src/store/personal-data.js';
import { tempDir } from '../../helpers/tmp.js';

/** Lets the service's promise chains (and the life cycle's fact file writes) run to completion. */
const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 5));
};

function payload(over: Partial<ProvisioningPayload> = {}, wifi: Partial<WifiCredentials> = {}): ProvisioningPayload {
  return {
    format: 'prv1',
    wifi: { ssid: 'MyHomeNetwork', ssidAlternates: [], auth: 'wpa', password: 'correct horse battery', rawPsk: false, hidden: false, transitionDisable: false, ...wifi },
    binding: { token: 'K7Q2M9XW4T8ZR3HJ6N1BPC5VDA', region: 'EU' },
    timeZone: 'Europe/Berlin',
    warnings: [],
    ...over,
  };
}

/** Provisioning with a real life cycle and bus; the scanner, Wi-Fi and cloud are driven by the test. */
async function rig(t: Test, opts: { join?: (c: WifiCredentials) => JoinResult; bind?: () => BindOutcome; video?: boolean } = {}) {
  const dir = await tempDir(t);
  const bus = new EventBus();
  const clock = new ManualClock();
  const gestures = new Set<(g: ButtonGesture, ms: number) => void>();
  const hal = {
    button: { onGesture: (l: (g: ButtonGesture, ms: number) => void) => (gestures.add(l), () => gestures.delete(l)), onButtonEvent: () => () => undefined },
    shutter: { isClosed: async () => false, onChange: () => () => undefined },
  } as unknown as Hal;
  const lifecycle = new DeviceLifecycle({ bus, hal, logger: pino({ level: 'silent' }), clock, dataDir: dir, erasePersonalData: async () => undefined });
  const scanners: Array<{ running: boolean; emit: (p: ProvisioningPayload) => void }> = [];
  const joins: WifiCredentials[] = [];
  const binds: string[] = [];
  const stored: Partial<PersonalData> = {};
  const zones: string[] = [];
  const sounds: string[] = [];
  let video = opts.video ?? true;
  let forgets = 0;
  const service = new ProvisioningService({
    bus,
    clock,
    logger: pino({ level: 'silent' }),
    config: () => ({ qrEnabled: true, qrWindowMs: 10 * 60_000 }),
    lifecycle,
    scanner: () => {
      if (!video) return null;
      const listeners = new Set<(p: ProvisioningPayload) => void>();
      const s = { running: false, emit: (p: ProvisioningPayload) => s.running && listeners.forEach((l) => l(p)) };
      scanners.push(s);
      const reading: QrReading = {
        start: async () => void (s.running = true),
        stop: async () => void (s.running = false),
        onRead: (l) => (listeners.add(l), () => listeners.delete(l)),
        forget: () => void forgets++,
      };
      return reading;
    },
    joinWifi: async (c) => {
      joins.push(c);
      return opts.join?.(c) ?? { ok: true };
    },
    bind: async (req) => {
      binds.push(req.token);
      // The cloud link comes up before the cloud can answer.
      await lifecycle.dispatch({ type: 'link-up', bound: false });
      return opts.bind?.() ?? { ok: true, bindingId: 'binding-1' };
    },
    cancelBind: () => undefined,
    store: () => ({ set: async (k, v) => void ((stored as Record<string, unknown>)[k] = v) }),
    setTimeZone: async (z) => void zones.push(z),
    beep: async () => void sounds.push('beep'),
    promptBindingFailed: async () => void sounds.push('binding-failed'),
  });
  t.teardown(async () => {
    await service.stop();
    await lifecycle.stop();
  });
  return {
    bus, clock, lifecycle, service, scanners, joins, binds, stored, zones, sounds,
    press: (g: ButtonGesture) => gestures.forEach((l) => l(g, 200)),
    current: () => scanners.at(-1)!,
    forgets: () => forgets,
    setVideo: (v: boolean) => (video = v),
    async boot() {
      await lifecycle.start();
      await service.start();
      await settle();
    },
  };
}

t.test('a new camera scans; a PRV1 read joins, keeps the credentials encrypted, binds and ends bound', async (t) => {
  const r = await rig(t);
  await r.boot();
  t.equal(r.service.status().phase, 'scanning');
  t.ok(r.current().running);
  r.current().emit(payload());
  await settle();
  t.equal(r.joins.length, 1);
  t.equal(r.joins[0]!.ssid, 'MyHomeNetwork');
  t.same(r.binds, ['K7Q2M9XW4T8ZR3HJ6N1BPC5VDA']);
  t.equal(r.lifecycle.snapshot.state, 'bound');
  t.notOk(r.current().running, 'scanning stopped');
  t.same(r.sounds, ['beep']);
  t.same(r.zones, ['Europe/Berlin']);
  t.match(r.stored.wifi, { ssid: Buffer.from('MyHomeNetwork').toString('base64'), password: 'correct horse battery', security: 'WPA', hidden: false });
  t.match(r.stored.binding, { token: 'binding-1', region: 'EU' });
  t.equal(r.service.status().lastError, null);
});

t.test('a wrong password goes back to provisioning with the reason kept, and scanning resumes', async (t) => {
  const r = await rig(t, { join: () => ({ ok: false, reason: 'auth_failed', message: 'Secrets were required' }) });
  await r.boot();
  r.current().emit(payload());
  await settle();
  t.equal(r.lifecycle.snapshot.state, 'provisioning');
  t.equal(r.lifecycle.snapshot.lastFailure, 'auth_failed');
  t.match(r.service.status(), { phase: 'scanning', lastError: { code: 'auth_failed' } });
  t.equal(r.scanners.length, 2, 'a new scanning window');
  t.ok(r.current().running);
  t.same(r.binds, [], 'no binding without a network');
  // The phone still shows the same code: not tried again at once (no loop of "wrong password")…
  r.current().emit(payload());
  await settle();
  t.equal(r.joins.length, 1, 'the same failing code is not retried at once');
  // …but once the pause is over the scanner may report it again, and it is tried again.
  r.clock.advance(30_000);
  await settle();
  t.equal(r.forgets(), 1, 'the scanner was told to report it again');
  r.current().emit(payload());
  await settle();
  t.equal(r.joins.length, 2, 'tried again after the pause');
});

t.test('a binding refusal leaves the camera online and unbound with the reason and a prompt', async (t) => {
  const r = await rig(t, { bind: () => ({ ok: false, code: 'token_used', message: 'refused' }) });
  await r.boot();
  r.current().emit(payload());
  await settle();
  t.equal(r.lifecycle.snapshot.state, 'online');
  t.equal(r.lifecycle.snapshot.bound, false);
  t.match(r.service.status().lastError, { code: 'token_used' });
  t.same(r.sounds, ['beep', 'binding-failed']);
  t.notOk(r.stored.binding);
});

t.test('a foreign WIFI: code joins and stays online-unbound, no binding attempt', async (t) => {
  const r = await rig(t);
  await r.boot();
  r.current().emit(payload({ format: 'wifi', binding: null, timeZone: null }));
  await settle();
  t.equal(r.joins.length, 1);
  t.same(r.binds, []);
  t.equal(r.lifecycle.snapshot.state, 'joining', 'online once the cloud link comes up');
  await r.lifecycle.dispatch({ type: 'link-up', bound: false });
  t.equal(r.lifecycle.snapshot.state, 'online');
});

t.test('the QR window pauses scanning after 10 minutes; a short press opens a new one', async (t) => {
  const r = await rig(t);
  await r.boot();
  r.clock.advance(10 * 60_000);
  await settle();
  t.equal(r.service.status().phase, 'paused');
  t.notOk(r.current().running);
  r.press('short');
  await settle();
  t.equal(r.service.status().phase, 'scanning');
  t.ok(r.current().running);
});

t.test('a successful payload shown again after a reset to provisioning is not applied twice', async (t) => {
  const r = await rig(t);
  await r.boot();
  r.current().emit(payload());
  await settle();
  t.equal(r.lifecycle.snapshot.state, 'bound');
  await r.lifecycle.dispatch({ type: 'provisioning-started', reason: 'button' });
  await settle();
  t.equal(r.service.status().phase, 'scanning');
  r.current().emit(payload());
  await settle();
  t.equal(r.joins.length, 1, 'ignored');
  r.current().emit(payload({}, { ssid: 'OtherNet' }));
  await settle();
  t.equal(r.joins.length, 2, 'a different code is applied');
});

t.test('no scanning outside provisioning or without video; video arriving later starts it', async (t) => {
  const r = await rig(t, { video: false });
  await r.boot();
  t.equal(r.scanners.length, 0);
  r.setVideo(true);
  r.clock.advance(5000);
  await settle();
  t.equal(r.scanners.length, 1);
  t.ok(r.current().running);
  // Ethernet: the cloud link comes up without Wi-Fi provisioning.
  await r.lifecycle.dispatch({ type: 'link-up', bound: false });
  await settle();
  t.notOk(r.current().running, 'scanning stops when the camera is online');
  r.current().emit(payload());
  await settle();
  t.equal(r.joins.length, 0);
});

t.test('two QR windows opened at once start one scanner, and stop() leaves none running', async (t) => {
  const r = await rig(t);
  await r.boot();
  t.equal(r.scanners.length, 1);
  // Provisioning restarted twice in one tick (unbind while a window reopens): both reach #openWindow together.
  const restart = { from: 'provisioning' as const, to: 'provisioning' as const, reason: 'provisioning restarted', at: r.clock.now() };
  r.bus.emit('state.changed', restart);
  r.bus.emit('state.changed', restart);
  await settle();
  t.equal(r.scanners.filter((s) => s.running).length, 1, 'one scanner runs');
  await r.service.stop();
  t.equal(r.scanners.filter((s) => s.running).length, 0, 'after stop() no scanner (and no QR ffmpeg) is left running');
});
