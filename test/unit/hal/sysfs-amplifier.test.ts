import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { pino } from 'pino';
import { ManualClock } from '../../../src/core/clock.js';
import { SysfsAmplifier } from '../../../src/hal/linux/sysfs-amplifier.js';

function gpio(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'amp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const value = join(dir, 'value');
  writeFileSync(value, '0\n');
  return value;
}

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

const flush = () => new Promise((r) => setImmediate(r));

/** The GPIO write is real file I/O: wait (bounded) until the settle timer is armed on the manual clock. */
async function settleArmed(clock: ManualClock): Promise<void> {
  for (let i = 0; i < 200 && clock.pendingTimers() === 0; i++) await new Promise((r) => setTimeout(r, 5));
  if (clock.pendingTimers() === 0) throw new Error('settle timer never armed');
}

t.test('on writes 1 and resolves only after the settle time; off writes 0 at once', async (t) => {
  const value = gpio(t);
  const clock = new ManualClock();
  const amp = new SysfsAmplifier({ valuePath: value, activeLow: false, settleMs: 20, clock, logger: capture().logger });
  t.equal(amp.isOn(), false);
  let settled = false;
  const on = amp.set(true).then(() => (settled = true));
  await settleArmed(clock);
  t.equal(readFileSync(value, 'utf8'), '1');
  t.equal(amp.isOn(), true);
  clock.advance(19);
  await flush();
  t.equal(settled, false, 'still settling');
  clock.advance(1);
  await on;
  await amp.set(false);
  t.equal(readFileSync(value, 'utf8'), '0');
  t.equal(amp.isOn(), false);
  t.equal(clock.pendingTimers(), 0, 'no settle wait when switching off');
});

t.test('active-low lines get the inverted value', async (t) => {
  const value = gpio(t);
  const amp = new SysfsAmplifier({ valuePath: value, activeLow: true, settleMs: 0, clock: new ManualClock(), logger: capture().logger });
  await amp.set(true);
  t.equal(readFileSync(value, 'utf8'), '0');
  await amp.set(false);
  t.equal(readFileSync(value, 'utf8'), '1');
});

t.test('switches apply in call order, and a repeated state is not rewritten', async (t) => {
  const value = gpio(t);
  const clock = new ManualClock();
  const amp = new SysfsAmplifier({ valuePath: value, activeLow: false, settleMs: 50, clock, logger: capture().logger });
  const on = amp.set(true);
  const off = amp.set(false);
  await settleArmed(clock);
  clock.advance(50);
  await on;
  await off;
  t.equal(readFileSync(value, 'utf8'), '0', 'the later off wins');
  writeFileSync(value, 'x');
  await amp.set(false);
  t.equal(readFileSync(value, 'utf8'), 'x', 'already off: no write');
});

t.test('without a GPIO the amplifier is always on: state only, no settle wait', async (t) => {
  const clock = new ManualClock();
  const amp = new SysfsAmplifier({ valuePath: '', activeLow: false, settleMs: 20, clock, logger: capture().logger });
  await amp.set(true);
  t.equal(amp.isOn(), true);
  t.equal(clock.pendingTimers(), 0);
  await amp.set(false);
  t.equal(amp.isOn(), false);
});

t.test('a failing write is logged and rejects with amplifier_failed; the next set writes again', async (t) => {
  const value = gpio(t);
  const missing = join(value, 'no-such-dir', 'value');
  const { logger, lines } = capture();
  const amp = new SysfsAmplifier({ valuePath: missing, activeLow: false, settleMs: 0, clock: new ManualClock(), logger });
  await t.rejects(amp.set(true), { code: 'amplifier_failed' });
  t.equal(amp.isOn(), false);
  t.ok(lines.some((l) => l.msg === 'amplifier GPIO write failed' && l.level === 40), 'logged as a warning');
  await t.rejects(amp.set(true), { code: 'amplifier_failed' }, 'tried again, not skipped as already on');
});
