/**
 * The status-LED check on the linux HAL's real SysfsStatusLed, reading back
 * a stand-in /sys/class/leds tree (plain files: they keep the last word
 * written, where the kernel would list every trigger with the active one in
 * brackets — the readback understands both).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { systemClock } from '../../../src/core/clock.js';
import { SysfsLedChannel } from '../../../src/hal/linux/sysfs-led-channel.js';
import { SysfsStatusLed } from '../../../src/hal/linux/sysfs-status-led.js';
import type { CheckContext } from '../../../src/selftest/check.js';
import { statusLedCheck } from '../../../src/selftest/checks/status-led.js';
import { SysfsLedReadback } from '../../../src/selftest/sysfs-led-readback.js';
import { tempDir } from '../../helpers/tmp.js';

const logger = pino({ level: 'silent' });

function ledDir(root: string, name: string, timer: boolean): string {
  const dir = join(root, 'sys/class/leds', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'max_brightness'), '1\n');
  writeFileSync(join(dir, 'brightness'), '0\n');
  writeFileSync(join(dir, 'trigger'), timer ? '[none] timer heartbeat\n' : '[none] heartbeat\n');
  return dir;
}

function context(): { ctx: CheckContext; cleanup(): Promise<void> } {
  const steps: (() => unknown)[] = [];
  return {
    ctx: { clock: systemClock, signal: new AbortController().signal, onCleanup: (s) => void steps.push(s), prompt: () => undefined },
    cleanup: async () => {
      for (const s of steps.reverse()) await s();
    },
  };
}

for (const timer of [true, false]) {
  t.test(`every pattern reads back from sysfs (${timer ? 'with' : 'without'} the kernel timer trigger)`, async (t) => {
    const root = await tempDir(t);
    const dirs = { blue: ledDir(root, 'blue:status', timer), red: ledDir(root, 'red:status', timer) };
    const led = new SysfsStatusLed({ blue: new SysfsLedChannel('blue', dirs.blue, logger), red: new SysfsLedChannel('red', dirs.red, logger), clock: systemClock });
    await led.start();
    t.teardown(() => led.stop());
    const { ctx, cleanup } = context();
    const outcome = await statusLedCheck({ led, readback: new SysfsLedReadback(dirs) }).run(ctx);
    await cleanup();
    t.same(outcome, { pass: true, measured: 8 });
    t.equal(led.current(), 'off', 'cleanup leaves the LED off');
  });
}

t.test('a board whose red LED is missing from sysfs fails with led_missing', async (t) => {
  const root = await tempDir(t);
  const dirs = { blue: ledDir(root, 'blue:status', true), red: join(root, 'sys/class/leds/red:status') };
  const led = new SysfsStatusLed({ blue: new SysfsLedChannel('blue', dirs.blue, logger), red: new SysfsLedChannel('red', dirs.red, logger), clock: systemClock });
  await led.start();
  t.teardown(() => led.stop());
  const { ctx, cleanup } = context();
  const outcome = await statusLedCheck({ led, readback: new SysfsLedReadback(dirs) }).run(ctx);
  await cleanup();
  t.match(outcome, { pass: false, code: 'led_missing', detail: 'no red LED in sysfs' });
});

t.test('an LED that does not follow the driver (wired to the wrong GPIO) is a readback mismatch', async (t) => {
  const root = await tempDir(t);
  const dirs = { blue: ledDir(root, 'blue:status', false), red: ledDir(root, 'red:status', false) };
  const led = new SysfsStatusLed({ blue: new SysfsLedChannel('blue', dirs.blue, logger), red: new SysfsLedChannel('red', dirs.red, logger), clock: systemClock });
  await led.start();
  t.teardown(() => led.stop());
  // The readback looks at a different LED than the one being driven.
  const other = ledDir(root, 'green:other', false);
  const { ctx, cleanup } = context();
  const outcome = await statusLedCheck({ led, readback: new SysfsLedReadback({ blue: other, red: dirs.red }) }).run(ctx);
  await cleanup();
  t.match(outcome, { pass: false, code: 'led_readback_mismatch' });
  t.match(!outcome.pass && outcome.detail, /online: blue off\/red off, want on\/off/);
});
