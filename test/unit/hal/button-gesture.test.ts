import t from 'tap';
import {
  ButtonGestureClassifier,
  gestureForHold,
  type ButtonEvent,
} from '../../../src/hal/button-gesture.js';

/** Press at `at`, release after `held`, then let the release settle. */
function pressFor(held: number, at = 1000): ButtonEvent[] {
  const c = new ButtonGestureClassifier();
  return [...c.edge(true, at), ...c.tick(at + 30), ...c.edge(false, at + held), ...c.tick(at + held + 30)];
}

function gestures(events: ButtonEvent[]): ButtonEvent[] {
  return events.filter((e) => e.type === 'gesture');
}

t.test('hold time maps to gestures at the exact thresholds', async (t) => {
  const cases: [number, string][] = [
    [30, 'short'],
    [4999, 'short'],
    [5000, 'reset-provisioning'],
    [5001, 'reset-provisioning'],
    [14999, 'reset-provisioning'],
    [15000, 'factory-reset'],
    [59999, 'factory-reset'],
    [60000, 'factory-reset'],
  ];
  for (const [held, gesture] of cases) {
    t.equal(gestureForHold(held), gesture, `gestureForHold(${held})`);
    t.same(gestures(pressFor(held)), [{ type: 'gesture', gesture, heldMs: held }], `press of ${held} ms`);
  }
});

t.test('a press is reported once it has been stable for the debounce time, timed from its edge', async (t) => {
  const c = new ButtonGestureClassifier();
  t.same(c.edge(true, 100), []);
  t.same(c.tick(129), [], 'not yet stable');
  t.equal(c.nextDeadline(), 130);
  t.same(c.tick(130), [{ type: 'pressed', at: 100 }]);
  t.ok(c.isPressed());
});

t.test('the gesture comes when the release has settled, not before', async (t) => {
  const c = new ButtonGestureClassifier();
  c.edge(true, 0);
  c.tick(30);
  t.same(c.edge(false, 2000), []);
  t.same(c.tick(2029), []);
  t.same(c.tick(2030), [{ type: 'gesture', gesture: 'short', heldMs: 2000 }]);
  t.equal(c.nextDeadline(), null, 'idle');
});

t.test('a following edge also settles the pending one, without a tick', async (t) => {
  const c = new ButtonGestureClassifier();
  c.edge(true, 0);
  t.same(c.edge(false, 6000), [{ type: 'pressed', at: 0 }]);
  t.same(c.edge(true, 9000), [{ type: 'gesture', gesture: 'reset-provisioning', heldMs: 6000 }]);
});

t.test('pulses shorter than 30 ms are ignored entirely', async (t) => {
  const c = new ButtonGestureClassifier();
  const events = [...c.edge(true, 0), ...c.edge(false, 29), ...c.tick(1000)];
  t.same(events, [], 'a 29 ms glitch is no press');
  t.notOk(c.isPressed());
  const d = new ButtonGestureClassifier();
  t.same([...d.edge(true, 0), ...d.edge(false, 30), ...d.tick(60)].filter((e) => e.type === 'gesture'), [
    { type: 'gesture', gesture: 'short', heldMs: 30 },
  ], 'exactly 30 ms counts');
});

t.test('contact bounce on press and on release does not split one press into several', async (t) => {
  const c = new ButtonGestureClassifier();
  const events = [
    ...c.edge(true, 0),
    ...c.edge(false, 3),
    ...c.edge(true, 7),
    ...c.edge(false, 12),
    ...c.edge(true, 15),
    ...c.tick(45),
    ...c.edge(false, 3000),
    ...c.edge(true, 3004),
    ...c.edge(false, 3009),
    ...c.tick(3039),
  ];
  t.same(events, [
    { type: 'pressed', at: 15 },
    { type: 'gesture', gesture: 'short', heldMs: 2994 },
  ]);
});

t.test('a bounce back to pressed during a pending release keeps the press going', async (t) => {
  const c = new ButtonGestureClassifier();
  c.edge(true, 0);
  c.tick(30);
  c.edge(false, 4000);
  c.edge(true, 4010);
  t.same(c.tick(4100), [], 'still held, no gesture');
  t.ok(c.isPressed());
});

