import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync, closeSync, constants } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { systemClock } from '../../../src/core/clock.js';
import { EvdevButton } from '../../../src/hal/linux/evdev-button.js';
import { GpiomonButton } from '../../../src/hal/linux/gpiomon-button.js';
import { encodeInputEvent, EV_KEY } from '../../../src/hal/linux/input-events.js';
import type { ButtonGesture } from '../../../src/hal/types.js';
import { captureLogger, nextEvent, processAlive, tempDir } from './fixtures/hal-test-kit.js';

type Gesture = { gesture: ButtonGesture; heldMs: number };
/** Hold times are float ms; compare to the microsecond. */
const roughly = (g: Gesture): Gesture => ({ gesture: g.gesture, heldMs: Math.round(g.heldMs * 1000) / 1000 });
const nextGesture = (b: { onGesture(l: (g: ButtonGesture, ms: number) => void): () => void }, ms = 5000) =>
  nextEvent<Gesture>((cb) => b.onGesture((gesture, heldMs) => cb({ gesture, heldMs })), ms, 'gesture');

t.test('evdev: gestures from packed input_event records written to a FIFO', async (t) => {
  for (const layout of ['64', '32'] as const) {
    const root = tempDir(t);
    mkdirSync(join(root, 'dev/input'), { recursive: true });
    const fifo = join(root, 'dev/input/event0');
    execFileSync('mkfifo', [fifo]);
    const button = new EvdevButton({ path: fifo, keyCode: 408, layout, clock: systemClock, logger: captureLogger().logger });
    await button.start();
    // Keep a writer open so the reader sees "no data yet" rather than EOF, like a real device.
    const fd = openSync(fifo, constants.O_RDWR);
    const rec = (sec: number, type: number, code: number, value: number) =>
      encodeInputEvent({ timeMs: sec * 1000, type, code, value }, layout);
    const gesture = nextGesture(button);
    writeSync(
      fd,
      Buffer.concat([
        rec(1000, EV_KEY, 116, 1), // another key: ignored
        rec(1000, EV_KEY, 408, 1),
        rec(1000, 0, 0, 0), // SYN_REPORT
        rec(1003, EV_KEY, 408, 2), // autorepeat: ignored
        rec(1006.5, EV_KEY, 408, 0),
        rec(1006.5, 0, 0, 0),
      ]),
    );
    t.same(roughly(await gesture), { gesture: 'reset-provisioning', heldMs: 6500 }, `${layout}-bit layout, timed by the kernel stamps`);
    await button.stop();
    closeSync(fd);
  }
});

t.test('evdev: a record split across writes is reassembled', async (t) => {
  const root = tempDir(t);
  const fifo = join(root, 'event0');
  execFileSync('mkfifo', [fifo]);
  const button = new EvdevButton({ path: fifo, keyCode: 408, layout: '64', clock: systemClock, logger: captureLogger().logger });
  await button.start();
  const fd = openSync(fifo, constants.O_RDWR);
  const both = Buffer.concat([
    encodeInputEvent({ timeMs: 5000, type: EV_KEY, code: 408, value: 1 }, '64'),
    encodeInputEvent({ timeMs: 5200, type: EV_KEY, code: 408, value: 0 }, '64'),
  ]);
  const gesture = nextGesture(button);
  writeSync(fd, both.subarray(0, 10));
  writeSync(fd, both.subarray(10));
  t.same(roughly(await gesture), { gesture: 'short', heldMs: 200 });
  await button.stop();
  closeSync(fd);
});

t.test('evdev: a missing device is a warning and stop() still returns promptly', async (t) => {
  const { logger, lines } = captureLogger();
  const button = new EvdevButton({ path: join(tempDir(t), 'nope'), keyCode: 408, layout: '64', clock: systemClock, logger });
  await button.start();
  await button.stop();
  t.ok(lines.some((l) => l.level === 40 && String(l.msg).includes('unavailable')));
});

