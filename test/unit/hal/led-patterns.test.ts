import t from 'tap';
import { cycleMs, ledSequence, steadyColor, timerTriggerBlink } from '../../../src/hal/led-patterns.js';
import type { LedPattern } from '../../../src/hal/types.js';

const ALL: LedPattern[] = ['off', 'provisioning', 'joining', 'online', 'error', 'identify', 'privacy'];

t.test('every pattern has at least one step and only positive durations', async (t) => {
  for (const p of ALL) {
    const steps = ledSequence(p);
    t.ok(steps.length >= 1, p);
    t.ok(steps.every((s) => s.ms > 0 && Number.isFinite(s.ms)), `${p} durations`);
  }
});

t.test('provisioning is a slow blue blink, joining a fast one', async (t) => {
  t.same(ledSequence('provisioning'), [
    { color: 'blue', ms: 500 },
    { color: 'off', ms: 500 },
  ]);
  t.same(ledSequence('joining'), [
    { color: 'blue', ms: 125 },
    { color: 'off', ms: 125 },
  ]);
});

t.test('steady patterns report their colour, animated ones null', async (t) => {
  t.equal(steadyColor('online'), 'blue');
  t.equal(steadyColor('off'), 'off');
  t.equal(steadyColor('privacy'), 'off', 'privacy keeps the LED dark');
  for (const p of ['provisioning', 'joining', 'error', 'identify'] as const) t.equal(steadyColor(p), null, p);
});

t.test('error is a red double blink followed by a longer pause', async (t) => {
  const steps = ledSequence('error');
  t.same(
    steps.map((s) => s.color),
    ['red', 'off', 'red', 'off'],
  );
  const [on1, gap, on2, pause] = steps;
  t.ok(pause && on1 && gap && on2 && pause.ms > gap.ms * 2, 'pause clearly longer than the gap');
});

t.test('identify alternates red and blue with no dark phase', async (t) => {
  const colors = ledSequence('identify').map((s) => s.color);
  t.same(colors, ['red', 'blue']);
  t.ok(cycleMs('identify') <= 400, 'rapid');
});

t.test('only single-colour on/off blinks can run on the kernel timer trigger', async (t) => {
  t.same(timerTriggerBlink('provisioning'), { color: 'blue', delayOnMs: 500, delayOffMs: 500 });
  t.same(timerTriggerBlink('joining'), { color: 'blue', delayOnMs: 125, delayOffMs: 125 });
  t.equal(timerTriggerBlink('error'), null, 'four steps');
  t.equal(timerTriggerBlink('identify'), null, 'two colours, never off');
  t.equal(timerTriggerBlink('online'), null, 'steady');
  t.equal(timerTriggerBlink('off'), null);
  t.equal(timerTriggerBlink('privacy'), null);
});
