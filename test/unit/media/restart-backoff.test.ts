import t from 'tap';
import { RestartBackoff } from '../../../src/media/restart-backoff.js';

t.test('delays double from 1 s and stop at 30 s', async (t) => {
  const b = new RestartBackoff();
  const delays = Array.from({ length: 8 }, (_, i) => b.nextDelay(i));
  t.same(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  t.equal(b.failures, 8);
});

t.test('a run healthy for 60 s resets the delay to 1 s', async (t) => {
  const b = new RestartBackoff();
  b.nextDelay(0);
  b.nextDelay(0);
  b.nextDelay(0); // next would be 8 s
  b.markHealthy(1_000);
  t.equal(b.nextDelay(61_000), 1000);
  t.equal(b.nextDelay(61_000), 2000, 'doubling starts over');
});

t.test('a run healthy for less than 60 s keeps doubling', async (t) => {
  const b = new RestartBackoff();
  b.nextDelay(0);
  b.nextDelay(0);
  b.markHealthy(1_000);
  t.equal(b.nextDelay(60_999), 4000);
});

t.test('the healthy period counts from the first frame of a run, not the latest', async (t) => {
  const b = new RestartBackoff();
  b.nextDelay(0);
  b.markHealthy(10_000);
  b.markHealthy(69_000); // later frames do not move the start
  t.equal(b.nextDelay(70_000), 1000);
});

t.test('a failure ends the healthy period: the next run must earn its own 60 s', async (t) => {
  const b = new RestartBackoff();
  b.markHealthy(0);
  t.equal(b.nextDelay(100_000), 1000);
  // No markHealthy for the new run: a later failure is not "after 60 s healthy".
  t.equal(b.nextDelay(200_000), 2000);
});

t.test('custom bounds are honoured and a long outage never overflows', async (t) => {
  const b = new RestartBackoff({ initialMs: 10, maxMs: 100, resetAfterMs: 5 });
  t.same([b.nextDelay(0), b.nextDelay(0), b.nextDelay(0), b.nextDelay(0), b.nextDelay(0)], [10, 20, 40, 80, 100]);
  for (let i = 0; i < 2000; i++) b.nextDelay(0);
  t.equal(b.nextDelay(0), 100);
});