t.test('repeated edges of the same level (key repeat, source restart) change nothing', async (t) => {
  const c = new ButtonGestureClassifier();
  c.edge(true, 0);
  c.edge(true, 20);
  t.same(c.tick(30), [{ type: 'pressed', at: 0 }], 'the repeat did not restart debouncing');
  t.same(c.edge(false, 0 + 100), []);
  t.same(c.edge(false, 110), []);
  t.same(c.tick(130), [{ type: 'gesture', gesture: 'short', heldMs: 100 }]);
  const d = new ButtonGestureClassifier();
  t.same([...d.edge(false, 0), ...d.tick(100)], [], 'a release with no press is nothing');
});

t.test('thresholds are announced while held, each once, at 5 s and 15 s', async (t) => {
  const c = new ButtonGestureClassifier();
  c.edge(true, 0);
  c.tick(30);
  t.equal(c.nextDeadline(), 5000);
  t.same(c.tick(4999), []);
  t.same(c.tick(5000), [{ type: 'threshold', threshold: 'reset-provisioning', heldMs: 5000 }]);
  t.same(c.tick(5001), [], 'not twice');
  t.equal(c.nextDeadline(), 15000);
  t.same(c.tick(14999), []);
  t.same(c.tick(15000), [{ type: 'threshold', threshold: 'factory-reset', heldMs: 15000 }]);
  t.same(c.tick(20000), []);
  t.equal(c.nextDeadline(), 60001);
  c.edge(false, 20000);
  t.same(c.tick(20030), [{ type: 'gesture', gesture: 'factory-reset', heldMs: 20000 }]);
});

t.test('a late tick announces every threshold already passed', async (t) => {
  const c = new ButtonGestureClassifier();
  c.edge(true, 0);
  t.same(c.tick(16000), [
    { type: 'pressed', at: 0 },
    { type: 'threshold', threshold: 'reset-provisioning', heldMs: 16000 },
    { type: 'threshold', threshold: 'factory-reset', heldMs: 16000 },
  ]);
});

t.test('no threshold is announced once the finger is up, even before the release settles', async (t) => {
  const c = new ButtonGestureClassifier();
  c.edge(true, 0);
  c.tick(30);
  c.edge(false, 4990);
  t.same(c.tick(5000), [], 'release pending at 5 s');
  t.same(c.tick(5020), [{ type: 'gesture', gesture: 'short', heldMs: 4990 }]);
});

t.test('held past 60 s the button is stuck: reported once, and its release yields no gesture', async (t) => {
  const c = new ButtonGestureClassifier();
  c.edge(true, 0);
  c.tick(30);
  c.tick(15000);
  t.same(c.tick(60000), [], 'exactly 60 s is not yet stuck');
  t.same(c.tick(60001), [{ type: 'stuck', heldMs: 60001 }]);
  t.equal(c.nextDeadline(), null, 'nothing more to time while stuck');
  t.same(c.tick(120000), []);
  c.edge(false, 300000);
  t.same(c.tick(300030), [{ type: 'stuck-released', heldMs: 300000 }]);
  // The next ordinary press works again.
  c.edge(true, 400000);
  c.edge(false, 401000);
  t.same(gestures(c.tick(401030)), [{ type: 'gesture', gesture: 'short', heldMs: 1000 }]);
});

t.test('a stuck hold seen only at release (no ticks) is still stuck, not a factory reset', async (t) => {
  const c = new ButtonGestureClassifier();
  const events = [...c.edge(true, 0), ...c.edge(false, 70000), ...c.tick(70030)];
  t.same(events, [
    { type: 'pressed', at: 0 },
    { type: 'stuck', heldMs: 70000 },
    { type: 'stuck-released', heldMs: 70000 },
  ]);
});

t.test('time never runs backwards: an older timestamp is treated as now', async (t) => {
  const c = new ButtonGestureClassifier();
  c.edge(true, 1000);
  c.tick(1030);
  c.edge(false, 500);
  t.same(gestures(c.tick(1060)), [{ type: 'gesture', gesture: 'short', heldMs: 30 }]);
});

t.test('custom timings are honoured', async (t) => {
  const c = new ButtonGestureClassifier({ debounceMs: 10, resetProvisioningMs: 100, factoryResetMs: 200, stuckMs: 300 });
  c.edge(true, 0);
  c.edge(false, 150);
  t.same(gestures(c.tick(160)), [{ type: 'gesture', gesture: 'reset-provisioning', heldMs: 150 }]);
});
