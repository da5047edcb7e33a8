import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ManualClock } from '../../../src/core/clock.js';
import { defaultHalConfig, type HalConfig } from '../../../src/hal/config.js';
import { createHal } from '../../../src/hal/index.js';
import { LinuxHal } from '../../../src/hal/linux/linux-hal.js';
import { captureLogger, nextEvent, tempDir } from './fixtures/hal-test-kit.js';

/** A stand-in /sys/class/leds/<name> directory as the kernel presents it. */
function fakeLed(root: string, name: string, opts: { max?: number; timer?: boolean } = {}): string {
  const dir = join(root, 'sys/class/leds', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'max_brightness'), `${opts.max ?? 255}\n`);
  writeFileSync(join(dir, 'brightness'), '0\n');
  writeFileSync(join(dir, 'trigger'), opts.timer === false ? '[none] heartbeat\n' : '[none] timer heartbeat\n');
  return dir;
}

const read = (dir: string, attr: string) => readFileSync(join(dir, attr), 'utf8').trim();

function linuxConfig(root: string, over: Partial<HalConfig> = {}): HalConfig {
  return { ...defaultHalConfig, mode: 'linux', sysRoot: root, button: { ...defaultHalConfig.button, source: 'none' }, ...over };
}

t.test('createHal picks the linux HAL for mode linux', async (t) => {
  const hal = createHal(linuxConfig(tempDir(t)), { logger: captureLogger().logger, clock: new ManualClock() });
  t.equal(hal.mode, 'linux');
  t.ok(hal instanceof LinuxHal);
});

t.test('steady colours are plain brightness writes with no trigger', async (t) => {
  const root = tempDir(t);
  const blue = fakeLed(root, 'blue:status');
  const red = fakeLed(root, 'red:status', { max: 1 });
  const hal = new LinuxHal(linuxConfig(root), { logger: captureLogger().logger, clock: new ManualClock() });
  await hal.start();
  await hal.led.show('online');
  t.equal(read(blue, 'trigger'), 'none');
  t.equal(read(blue, 'brightness'), '255', 'full brightness is max_brightness');
  t.equal(read(red, 'brightness'), '0');
  await hal.led.show('off');
  t.equal(read(blue, 'brightness'), '0');
  t.equal(hal.led.current(), 'off');
  await hal.stop();
});

t.test('simple blinks are handed to the kernel timer trigger', async (t) => {
  const root = tempDir(t);
  const blue = fakeLed(root, 'blue:status');
  const red = fakeLed(root, 'red:status');
  const clock = new ManualClock();
  const hal = new LinuxHal(linuxConfig(root), { logger: captureLogger().logger, clock });
  await hal.start();
  await hal.led.show('provisioning');
  t.same([read(blue, 'trigger'), read(blue, 'delay_on'), read(blue, 'delay_off')], ['timer', '500', '500']);
  t.equal(read(red, 'brightness'), '0');
  t.equal(clock.pendingTimers(), 0, 'no software timer: the SoC can sleep');
  await hal.led.show('joining');
  t.same([read(blue, 'delay_on'), read(blue, 'delay_off')], ['125', '125']);
  await hal.stop();
  t.equal(read(blue, 'trigger'), 'none', 'stop() leaves the LED off, not blinking');
  t.equal(read(blue, 'brightness'), '0');
});

t.test('without the timer trigger a blink is stepped in software', async (t) => {
  const root = tempDir(t);
  const blue = fakeLed(root, 'blue:status', { timer: false });
  fakeLed(root, 'red:status');
  const clock = new ManualClock();
  const hal = new LinuxHal(linuxConfig(root), { logger: captureLogger().logger, clock });
  await hal.start();
  await hal.led.show('provisioning');
  t.equal(read(blue, 'brightness'), '255');
  clock.advance(500);
  await hal.led.written();
  t.equal(read(blue, 'brightness'), '0');
  clock.advance(500);
  await hal.led.written();
  t.equal(read(blue, 'brightness'), '255');
  await hal.stop();
  t.equal(clock.pendingTimers(), 0);
});

