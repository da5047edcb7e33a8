import t from 'tap';
import { ManualClock } from '../../../src/core/clock.js';
import { UpdateLock } from '../../../src/ota/update-lock.js';

/** Lets the promise callbacks queued by a timer run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

t.test('held names the active holders, each once, and unregistering removes one', async (t) => {
  const lock = new UpdateLock();
  let talking = false;
  let technician = true;
  const offTalk = lock.register('talkback', () => talking);
  lock.register('technician', () => technician);
  lock.register('technician', () => true);
  t.same(lock.held(), ['technician']);
  talking = true;
  t.same(lock.held(), ['talkback', 'technician']);
  offTalk();
  technician = false;
  t.same(lock.held(), ['technician'], 'the second technician holder still holds');
});

t.test('a predicate that throws counts as holding', async (t) => {
  const lock = new UpdateLock();
  lock.register('broken', () => {
    throw new Error('boom');
  });
  t.same(lock.held(), ['broken']);
});

t.test('a free lock resolves at once without waiting', async (t) => {
  const lock = new UpdateLock();
  lock.register('talkback', () => false);
  const waiting: string[][] = [];
  const r = await lock.waitUntilFree({ clock: new ManualClock(), maxWaitMs: 60_000, onWaiting: (h) => waiting.push(h) });
  t.same(r, { ok: true, waitedMs: 0 });
  t.same(waiting, [], 'never reported waiting');
});

t.test('an install waits for talkback to end and reports how long it waited', async (t) => {
  const clock = new ManualClock();
  const lock = new UpdateLock();
  let talking = true;
  lock.register('talkback', () => talking);
  const waiting: string[][] = [];
  let result: unknown = null;
  void lock.waitUntilFree({ clock, pollMs: 1000, maxWaitMs: 60_000, onWaiting: (h) => waiting.push(h) }).then((r) => (result = r));
  t.same(waiting, [['talkback']]);
  clock.advance(5000);
  await settle();
  t.equal(result, null, 'still waiting while talkback runs');
  talking = false;
  clock.advance(1000);
  await settle();
  t.same(result, { ok: true, waitedMs: 6000 });
  t.equal(clock.pendingTimers(), 0, 'no timer left behind');
});

t.test('onWaiting is told again when the set of holders changes', async (t) => {
  const clock = new ManualClock();
  const lock = new UpdateLock();
  let talking = true;
  let technician = false;
  lock.register('talkback', () => talking);
  lock.register('technician', () => technician);
  const waiting: string[][] = [];
  const done = lock.waitUntilFree({ clock, pollMs: 500, maxWaitMs: 60_000, onWaiting: (h) => waiting.push(h) });
  clock.advance(500);
  clock.advance(500);
  technician = true;
  clock.advance(500);
  talking = false;
  clock.advance(500);
  clock.advance(500);
  technician = false;
  clock.advance(500);
  t.same(await done, { ok: true, waitedMs: 3000 });
  t.same(waiting, [['talkback'], ['talkback', 'technician'], ['technician']]);
});

t.test('a lock held past maxWaitMs fails with update_locked and the holders, exactly at the deadline', async (t) => {
  const clock = new ManualClock();
  const lock = new UpdateLock();
  lock.register('technician', () => true);
  let result: unknown = null;
  void lock.waitUntilFree({ clock, pollMs: 700, maxWaitMs: 2000 }).then((r) => (result = r));
  clock.advance(1999);
  await settle();
  t.equal(result, null);
  clock.advance(1);
  await settle();
  t.same(result, { ok: false, code: 'update_locked', holders: ['technician'] });
  t.equal(clock.pendingTimers(), 0);
});

t.test('a lock that frees on the deadline poll still lets the install run', async (t) => {
  const clock = new ManualClock();
  const lock = new UpdateLock();
  let held = true;
  lock.register('talkback', () => held);
  const done = lock.waitUntilFree({ clock, pollMs: 1000, maxWaitMs: 3000 });
  clock.advance(2500);
  held = false;
  clock.advance(500);
  t.same(await done, { ok: true, waitedMs: 3000 });
});

t.test('aborting the wait (agent stopping) resolves at once, marked aborted, and cancels the poll', async (t) => {
  const clock = new ManualClock();
  const lock = new UpdateLock();
  lock.register('talkback', () => true);
  const ac = new AbortController();
  const done = lock.waitUntilFree({ clock, maxWaitMs: 60_000, signal: ac.signal });
  clock.advance(2000);
  ac.abort(new Error('agent stopping'));
  t.same(await done, { ok: false, code: 'update_locked', holders: ['talkback'], aborted: true });
  t.equal(clock.pendingTimers(), 0);
  t.same(
    await lock.waitUntilFree({ clock, maxWaitMs: 60_000, signal: ac.signal }),
    { ok: false, code: 'update_locked', holders: ['talkback'], aborted: true },
    'already aborted: no wait at all',
  );
});
