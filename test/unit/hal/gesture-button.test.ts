import t from 'tap';
import { pino } from 'pino';
import { ManualClock } from '../../../src/core/clock.js';
import type { ButtonEvent } from '../../../src/hal/button-gesture.js';
import { GestureButton } from '../../../src/hal/gesture-button.js';
import type { ButtonGesture } from '../../../src/hal/types.js';

function setup() {
  const clock = new ManualClock();
  const button = new GestureButton({ clock, logger: pino({ level: 'silent' }) });
  const events: ButtonEvent[] = [];
  const gestures: [ButtonGesture, number][] = [];
  button.onButtonEvent((e) => events.push(e));
  button.onGesture((g, ms) => gestures.push([g, ms]));
  return { clock, button, events, gestures };
}

t.test('hold feedback fires on the clock while the button is still down', async (t) => {
  const { clock, button, events, gestures } = setup();
  button.edge(true, clock.monotonic());
  clock.advance(4999);
  t.same(events.map((e) => e.type), ['pressed']);
  clock.advance(1);
  t.same(events.at(-1), { type: 'threshold', threshold: 'reset-provisioning', heldMs: 5000 });
  clock.advance(10000);
  t.same(events.at(-1), { type: 'threshold', threshold: 'factory-reset', heldMs: 15000 });
  button.edge(false, clock.monotonic());
  t.same(gestures, [], 'not before the release settles');
  clock.advance(30);
  t.same(gestures, [['factory-reset', 15000]]);
  t.equal(clock.pendingTimers(), 0, 'no timer left behind when idle');
});

t.test('a stuck button is reported by the clock and its release is not a gesture', async (t) => {
  const { clock, button, events, gestures } = setup();
  button.edge(true, 0);
  clock.advance(60001);
  t.same(events.at(-1), { type: 'stuck', heldMs: 60001 });
  clock.advance(10000);
  button.edge(false, clock.monotonic());
  clock.advance(30);
  t.same(events.at(-1), { type: 'stuck-released', heldMs: 70001 });
  t.same(gestures, []);
});

t.test('unsubscribing stops delivery; a throwing listener does not starve the others', async (t) => {
  const { clock, button, gestures } = setup();
  const off = button.onGesture(() => {
    throw new Error('boom');
  });
  button.edge(true, 0);
  button.edge(false, 100);
  clock.advance(130);
  t.same(gestures, [['short', 100]]);
  off();
});

t.test('reset() forgets a half-seen press and cancels its timers', async (t) => {
  const { clock, button, gestures } = setup();
  button.edge(true, 0);
  clock.advance(100);
  button.reset();
  t.equal(clock.pendingTimers(), 0);
  button.edge(false, clock.monotonic());
  clock.advance(100);
  t.same(gestures, []);
});