t.test('multi-step patterns are stepped on the clock, and a new pattern stops the old one', async (t) => {
  const root = tempDir(t);
  const blue = fakeLed(root, 'blue:status');
  const red = fakeLed(root, 'red:status');
  const clock = new ManualClock();
  const hal = new LinuxHal(linuxConfig(root), { logger: captureLogger().logger, clock });
  await hal.start();
  await hal.led.show('identify');
  await hal.led.written();
  const state = () => [read(red, 'brightness'), read(blue, 'brightness')];
  t.same(state(), ['255', '0'], 'red first');
  clock.advance(100);
  await hal.led.written();
  t.same(state(), ['0', '255'], 'then blue');
  clock.advance(100);
  await hal.led.written();
  t.same(state(), ['255', '0'], 'and round again');
  await hal.led.show('error');
  await hal.led.written();
  t.same(state(), ['255', '0']);
  clock.advance(150);
  await hal.led.written();
  t.same(state(), ['0', '0']);
  t.equal(clock.pendingTimers(), 1, 'only the error pattern is stepping');
  await hal.led.show('online');
  t.equal(clock.pendingTimers(), 0);
  await hal.stop();
});

t.test('a missing LED is one warning, not a failure', async (t) => {
  const root = tempDir(t);
  const blue = fakeLed(root, 'blue:status');
  const { logger, lines } = captureLogger();
  const hal = new LinuxHal(linuxConfig(root), { logger, clock: new ManualClock() });
  await hal.start();
  await hal.led.show('error');
  await hal.led.show('identify');
  await hal.led.written();
  t.equal(lines.filter((l) => l.led === 'red').length, 1);
  t.equal(read(blue, 'brightness'), '0');
  await hal.stop();
  const none = new LinuxHal(linuxConfig(root, { led: { blue: '', red: '' } }), { logger, clock: new ManualClock() });
  await none.start();
  await none.led.show('online');
  await none.stop();
});

t.test('the shutter GPIO is polled every 500 ms and changes are notified, active-low aware', async (t) => {
  const root = tempDir(t);
  mkdirSync(join(root, 'sys/class/gpio/gpio7'), { recursive: true });
  const value = join(root, 'sys/class/gpio/gpio7/value');
  writeFileSync(value, '1\n');
  const clock = new ManualClock();
  const hal = new LinuxHal(
    linuxConfig(root, { shutter: { gpioValuePath: '/sys/class/gpio/gpio7/value', activeLow: true } }),
    { logger: captureLogger().logger, clock },
  );
  await hal.start();
  t.equal(await hal.shutter.isClosed(), false, 'reads 1, active low: open');
  const changed = nextEvent<boolean>((cb) => hal.shutter.onChange(cb));
  writeFileSync(value, '0\n');
  clock.advance(500);
  t.equal(await changed, true, 'closed');
  t.equal(await hal.shutter.isClosed(), true);
  await hal.stop();
  t.equal(clock.pendingTimers(), 0, 'poll timer released');
});

t.test('no shutter configured: always open, no polling', async (t) => {
  const clock = new ManualClock();
  const hal = new LinuxHal(linuxConfig(tempDir(t)), { logger: captureLogger().logger, clock });
  await hal.start();
  t.equal(await hal.shutter.isClosed(), false);
  t.equal(clock.pendingTimers(), 0);
  await hal.stop();
});

t.test('facts come from device tree, sysfs, os-release and proc under sysRoot', async (t) => {
  const root = tempDir(t);
  const put = (p: string, content: string | Buffer) => {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), content);
  };
  put('proc/device-tree/serial-number', Buffer.from('CAM0042\0'));
  put('sys/class/net/wlan0/address', 'AA:BB:CC:DD:EE:FF\n');
  put('etc/os-release', 'NAME="Camera OS"\nVERSION_ID="2.4.1"\n');
  put('proc/uptime', '3600.25 7000.00\n');
  put('sys/class/thermal/thermal_zone0/temp', '51234\n');
  const hal = new LinuxHal(linuxConfig(root), { logger: captureLogger().logger, clock: new ManualClock() });
  t.same(await hal.facts.read(), {
    serial: 'CAM0042',
    mac: 'aa:bb:cc:dd:ee:ff',
    firmwareVersion: '2.4.1',
    uptimeSeconds: 3600.25,
    temperatureC: 51.2,
  });
  put('etc/camera-firmware', '2.5.0-rc1\n');
  const withFile = new LinuxHal(linuxConfig(root, { facts: { netInterface: 'eth0', firmwareVersionFile: '/etc/camera-firmware' } }), {
    logger: captureLogger().logger,
    clock: new ManualClock(),
  });
  t.match(await withFile.facts.read(), { firmwareVersion: '2.5.0-rc1', mac: null });
});

t.test('facts a board lacks are null', async (t) => {
  const hal = new LinuxHal(linuxConfig(tempDir(t)), { logger: captureLogger().logger, clock: new ManualClock() });
  const facts = await hal.facts.read();
  t.match(facts, { serial: null, mac: null, firmwareVersion: null, temperatureC: null });
  t.type(facts.uptimeSeconds, 'number');
});
