import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ManualClock } from '../../../src/core/clock.js';
import { defaultHalConfig } from '../../../src/hal/config.js';
import { isHalError } from '../../../src/hal/hal-error.js';
import { createHal } from '../../../src/hal/index.js';
import { SimHal } from '../../../src/hal/sim/sim-hal.js';
import { captureLogger, nextEvent, tempDir } from './fixtures/hal-test-kit.js';

function simHal(t: Parameters<typeof tempDir>[0], overrides: Partial<typeof defaultHalConfig.sim> = {}) {
  const dir = tempDir(t);
  const clock = new ManualClock();
  const { logger, lines, onLine } = captureLogger();
  const sim = { ...defaultHalConfig.sim, buttonFile: join(dir, 'button'), shutterFile: join(dir, 'shutter'), ...overrides };
  const hal = new SimHal({ ...defaultHalConfig, sim }, { logger, clock });
  // The press starts when the watcher has read the line; the log line says so.
  const pressStarted = (ms: number) =>
    nextEvent<unknown>((cb) => onLine((l) => l.pressMs === ms && cb(l)), 5000, `press of ${ms} ms`);
  return { dir, clock, hal, lines, sim, pressStarted };
}

t.test('createHal picks the simulator for mode sim', async (t) => {
  const hal = createHal(defaultHalConfig, { logger: captureLogger().logger, clock: new ManualClock() });
  t.equal(hal.mode, 'sim');
  t.ok(hal instanceof SimHal);
});

t.test('LED and speaker log what they would show and say, and remember it', async (t) => {
  const { hal, lines } = simHal(t);
  await hal.led.show('provisioning');
  await hal.speaker.playPrompt('qr-read', 'de');
  t.equal(hal.led.current(), 'provisioning');
  t.same(hal.speaker.lastPrompt(), { prompt: 'qr-read', language: 'de' });
  t.match(
    lines.filter((l) => 'led' in l || 'prompt' in l),
    [{ led: 'provisioning' }, { prompt: 'qr-read', language: 'de' }],
  );
});

t.test('presses appended to the button file become gestures, held in clock time', async (t) => {
  const { clock, hal, lines, sim, pressStarted } = simHal(t);
  writeFileSync(sim.buttonFile, 'press 99999\n'); // history before start: ignored
  await hal.start();
  t.teardown(() => hal.stop());
  const gestures: string[] = [];
  const thresholds: string[] = [];
  hal.button.onGesture((g) => gestures.push(g));
  hal.button.onButtonEvent((e) => e.type === 'threshold' && thresholds.push(e.threshold));

  let next = pressStarted(200);
  appendFileSync(sim.buttonFile, 'press 200\n');
  await next;
  clock.advance(230);
  t.same(gestures, ['short']);

  next = pressStarted(6000);
  appendFileSync(sim.buttonFile, 'bogus line\npress 6000\n');
  await next;
  clock.advance(5000);
  t.same(thresholds, ['reset-provisioning'], 'feedback while still held');
  clock.advance(1030);
  t.same(gestures, ['short', 'reset-provisioning']);
  t.ok(
    lines.some((l) => l.line === 'bogus line' && String(l.msg).includes('malformed')),
    'malformed line logged and skipped',
  );

  next = pressStarted(16000);
  appendFileSync(sim.buttonFile, 'press 16000\n');
  await next;
  clock.advance(16030);
  t.same(gestures, ['short', 'reset-provisioning', 'factory-reset']);
  t.same(thresholds, ['reset-provisioning', 'reset-provisioning', 'factory-reset']);
});

t.test('simulatePress resolves on release and refuses overlaps and bad durations', async (t) => {
  const { clock, hal } = simHal(t, { buttonFile: '' });
  await hal.start();
  t.teardown(() => hal.stop());
  const gesture = nextEvent<string>((cb) => hal.button.onGesture(cb));
  const done = hal.simulatePress(5000);
  await t.rejects(hal.simulatePress(100), { code: 'button_busy' });
  clock.advance(5000);
  await done;
  clock.advance(30);
  t.equal(await gesture, 'reset-provisioning');
  await hal.simulatePress(0).catch((err: unknown) => t.ok(isHalError(err, 'invalid_press_duration')));
});

t.test('the shutter follows its file and setShutter, notifying on change only', async (t) => {
  const { hal, sim } = simHal(t);
  writeFileSync(sim.shutterFile, 'closed\n');
  await hal.start();
  t.teardown(() => hal.stop());
  t.equal(await hal.shutter.isClosed(), true, 'initial state from the file');
  const opened = nextEvent<boolean>((cb) => hal.shutter.onChange(cb));
  writeFileSync(sim.shutterFile, 'open\n');
  t.equal(await opened, false);
  const seen: boolean[] = [];
  hal.shutter.onChange((c) => seen.push(c));
  hal.setShutter(false);
  hal.setShutter(true);
  t.same(seen, [true]);
});

t.test('without a shutter file the shutter is always open', async (t) => {
  const { hal } = simHal(t, { shutterFile: '' });
  await hal.start();
  t.equal(await hal.shutter.isClosed(), false);
  await hal.stop();
});

t.test('facts come from configuration plus process uptime', async (t) => {
  const { hal } = simHal(t);
  const facts = await hal.facts.read();
  t.match(facts, { serial: 'SIM0000001', mac: '02:00:00:00:00:01', firmwareVersion: '0.0.0-sim', temperatureC: null });
  t.ok(facts.uptimeSeconds > 0);
});

t.test('with hal.facts.firmwareVersionFile the version comes from that file at every read, else from configuration', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'running-version');
  const hal = new SimHal({ ...defaultHalConfig, facts: { ...defaultHalConfig.facts, firmwareVersionFile: file } }, { logger: captureLogger().logger, clock: new ManualClock() });
  t.equal((await hal.facts.read()).firmwareVersion, '0.0.0-sim', 'missing file: the configured version');
  writeFileSync(file, '1.2.0\n');
  t.equal((await hal.facts.read()).firmwareVersion, '1.2.0');
  writeFileSync(file, '  1.3.0-rc.1  \nbuilt 2026-01-01\n');
  t.equal((await hal.facts.read()).firmwareVersion, '1.3.0-rc.1', 'after the "reboot": first line, trimmed');
  writeFileSync(file, '\n');
  t.equal((await hal.facts.read()).firmwareVersion, '0.0.0-sim', 'an empty file: the configured version');
});
