import t, { type Test } from 'tap';
import pino from 'pino';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeviceLifecycle } from '../../../src/lifecycle/device-lifecycle.js';
import { dataLayout } from '../../../src/storage/data-layout.js';
import { EventBus, type BusEvents } from '../../../src/core/bus.js';
import { ManualClock } from '../../../src/core/clock.js';
import type { ButtonGesture, Hal } from '../../../src/hal/types.js';
import { tempDir } from '../../helpers/tmp.js';

/** The two inputs the life cycle listens to, driven by the test. */
function board(closed = false) {
  const gestures = new Set<(g: ButtonGesture, ms: number) => void>();
  const shutters = new Set<(c: boolean) => void>();
  let shut = closed;
  const hal = {
    button: { onGesture: (l: (g: ButtonGesture, ms: number) => void) => (gestures.add(l), () => gestures.delete(l)), onButtonEvent: () => () => undefined },
    shutter: { isClosed: async () => shut, onChange: (l: (c: boolean) => void) => (shutters.add(l), () => shutters.delete(l)) },
  } as unknown as Hal;
  return {
    hal,
    press: (g: ButtonGesture) => gestures.forEach((l) => l(g, 1000)),
    shutter: (c: boolean) => {
      shut = c;
      shutters.forEach((l) => l(c));
    },
    listeners: () => gestures.size + shutters.size,
  };
}

async function rig(t: Test, closed = false) {
  const dir = await tempDir(t);
  const bus = new EventBus();
  const changes: Array<BusEvents['state.changed']> = [];
  bus.on('state.changed', (c) => changes.push(c));
  const b = board(closed);
  const erased: number[] = [];
  const lc = new DeviceLifecycle({
    bus,
    hal: b.hal,
    logger: pino({ level: 'silent' }),
    clock: new ManualClock(),
    dataDir: dir,
    erasePersonalData: async () => void erased.push(changes.length),
  });
  return { dir, bus, changes, b, lc, erased };
}

const settle = () => new Promise((r) => setImmediate(r));

t.test('a new camera enters provisioning at first boot', async (t) => {
  const { lc, changes } = await rig(t);
  await lc.start();
  t.same(changes.map((c) => [c.from, c.to]), [['factory-new', 'factory-new'], ['factory-new', 'provisioning']]);
  await lc.stop();
});

t.test('a provisioned, bound camera resumes joining and remembers being bound', async (t) => {
  const { lc, dir, changes } = await rig(t);
  await writeFile(dataLayout(dir).deviceState, JSON.stringify({ provisioned: true, bound: true }));
  await lc.start();
  t.equal(lc.snapshot.state, 'joining');
  t.equal(lc.snapshot.bound, true);
  t.equal(changes.length, 1, 'only the boot announcement');
  await lc.dispatch({ type: 'link-up', bound: true });
  t.equal(lc.snapshot.state, 'bound');
});

t.test('facts are persisted when they change and survive a restart', async (t) => {
  const { lc, dir } = await rig(t);
  await lc.start();
  await lc.dispatch({ type: 'credentials-received' });
  await lc.dispatch({ type: 'link-up', bound: false });
  await lc.dispatch({ type: 'bound' });
  t.same(JSON.parse(await readFile(dataLayout(dir).deviceState, 'utf8')), { provisioned: true, bound: true });
});

t.test('a corrupt facts file starts the camera as new, with a warning', async (t) => {
  const { lc, dir } = await rig(t);
  await writeFile(dataLayout(dir).deviceState, '{"provisioned": tr');
  await lc.start();
  t.equal(lc.snapshot.state, 'provisioning');
});

t.test('the reset button restarts provisioning (5 s) or resets to factory-new (15 s)', async (t) => {
  const { lc, b, changes, bus, erased } = await rig(t);
  const gestures: string[] = [];
  bus.on('button.gesture', (g) => gestures.push(g.gesture));
  await lc.start();
  changes.length = 0;
  b.press('reset-provisioning');
  await settle();
  t.same(changes.map((c) => [c.from, c.to, c.reason]), [['provisioning', 'provisioning', 'provisioning (button)']], 'announced even without a state change');
  changes.length = 0;
  b.press('factory-reset');
  await settle();
  await settle();
  t.same(changes.map((c) => c.to), ['factory-new', 'provisioning']);
  t.same(erased, [0], 'personal data erased once, before the state changed');
  b.press('short');
  t.same(gestures, ['reset-provisioning', 'factory-reset', 'short'], 'every gesture is on the bus');
});

t.test('the privacy shutter overlays the state, also when closed at boot', async (t) => {
  const { lc, b } = await rig(t, true);
  await lc.start();
  t.equal(lc.snapshot.state, 'privacy');
  t.equal(lc.snapshot.underlying, 'provisioning');
  b.shutter(false);
  await settle();
  t.equal(lc.snapshot.state, 'provisioning');
  b.shutter(true);
  await settle();
  t.equal(lc.snapshot.state, 'privacy');
});

t.test('stop() unsubscribes from the hardware', async (t) => {
  const { lc, b } = await rig(t);
  await lc.start();
  t.equal(b.listeners(), 2);
  await lc.stop();
  t.equal(b.listeners(), 0);
});
