import t from 'tap';
import { DEFAULT_BACKOFF, ReconnectBackoff } from '../../../src/cloud/backoff.js';
import { mulberry32 } from '../../../src/core/seeded-random.js';

/** Deterministic uniform source. */
const seeded = mulberry32;

t.test('1,000 attempts stay within full-jitter bounds and the 120 s cap', async (t) => {
  const b = new ReconnectBackoff({ ...DEFAULT_BACKOFF, minGapMs: 0, random: seeded(1) });
  const delays: number[] = [];
  for (let n = 0; n < 1000; n++) {
    const ceiling = Math.min(120_000, 1000 * 2 ** n);
    const d = b.nextDelay();
    if (d < 0 || d > ceiling) t.fail(`attempt ${n}: ${d} outside [0, ${ceiling}]`);
    delays.push(d);
  }
  t.ok(Math.max(...delays) <= 120_000, 'never above the cap');
  t.ok(Math.max(...delays) > 100_000, 'the cap is reached');
  const capped = delays.slice(10);
  t.ok(new Set(capped).size > 900, 'not constant: jitter spreads the delays');
  const mean = capped.reduce((a, b) => a + b, 0) / capped.length;
  t.ok(mean > 50_000 && mean < 70_000, `capped delays are uniform over [0, 120 s] (mean ${Math.round(mean)} ms)`);
  const lowHalf = capped.filter((d) => d < 60_000).length / capped.length;
  t.ok(lowHalf > 0.4 && lowHalf < 0.6, 'half of them in the lower half');
});

t.test('the ceiling doubles per attempt from 1 s', async (t) => {
  const b = new ReconnectBackoff({ ...DEFAULT_BACKOFF, minGapMs: 0, random: () => 0.999999 });
  const got = Array.from({ length: 9 }, () => b.nextDelay());
  t.same(got, [999, 1999, 3999, 7999, 15999, 31999, 63999, 119999, 119999]);
});

t.test('reset only after 30 s connected', async (t) => {
  const b = new ReconnectBackoff({ ...DEFAULT_BACKOFF, random: () => 0.5 });
  for (let i = 0; i < 5; i++) b.nextDelay();
  t.equal(b.attempt, 5);
  b.connected(1_000);
  b.disconnected(1_000 + 29_999);
  t.equal(b.attempt, 5, 'a connection that drops within 30 s does not reset');
  b.connected(100_000);
  b.disconnected(130_000);
  t.equal(b.attempt, 0, 'after 30 s of stable connection the attempts reset');
  b.disconnected(200_000);
  t.equal(b.attempt, 0, 'a disconnect without a connect changes nothing');
});

t.test('a random start delay, and at least 1 s between CONNECTs (AWS: 1 connect/s per client id)', async (t) => {
  const starts = new Set<number>();
  const rnd = seeded(7);
  for (let i = 0; i < 1000; i++) {
    const d = new ReconnectBackoff({ ...DEFAULT_BACKOFF, startDelayMaxMs: 5_000, random: rnd }).startDelay();
    t.ok(d >= 0 && d < 5_000) || t.fail(String(d));
    starts.add(d);
  }
  t.ok(starts.size > 800, 'start delays are spread');
  const b = new ReconnectBackoff({ ...DEFAULT_BACKOFF, random: () => 0 });
  t.equal(b.nextDelay(200), 800, 'jitter of 0 right after an attempt still waits out the 1 s gap');
  t.equal(b.nextDelay(5_000), 0, 'no extra wait when the last attempt was long ago');
});

t.test('the first reconnect after losing a stable connection spreads over the start-delay window', async (t) => {
  const rnd = seeded(11);
  const firsts: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const b = new ReconnectBackoff({ ...DEFAULT_BACKOFF, minGapMs: 0, random: rnd });
    b.connected(0);
    b.disconnected(60_000);
    firsts.push(b.nextDelay());
    const second = b.nextDelay();
    if (second > 2_000) t.fail(`the second attempt is back on the doubling schedule (${second})`);
  }
  t.ok(Math.max(...firsts) < 5_000 && Math.max(...firsts) > 4_000, 'spread over [0, 5 s)');
  const early = firsts.filter((d) => d < 1_000).length;
  t.ok(early > 150 && early < 250, `only a fifth in the first second (${early})`);
  const unstable = new ReconnectBackoff({ ...DEFAULT_BACKOFF, minGapMs: 0, random: () => 0.999 });
  unstable.connected(0);
  unstable.disconnected(1_000);
  t.ok(unstable.nextDelay() < 1_000, 'a connection that never stabilised keeps its doubling schedule');
});
