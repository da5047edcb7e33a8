import t from 'tap';
import pino from 'pino';
import { systemClock, type Clock } from '../../../src/core/clock.js';
import { SnapshotCapture, SNAPSHOT_CAPTURE_DEFAULTS } from '../../../src/alarm/snapshot-capture.js';
import { PreEventRing } from '../../../src/alarm/pre-event-ring.js';
import { staleness } from '../../../src/alarm/onvif-snapshot-source.js';
import { fail, ok, type Result } from '../../../src/alarm/snapshot-error.js';

const logger = pino({ level: 'silent' });
// systemClock unrefs its timers (they must not keep the daemon alive); here
// they are the only thing the test waits on, so keep them referenced.
const clock: Clock = {
  ...systemClock,
  setTimeout(fn, ms) {
    const h = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(h) };
  },
};
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);

function ringWith(scores: number[]): PreEventRing {
  const ring = new PreEventRing(5);
  scores.forEach((score, i) => ring.push({ data: new Uint8Array(4).fill(i), width: 2, height: 2, score, atMono: 1000 + i * 200 }));
  return ring;
}

t.test('the ring keeps the last N frames and picks the best score since a time', async (t) => {
  const ring = ringWith([1, 9, 3, 9, 2, 4, 1]);
  t.equal(ring.size, 5);
  const best = ring.best(0)!;
  t.equal(best.score, 9);
  t.equal(best.data[0], 3, 'ties go to the newer frame');
  t.equal(ring.best(1000 + 4 * 200)!.score, 4);
  t.equal(ring.best(99_999), null);
  const src = new Uint8Array([5, 5, 5, 5]);
  ring.push({ data: src, width: 2, height: 2, score: 100, atMono: 5000 });
  src.fill(0);
  t.equal(ring.best(0)!.data[0], 5, 'frames are copied');
});

t.test('snapshot URI first, then grab, then ring; failures are listed', async (t) => {
  const calls: string[] = [];
  const make = (onvif: Result<Buffer>, grab: Result<Buffer>) =>
    new SnapshotCapture({
      clock,
      logger,
      config: () => SNAPSHOT_CAPTURE_DEFAULTS,
      snapshot: { fetch: async () => (calls.push('onvif'), onvif) },
      grab: { grabFrame: async () => (calls.push('grab'), grab), url: () => 'rtsp://cam/main' },
      ring: ringWith([2, 8]),
    });
  const trig = { at: Date.now(), atMono: 1500 };
  let r = await make(ok(JPEG), ok(JPEG)).capture(trig);
  t.ok(r.ok && r.value.source === 'onvif' && r.value.attempts.length === 0);
  t.same(calls.splice(0), ['onvif'], 'grab not needed');

  r = await make(fail('snapshot_unauthorized', 'x'), ok(JPEG)).capture(trig);
  t.ok(r.ok && r.value.source === 'grab');
  t.same(r.ok && r.value.attempts.map((a) => a.code), ['snapshot_unauthorized']);

  r = await make(fail('snapshot_stale', 'x'), fail('grab_failed', 'y')).capture(trig);
  t.ok(r.ok && r.value.source === 'pre-event' && r.value.frame.lowRes && r.value.frame.kind === 'gray');
  t.same(r.ok && r.value.attempts.map((a) => a.code), ['snapshot_stale', 'grab_failed']);
});

t.test('a source that never answers costs its budget, not the alarm', async (t) => {
  const capture = new SnapshotCapture({
    clock,
    logger,
    config: () => ({ onvifTimeoutMs: 60, grabTimeoutMs: 60, totalTimeoutMs: 1000, ringLookbackMs: 2000 }),
    snapshot: { fetch: () => new Promise<Result<Buffer>>(() => undefined) },
    grab: { grabFrame: () => new Promise<Result<Buffer>>(() => undefined), url: () => 'x' },
    ring: ringWith([1]),
  });
  const t0 = performance.now();
  const r = await capture.capture({ at: Date.now(), atMono: 1000 });
  t.ok(r.ok && r.value.source === 'pre-event');
  t.same(r.ok && r.value.attempts.map((a) => a.code), ['snapshot_timeout', 'snapshot_timeout']);
  t.ok(performance.now() - t0 < 900, 'well inside the total budget');
});

t.test('nothing configured and an empty ring: snapshot_unavailable', async (t) => {
  const capture = new SnapshotCapture({ clock, logger, config: () => SNAPSHOT_CAPTURE_DEFAULTS, snapshot: null, grab: null, ring: new PreEventRing(3) });
  const r = await capture.capture({ at: Date.now(), atMono: 0 });
  t.equal(!r.ok && r.error.code, 'snapshot_unavailable');
});

t.test('staleness from response headers', async (t) => {
  const trigger = Date.parse('2026-05-14T10:00:05.400Z');
  t.equal(staleness({ date: 'Thu, 14 May 2026 10:00:05 GMT' }, trigger, 1000), null, 'same second: fresh');
  t.match(staleness({ 'last-modified': 'Thu, 14 May 2026 09:59:58 GMT' }, trigger, 1000), /last-modified/);
  t.match(staleness({ age: '3' }, trigger, 1000), /cache/);
  t.equal(staleness({ date: 'garbage' }, trigger, 1000), null);
});
