import t from 'tap';
import { ProgressMeter } from '../../../src/ota/progress.js';

const MB = 1_000_000;

t.test('the first update reports where the transfer starts', async (t) => {
  const m = new ProgressMeter({ totalBytes: 100 * MB });
  t.same(m.update(0, 0), { percent: 0, bytes: 0, totalBytes: 100 * MB, etaS: null });
  const resumed = new ProgressMeter({ totalBytes: 100 * MB });
  t.same(resumed.update(40 * MB, 0), { percent: 40, bytes: 40 * MB, totalBytes: 100 * MB, etaS: null }, 'a resumed download starts at 40 %; no rate yet');
});

t.test('a fast download reports every 10 % and at 100 %, nothing in between', async (t) => {
  const m = new ProgressMeter({ totalBytes: 100 * MB });
  const reported: number[] = [];
  // 64 KiB chunks at 10 MB/s: about 1 500 updates in 10 s.
  let now = 0;
  for (let b = 0; b < 100 * MB; b += 65_536) {
    const p = m.update(b, now);
    if (p) reported.push(p.percent);
    now += 6.5536;
  }
  const last = m.update(100 * MB, now);
  t.ok(last, '100 % is reported');
  if (last) reported.push(last.percent);
  t.same(reported, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  t.equal(m.update(100 * MB, now + 1), null, '100 % only once');
  t.equal(m.update(100 * MB, now + 60_000), null, 'not again after the interval either');
});

t.test('a slow download reports every 10 s while bytes arrive', async (t) => {
  const m = new ProgressMeter({ totalBytes: 100 * MB });
  const at: number[] = [];
  // 10 kB/s: 1 % takes 100 s, so the interval decides.
  for (let s = 0; s <= 60; s++) {
    const p = m.update(s * 10_000, s * 1000);
    if (p) at.push(s);
  }
  t.same(at, [0, 10, 20, 30, 40, 50, 60]);
});

t.test('no report for a stall, however long, and none for the same bytes', async (t) => {
  const m = new ProgressMeter({ totalBytes: 100 * MB });
  m.update(5 * MB, 0);
  t.equal(m.update(5 * MB, 30_000), null, 'no new bytes: no report even after 30 s');
  t.ok(m.update(5 * MB + 1, 30_001), 'the first new byte after the interval is reported');
});

t.test('options change the step and the interval', async (t) => {
  const m = new ProgressMeter({ totalBytes: 1000, minPercentStep: 25, minIntervalMs: 1000 });
  m.update(0, 0);
  t.equal(m.update(240, 100), null);
  t.equal(m.update(250, 200)?.percent, 25);
  t.equal(m.update(260, 1199), null);
  t.equal(m.update(270, 1200)?.percent, 27, 'interval since the last report');
});

t.test('a restarted download is reported at once and does not produce a negative rate', async (t) => {
  const m = new ProgressMeter({ totalBytes: 100 * MB });
  m.update(0, 0);
  m.update(50 * MB, 10_000);
  const restart = m.update(0, 11_000);
  t.same(restart, { percent: 0, bytes: 0, totalBytes: 100 * MB, etaS: null });
  m.update(1 * MB, 12_000);
  const p = m.current(12_000);
  t.ok(p.etaS !== null && p.etaS > 0, 'a fresh rate after the restart');
});

t.test('the ETA follows the rate: steady rate gives remaining/rate', async (t) => {
  const m = new ProgressMeter({ totalBytes: 100 * MB });
  // 1 MB/s for 20 s.
  for (let s = 0; s <= 20; s++) m.update(s * MB, s * 1000);
  t.same(m.current(20_000), { percent: 20, bytes: 20 * MB, totalBytes: 100 * MB, etaS: 80 });
});

t.test('the ETA is smoothed: one burst does not make it collapse, a lasting change is followed', async (t) => {
  const m = new ProgressMeter({ totalBytes: 1000 * MB });
  let b = 0;
  let now = 0;
  for (let s = 0; s < 30; s++) {
    m.update(b, now);
    b += MB;
    now += 1000;
  }
  m.update(b, now);
  const steady = m.current(now).etaS!;
  // A 100 ms burst at 50 MB/s.
  b += 5 * MB;
  now += 100;
  m.update(b, now);
  const afterBurst = m.current(now).etaS!;
  const remaining = (1000 * MB - b) / MB;
  t.ok(afterBurst > remaining / 5, `the burst does not drop the ETA to the burst rate's (${afterBurst} s)`);
  t.ok(afterBurst < steady, 'but it does lower it');
  // Then 20 s at 4 MB/s.
  for (let s = 0; s < 20; s++) {
    b += 4 * MB;
    now += 1000;
    m.update(b, now);
  }
  const faster = m.current(now).etaS!;
  const remainingNow = (1000 * MB - b) / MB;
  t.ok(Math.abs(faster - remainingNow / 4) / (remainingNow / 4) < 0.05, `after 20 s at 4 MB/s the ETA is within 5 % of remaining/4 (${faster} vs ${remainingNow / 4})`);
});

t.test('current() lets the ETA grow during a stall, without changing the state', async (t) => {
  const m = new ProgressMeter({ totalBytes: 100 * MB });
  for (let s = 0; s <= 10; s++) m.update(s * MB, s * 1000);
  const fresh = m.current(10_000).etaS!;
  const stalled = m.current(40_000).etaS!;
  t.equal(fresh, 90);
  t.ok(stalled > fresh * 5, `30 s without bytes: ${stalled} s`);
  t.equal(m.current(10_000).etaS, 90, 'current() is read-only');
});

t.test('updates within the same millisecond are counted in the next rate sample', async (t) => {
  const m = new ProgressMeter({ totalBytes: 100 * MB });
  m.update(0, 0);
  m.update(MB, 0);
  t.equal(m.current(0).etaS, null, 'no rate from a zero-length interval');
  m.update(2 * MB, 1000);
  t.equal(m.current(1000).etaS, 49, '2 MB in the first second: the same-ms megabyte counts');
});

t.test('bytes beyond the total are clamped, percent is floored so 100 means done', async (t) => {
  const m = new ProgressMeter({ totalBytes: 1000 });
  m.update(0, 0);
  t.equal(m.update(999, 1)?.percent, 99);
  t.same(m.update(5000, 2), { percent: 100, bytes: 1000, totalBytes: 1000, etaS: 0 });
  t.equal(m.current(3).percent, 100);
});

t.test('a bad configuration is a bug', async (t) => {
  t.throws(() => new ProgressMeter({ totalBytes: 0 }), RangeError);
  t.throws(() => new ProgressMeter({ totalBytes: 1.5 }), RangeError);
  t.throws(() => new ProgressMeter({ totalBytes: 10, minPercentStep: 0 }), RangeError);
  t.throws(() => new ProgressMeter({ totalBytes: 10, minIntervalMs: -1 }), RangeError);
  t.throws(() => new ProgressMeter({ totalBytes: 10, smoothingMs: 0 }), RangeError);
});