/** A stand-in gpiomon first on PATH: prints what libgpiod 1.6.3 would, records its pid and argv. */
function fakeGpiomon(t: Parameters<typeof tempDir>[0], script: string): { dir: string; pids: () => number[]; argv: () => string } {
  const dir = tempDir(t);
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'gpiomon'),
    `#!/bin/sh\necho $$ >> "${dir}/pids"\necho "$@" > "${dir}/argv"\n${script}\n`,
  );
  chmodSync(join(bin, 'gpiomon'), 0o755);
  const oldPath = process.env.PATH;
  process.env.PATH = `${bin}:${oldPath ?? ''}`;
  t.teardown(() => {
    process.env.PATH = oldPath;
  });
  return {
    dir,
    pids: () => readFileSync(join(dir, 'pids'), 'utf8').trim().split('\n').map(Number),
    argv: () => readFileSync(join(dir, 'argv'), 'utf8').trim(),
  };
}

t.test('gpiod: edges printed by gpiomon become gestures; active-low inverts; the child is gone after stop', async (t) => {
  const fake = fakeGpiomon(
    t,
    [
      // One write, as gpiomon flushes a backlog: the hold must come from the stamps.
      `printf 'event: FALLING EDGE offset: 5 timestamp: [     812.100000000]\\n` +
        `event:  RISING EDGE offset: 6 timestamp: [     812.200000000]\\n` +
        `event:  RISING EDGE offset: 5 timestamp: [     828.350000000]\\n'`,
      // Stay alive like the real tool, replacing the shell so the recorded pid is the one to kill.
      'exec sleep 600',
    ].join('\n'),
  );
  const button = new GpiomonButton({ chip: 'gpiochip0', line: 5, activeLow: true, clock: systemClock, logger: captureLogger().logger });
  t.teardown(() => button.stop());
  const gesture = nextGesture(button);
  await button.start();
  t.same(roughly(await gesture), { gesture: 'factory-reset', heldMs: 16250 });
  t.equal(fake.argv(), '-b gpiochip0 5', 'argv, line-buffered');
  const [pid] = fake.pids();
  t.ok(pid !== undefined && processAlive(pid));
  await button.stop();
  t.notOk(processAlive(pid ?? -1), 'no leftover gpiomon');
});

t.test('gpiod: a dying gpiomon is restarted with backoff and stop() cancels the restart', async (t) => {
  const fake = fakeGpiomon(
    t,
    [
      `n=$(wc -l < "$(dirname "$0")/../pids")`,
      // First run dies with an error, like a line busy at boot; the second one works.
      `if [ "$n" -eq 1 ]; then echo 'gpiomon: error setting up: Device or resource busy' >&2; exit 1; fi`,
      `printf 'event:  RISING EDGE offset: 3 timestamp: [1700000000.000000000]\\nevent: FALLING EDGE offset: 3 timestamp: [1700000000.400000000]\\n'`,
      'exec sleep 600',
    ].join('\n'),
  );
  const { logger, lines } = captureLogger();
  const button = new GpiomonButton({
    chip: '0',
    line: 3,
    activeLow: false,
    clock: systemClock,
    logger,
    backoff: { initialMs: 20, maxMs: 100, healthyAfterMs: 10_000 },
  });
  t.teardown(() => button.stop());
  const gesture = nextGesture(button);
  await button.start();
  t.same(roughly(await gesture), { gesture: 'short', heldMs: 400 });
  t.ok(lines.some((l) => l.msg === 'gpiomon exited; restarting' && String(l.stderr).includes('busy')), 'exit logged with stderr');
  const pids = fake.pids();
  t.equal(pids.length, 2);
  await button.stop();
  for (const pid of pids) t.notOk(processAlive(pid), `pid ${pid} gone`);
});

t.test('gpiod: gpiomon missing from PATH is retried, and stop() ends it cleanly', async (t) => {
  const { logger, onLine } = captureLogger();
  const button = new GpiomonButton({
    chip: '0',
    line: 3,
    activeLow: false,
    clock: systemClock,
    logger,
    command: join(tempDir(t), 'no-such-gpiomon'),
    backoff: { initialMs: 10, maxMs: 20, healthyAfterMs: 10_000 },
  });
  // Two failures in a row: it keeps retrying rather than giving up.
  let failures = 0;
  const logged = nextEvent<unknown>((cb) => onLine((l) => l.msg === 'gpiomon exited; restarting' && ++failures === 2 && cb(l)));
  await button.start();
  await logged;
  await button.stop();
});
