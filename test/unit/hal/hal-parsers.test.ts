import t from 'tap';
import { defaultEvdevLayout } from '../../../src/hal/config.js';
import {
  decodeInputEvents,
  encodeInputEvent,
  inputEventSize,
  keyEdge,
  type InputEvent,
} from '../../../src/hal/linux/input-events.js';
import { gpiomonArgs, parseGpiomonLine } from '../../../src/hal/linux/gpiomon-output.js';
import {
  parseDeviceTreeString,
  parseMac,
  parseOsRelease,
  parseThermalMillidegrees,
  parseUptime,
} from '../../../src/hal/linux/facts-parsers.js';
import { parsePressLine } from '../../../src/hal/sim/press-line.js';

t.test('input_event records decode in both ABI layouts and either byte order', async (t) => {
  const ev: InputEvent = { timeMs: 1_700_000_000_123.456, type: 1, code: 408, value: 1 };
  t.equal(inputEventSize('64'), 24);
  t.equal(inputEventSize('32'), 16);
  for (const layout of ['64', '32'] as const) {
    for (const order of ['LE', 'BE'] as const) {
      const buf = encodeInputEvent(ev, layout, order);
      const { events, rest } = decodeInputEvents(buf, layout, order);
      t.equal(events.length, 1, `${layout}/${order}`);
      t.equal(events[0]?.code, 408);
      t.equal(events[0]?.value, 1);
      t.ok(Math.abs((events[0]?.timeMs ?? 0) - ev.timeMs) < 0.001, 'microsecond precision');
      t.equal(rest.length, 0);
    }
  }
});

t.test('a known 64-bit record decodes field by field', async (t) => {
  const buf = Buffer.alloc(24);
  buf.writeBigInt64LE(10n, 0);
  buf.writeBigInt64LE(500_000n, 8);
  buf.writeUInt16LE(1, 16);
  buf.writeUInt16LE(408, 18);
  buf.writeInt32LE(0, 20);
  t.same(decodeInputEvents(buf, '64').events, [{ timeMs: 10_500, type: 1, code: 408, value: 0 }]);
});

t.test('a partial trailing record is kept for the next read', async (t) => {
  const two = Buffer.concat([
    encodeInputEvent({ timeMs: 1000, type: 1, code: 408, value: 1 }, '64'),
    encodeInputEvent({ timeMs: 2000, type: 1, code: 408, value: 0 }, '64'),
  ]);
  const first = decodeInputEvents(two.subarray(0, 30), '64');
  t.equal(first.events.length, 1);
  t.equal(first.rest.length, 6);
  const second = decodeInputEvents(Buffer.concat([first.rest, two.subarray(30)]), '64');
  t.equal(second.events[0]?.value, 0);
});

t.test('only press and release of the configured key are edges', async (t) => {
  const ev = (type: number, code: number, value: number): InputEvent => ({ timeMs: 0, type, code, value });
  t.equal(keyEdge(ev(1, 408, 1), 408), true);
  t.equal(keyEdge(ev(1, 408, 0), 408), false);
  t.equal(keyEdge(ev(1, 408, 2), 408), null, 'autorepeat');
  t.equal(keyEdge(ev(1, 116, 1), 408), null, 'another key');
  t.equal(keyEdge(ev(0, 0, 0), 408), null, 'SYN_REPORT');
});

t.test('the default evdev layout follows the word size of the architecture', async (t) => {
  t.equal(defaultEvdevLayout('arm64'), '64');
  t.equal(defaultEvdevLayout('x64'), '64');
  t.equal(defaultEvdevLayout('arm'), '32');
  t.equal(defaultEvdevLayout('ia32'), '32');
});

t.test('gpiomon v1 default lines parse, including padded seconds', async (t) => {
  t.same(parseGpiomonLine('event:  RISING EDGE offset: 5 timestamp: [1700000000.123456789]'), {
    rising: true,
    offset: 5,
    timeMs: 1_700_000_000_123.456789,
  });
  t.same(parseGpiomonLine('event: FALLING EDGE offset: 17 timestamp: [     123.000000001]'), {
    rising: false,
    offset: 17,
    timeMs: 123_000.000001,
  });
  t.equal(parseGpiomonLine('gpiomon: error waiting for events'), null);
  t.equal(parseGpiomonLine(''), null);
  t.same(gpiomonArgs('gpiochip1', 5), ['-b', 'gpiochip1', '5']);
});

t.test('facts parsers handle real-world file shapes', async (t) => {
  t.equal(parseDeviceTreeString(Buffer.from('ABC123\0')), 'ABC123');
  t.equal(parseDeviceTreeString('\0'), null);
  t.same(parseOsRelease('NAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n# c\nX=\'a b\'\n'), {
    NAME: 'Debian GNU/Linux',
    VERSION_ID: '12',
    ID: 'debian',
    X: 'a b',
  });
  t.equal(parseUptime('12345.67 54321.00\n'), 12345.67);
  t.equal(parseUptime('garbage'), null);
  t.equal(parseThermalMillidegrees('48312\n'), 48.3);
  t.equal(parseThermalMillidegrees('-5000'), -5);
  t.equal(parseThermalMillidegrees(''), null);
  t.equal(parseMac('AA:BB:CC:00:11:22\n'), 'aa:bb:cc:00:11:22');
  t.equal(parseMac('00:00:00:00:00:00'), null);
  t.equal(parseMac('nonsense'), null);
});

t.test('sim button file lines: press <ms>, blanks and comments, everything else malformed', async (t) => {
  t.same(parsePressLine('press 200'), { kind: 'press', ms: 200 });
  t.same(parsePressLine('  PRESS   16000 \r'), { kind: 'press', ms: 16000 });
  t.same(parsePressLine(''), { kind: 'blank' });
  t.same(parsePressLine('# long press'), { kind: 'blank' });
  for (const bad of ['press', 'press -5', 'press 0', 'press 1.5', 'press 999999999', 'hold 200', 'press 200 extra']) {
    t.equal(parsePressLine(bad).kind, 'malformed', bad);
  }
});
