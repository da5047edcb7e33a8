import t from 'tap';
import { mulberry32 } from '../../../src/core/seeded-random.js';
import { JitterBuffer, type JitterFrame, type JitterOut, type JitterPush } from '../../../src/talkback/jitter-buffer.js';

/** G.711 numbers: 8 kHz clock, 20 ms = 160 units per frame. */
const RATE = 8000;
const FRAME = 160;
const OPTS = { clockRate: RATE, depthMs: 60, maxDepthMs: 300 };

function frame(i: number, base: { seq?: number; ts?: number } = {}): JitterFrame {
  return { seq: ((base.seq ?? 1000) + i) >>> 0, timestamp: ((base.ts ?? 50_000) + i * FRAME) >>> 0, duration: FRAME, payload: Uint8Array.of(i & 0xff) };
}

interface Arrival {
  at: number;
  frame: JitterFrame;
}
interface Released {
  at: number;
  out: JitterOut;
}

/**
 * Runs the buffer as the downlink does: push each frame at its arrival time,
 * pull exactly at nextDueMs(). Returns what came out, when, and each push's answer.
 */
function run(buffer: JitterBuffer, arrivals: Arrival[], endMs = Infinity) {
  const ordered = [...arrivals].sort((a, b) => a.at - b.at);
  const released: Released[] = [];
  const answers: JitterPush[] = [];
  const answered: { seq: number; answer: JitterPush }[] = [];
  let now = -Infinity;
  let i = 0;
  for (;;) {
    const next = ordered[i];
    const due = buffer.nextDueMs() ?? Infinity;
    const arrival = next?.at ?? Infinity;
    if (due === Infinity && arrival === Infinity) break;
    if (Math.min(due, arrival) > endMs) break;
    if (due <= arrival) {
      // A frame pushed late can be overdue at once: it is pulled now, not in the past.
      now = Math.max(now, due);
      for (const out of buffer.pull(now)) released.push({ at: now, out });
    } else {
      now = next!.at;
      const answer = buffer.push(next!.frame, now);
      answers.push(answer);
      answered.push({ seq: next!.frame.seq, answer });
      i++;
    }
  }
  const frames = released.flatMap((r) => (r.out.kind === 'frame' ? [{ at: r.at, frame: r.out.frame }] : []));
  const gaps = released.flatMap((r) => (r.out.kind === 'gap' ? [r.out.duration] : []));
  return { released, frames, gaps, answers, answered };
}

/** Frames 0..count-1 sent every 20 ms from `start`, each arriving after `delay(i)` ms. */
function steady(count: number, start = 1000, delay: (i: number) => number = () => 0, base?: { seq?: number; ts?: number }): Arrival[] {
  return Array.from({ length: count }, (_, i) => ({ at: start + i * 20 + delay(i), frame: frame(i, base) }));
}

t.test('an in-order stream plays every frame at anchor + depth + its offset, without gaps', async (t) => {
  const buffer = new JitterBuffer(OPTS);
  const { frames, gaps, answers } = run(buffer, steady(100, 1000, (i) => (i % 3) * 7));
  t.ok(answers.every((a) => a === 'accepted'));
  t.same(frames.map((f) => f.frame.seq), Array.from({ length: 100 }, (_, i) => 1000 + i));
  t.same(frames.map((f) => f.at), Array.from({ length: 100 }, (_, i) => 1060 + i * 20), 'schedule from the first arrival, not the jittery later ones');
  t.same(gaps, []);
  t.match(buffer.stats(), { received: 100, accepted: 100, played: 100, lost: 0, concealed: 0, late: 0, duplicates: 0, reordered: 0, overflowDrops: 0, resyncs: 0, depth: 0 });
  t.ok(buffer.stats().maxDepth <= 4, 'about depth / frame length held');
  t.ok(buffer.maxHeldDuration() <= 4 * FRAME);
  t.equal(buffer.nextDueMs(), null);
});

t.test('leadMs releases every frame that much earlier', async (t) => {
  const { frames } = run(new JitterBuffer({ ...OPTS, leadMs: 20 }), steady(10));
  t.same(frames.map((f) => f.at), Array.from({ length: 10 }, (_, i) => 1040 + i * 20));
});

t.test('depth 0 plays each in-order frame as it arrives', async (t) => {
  const { frames } = run(new JitterBuffer({ ...OPTS, depthMs: 0 }), steady(10));
  t.same(frames.map((f) => f.at), Array.from({ length: 10 }, (_, i) => 1000 + i * 20));
});

t.test('swapped pairs are played in order and counted as reordered', async (t) => {
  const buffer = new JitterBuffer(OPTS);
  // Odd frames overtake their even predecessor by 5 ms.
  const { frames, gaps } = run(buffer, steady(40, 1000, (i) => (i % 2 === 0 ? 25 : 0)));
  t.same(frames.map((f) => f.frame.seq), Array.from({ length: 40 }, (_, i) => 1000 + i));
  t.same(gaps, []);
  t.match(buffer.stats(), { played: 40, reordered: 20, late: 0, lost: 0 });
});

t.test('duplicates are dropped whether the original is still held or already played', async (t) => {
  const buffer = new JitterBuffer(OPTS);
  const arrivals = steady(20);
  arrivals.push({ at: 1000 + 5 * 20 + 3, frame: frame(5) }); // original still held
  arrivals.push({ at: 1000 + 15 * 20, frame: frame(2) }); // original played long ago
  const { frames, answers } = run(buffer, arrivals);
  t.equal(frames.length, 20);
  t.equal(answers.filter((a) => a === 'duplicate').length, 2);
  t.match(buffer.stats(), { received: 22, accepted: 20, duplicates: 2, played: 20, late: 0 });
});

t.test('a lost frame becomes a gap of exactly its duration: played + concealed = what was sent', async (t) => {
  const buffer = new JitterBuffer(OPTS);
  const arrivals = steady(30).filter((a) => a.frame.seq !== 1010 && a.frame.seq !== 1020 && a.frame.seq !== 1021);
  const { released, frames, gaps } = run(buffer, arrivals);
  t.same(gaps, [FRAME, 2 * FRAME]);
  const gapAt = released.findIndex((r) => r.out.kind === 'gap');
  t.match(released[gapAt + 1], { out: { kind: 'frame', frame: { seq: 1011 } } }, 'the gap comes right before the frame after the loss');
  t.equal(released[gapAt]!.at, 1060 + 11 * 20, 'at the next frame’s due time');
  t.match(buffer.stats(), { lost: 3, concealed: 3 * FRAME, played: 27 });
  t.equal(frames.length * FRAME + buffer.stats().concealed, 30 * FRAME);
});

t.test('a frame arriving after its slot was concealed is late', async (t) => {
  const buffer = new JitterBuffer(OPTS);
  const arrivals = steady(20).map((a) => (a.frame.seq === 1005 ? { ...a, at: 1000 + 5 * 20 + 85 } : a));
  const { frames, gaps, answers } = run(buffer, arrivals);
  t.same(gaps, [FRAME]);
  t.equal(answers.filter((a) => a === 'late').length, 1);
  t.notOk(frames.some((f) => f.frame.seq === 1005));
  t.match(buffer.stats(), { late: 1, lost: 1, played: 19, reordered: 1 });
});

t.test('a frame that is overdue but whose slot is not yet played still plays, at once', async (t) => {
  const buffer = new JitterBuffer(OPTS);
  // Frame 5 arrives 70 ms late: after its due time (1160), before frame 6's (1180).
  const arrivals = steady(20).map((a) => (a.frame.seq === 1005 ? { ...a, at: 1170 } : a));
  const { frames, gaps } = run(buffer, arrivals);
  t.same(gaps, []);
  t.equal(frames.find((f) => f.frame.seq === 1005)!.at, 1170);
  t.equal(frames.find((f) => f.frame.seq === 1006)!.at, 1180, 'the schedule is unchanged');
});

t.test('a burst after a stall is cut to maxDepth: oldest dropped, no silence for it, latency bounded', async (t) => {
  const buffer = new JitterBuffer(OPTS);
  // Frames 20–69 (1 s) held up by the network, then delivered in order within 10 ms, just before frame 70.
  const arrivals = steady(100, 1000, (i) => (i >= 20 && i < 70 ? 2390 + Math.floor((i - 20) / 5) - (1000 + i * 20) : 0));
  let maxHeld = 0;
  const answers: JitterPush[] = [];
  for (const a of [...arrivals].sort((x, y) => x.at - y.at)) {
    buffer.pull(a.at);
    answers.push(buffer.push(a.frame, a.at));
    maxHeld = Math.max(maxHeld, buffer.heldDuration());
  }
  t.ok(maxHeld <= (300 * RATE) / 1000, `held at most 300 ms (${(maxHeld * 1000) / RATE} ms)`);
  t.equal(buffer.maxHeldDuration(), maxHeld);
  const stats = buffer.stats();
  t.ok(stats.overflowDrops >= 35, `${stats.overflowDrops} of the 50 late frames dropped`);
  t.ok(answers.every((a) => a === 'accepted'), 'the pushed frame is the newest: older ones make room');
  t.equal(stats.resyncs, 1, 'the stall ran the buffer dry: the burst starts a new schedule');
});

t.test("a straggler that would be the oldest of an over-full buffer is itself the one dropped: 'overflow'", async (t) => {
  const buffer = new JitterBuffer(OPTS);
  for (let i = 1; i <= 15; i++) t.equal(buffer.push(frame(i), 1000), 'accepted');
  t.equal(buffer.heldDuration(), 15 * FRAME, 'exactly 300 ms: full, not over');
  t.equal(buffer.push(frame(0), 1001), 'overflow');
  t.equal(buffer.heldDuration(), 3 * FRAME, 'trimmed to the depth');
  t.same(buffer.pull(Infinity).map((o) => (o.kind === 'frame' ? o.frame.seq : o.kind)), [1013, 1014, 1015], 'the newest audio, no gap for the dropped');
  t.equal(buffer.stats().overflowDrops, 13);
});

t.test('a burst arriving shuffled keeps the newest audio and drops the stragglers as late', async (t) => {
  const buffer = new JitterBuffer(OPTS);
  const arrivals = steady(100, 1000, (i) => (i >= 20 && i < 70 ? 2390 + (i % 10) - (1000 + i * 20) : 0));
  const { frames } = run(buffer, arrivals);
  const stats = buffer.stats();
  t.ok(buffer.maxHeldDuration() <= (300 * RATE) / 1000);
  t.ok(frames.every((f, i) => i === 0 || f.frame.seq > frames[i - 1]!.frame.seq), 'in order');
  t.ok(frames.slice(-30).every((f, i) => f.frame.seq === 1070 + i), 'the frames after the burst all play');
  t.equal(stats.played + stats.late + stats.overflowDrops, 100);
});

t.test('the end-to-end delay after a burst returns to the depth', async (t) => {
  const buffer = new JitterBuffer(OPTS);
  const arrivals = steady(150, 1000, (i) => (i >= 20 && i < 70 ? 2390 + Math.floor((i - 20) / 5) - (1000 + i * 20) : 0));
  const { frames, gaps } = run(buffer, arrivals);
  const delays = frames.map((f) => f.at - (1000 + (f.frame.seq - 1000) * 20));
  t.equal(delays[0], 60);
  t.same(gaps, [], 'dropped audio is not concealed');
  // The tail of a burst (under maxDepth) stays queued: latency is bounded by depth + maxDepth, and
  // returns to the depth at the next underrun (the next pause in speech).
  t.ok(delays.slice(20).every((d) => d <= 60 + 300), `bounded after the burst: ${delays.slice(20, 25).join(', ')} ms`);
});

t.test('silence longer than the depth re-anchors the next talk spurt: no concealment, fresh depth', async (t) => {
  const buffer = new JitterBuffer(OPTS);
  // The sender keeps counting seq and timestamp through 2 s of suppressed silence (uplink.ts does).
  const spurt1 = steady(10);
  const spurt2 = steady(10, 1000 + 110 * 20).map((a, i) => ({ at: a.at, frame: frame(110 + i) }));
  const { frames, gaps } = run(buffer, [...spurt1, ...spurt2]);
  t.same(gaps, [], 'the pause is not concealed');
  t.equal(frames[10]!.at, 1000 + 110 * 20 + 60, 'the new spurt waits its own depth');
  t.match(buffer.stats(), { played: 20, resyncs: 1, lost: 0 });
  t.ok(buffer.isIdle(10_000));
});

t.test('a pause shorter than the depth is concealed as silence of its length', async (t) => {
  const buffer = new JitterBuffer(OPTS);
  const arrivals = steady(20).filter((a) => a.frame.seq < 1010 || a.frame.seq >= 1012);
  const { gaps } = run(buffer, arrivals);
  t.same(gaps, [2 * FRAME]);
  t.equal(buffer.stats().resyncs, 0);
});

t.test('a timestamp jump beyond maxDepth with frames still flowing is a new spurt, not minutes of silence', async (t) => {
  const buffer = new JitterBuffer(OPTS);
  const arrivals = steady(20).map((a, i) => (i >= 10 ? { at: a.at, frame: { ...a.frame, timestamp: (a.frame.timestamp + 3_600 * RATE) >>> 0 } } : a));
  const { frames, gaps } = run(buffer, arrivals);
  t.same(gaps, []);
  t.equal(frames.length, 20);
  t.equal(buffer.stats().resyncs, 1);
  t.ok(frames.every((f, i) => i === 0 || f.at >= frames[i - 1]!.at), 'never out of order in time');
  t.ok(frames[10]!.at <= 1000 + 10 * 20 + 60 + 1, 'the jumped frame waits only its depth');
});

t.test('seq and timestamp wrap across 2^32', async (t) => {
  const buffer = new JitterBuffer(OPTS);
  const base = { seq: 2 ** 32 - 5, ts: 2 ** 32 - 7 * FRAME - 3 };
  const arrivals = steady(20, 1000, (i) => (i === 6 ? 25 : 0), base); // frame 6 (after the wrap) overtaken by 7
  const { frames, gaps, answers } = run(buffer, arrivals);
  t.ok(answers.every((a) => a === 'accepted'));
  t.same(
    frames.map((f) => f.frame.seq),
    Array.from({ length: 20 }, (_, i) => (base.seq + i) >>> 0),
  );
  t.same(gaps, []);
  t.same(frames.map((f) => f.at), Array.from({ length: 20 }, (_, i) => 1060 + i * 20));
  t.match(buffer.stats(), { reordered: 1, late: 0, resyncs: 0 });
});

t.test('a sender that restarts its counters is followed after at most maxDepth of refused audio', async (t) => {
  const buffer = new JitterBuffer(OPTS);
  const first = steady(50);
  // Same seq/ts as the start of the session: every frame looks like a duplicate or late.
  const second = steady(50, 1000 + 60 * 20);
  const { frames } = run(buffer, [...first, ...second]);
  const stats = buffer.stats();
  t.ok(frames.length >= 50 + 50 - 16, `${frames.length} frames played`);
  t.ok(stats.resyncs >= 1);
});

t.test('reset forgets frames, schedule and statistics', async (t) => {
  const buffer = new JitterBuffer(OPTS);
  for (const a of steady(5)) buffer.push(a.frame, a.at);
  buffer.reset();
  t.equal(buffer.nextDueMs(), null);
  t.match(buffer.stats(), { received: 0, depth: 0, maxDepth: 0 });
  t.equal(buffer.heldDuration(), 0);
  t.equal(buffer.push(frame(0), 5000), 'accepted', 'the same seq is new again');
  t.equal(buffer.nextDueMs(), 5060);
  t.equal(buffer.stats().resyncs, 0);
});

t.test('pulling everything at once (end of spurt) keeps order and gaps', async (t) => {
  const buffer = new JitterBuffer(OPTS);
  for (const a of steady(6)) if (a.frame.seq !== 1003) buffer.push(a.frame, 1000);
  t.equal(buffer.isIdle(1000), false);
  const out = buffer.pull(Infinity);
  t.same(out.map((o) => (o.kind === 'gap' ? `gap ${o.duration}` : o.frame.seq)), [1000, 1001, 1002, 'gap 160', 1004, 1005]);
  t.equal(buffer.isIdle(Infinity), true);
});

t.test('options and durations that are programming errors throw', async (t) => {
  t.throws(() => new JitterBuffer({ ...OPTS, clockRate: 0 }), RangeError);
  t.throws(() => new JitterBuffer({ ...OPTS, depthMs: -1 }), RangeError);
  t.throws(() => new JitterBuffer({ ...OPTS, maxDepthMs: Number.NaN }), RangeError);
  const buffer = new JitterBuffer(OPTS);
  t.throws(() => buffer.push({ ...frame(0), duration: 0 }, 0), RangeError);
  t.throws(() => buffer.push({ ...frame(0), duration: Number.POSITIVE_INFINITY }, 0), RangeError);
});

t.test('a seeded random network over 10 minutes: bounded, in order, duration conserved', async (t) => {
  for (const seed of [1, 2, 3]) {
    const random = mulberry32(seed);
    const count = 30_000;
    const arrivals: Arrival[] = [];
    let lostOnWire = 0;
    const base = { seq: Math.floor(random() * 2 ** 32), ts: Math.floor(random() * 2 ** 32) };
    for (let i = 0; i < count; i++) {
      if (random() < 0.03) {
        lostOnWire++;
        continue;
      }
      let delay = random() * 40;
      if (random() < 0.05) delay += 20 + random() * 20; // overtaken by the next frame
      arrivals.push({ at: 1000 + i * 20 + delay, frame: frame(i, base) });
      if (random() < 0.02) arrivals.push({ at: 1000 + i * 20 + delay + random() * 100, frame: frame(i, base) });
    }
    const buffer = new JitterBuffer({ ...OPTS, leadMs: 20 });
    const { released, frames, answered } = run(buffer, arrivals);
    const stats = buffer.stats();
    t.ok(buffer.maxHeldDuration() <= (300 * RATE) / 1000, `seed ${seed}: held ≤ maxDepth (max ${(buffer.maxHeldDuration() * 1000) / RATE} ms)`);
    t.ok(stats.maxDepth <= 15, `seed ${seed}: at most ${stats.maxDepth} frames held`);
    const tsOf = (f: JitterFrame) => (f.timestamp - base.ts) >>> 0;
    t.ok(frames.every((f, i) => i === 0 || tsOf(f.frame) > tsOf(frames[i - 1]!.frame)), `seed ${seed}: strictly in timestamp order`);
    const playedUnits = frames.length * FRAME + stats.concealed;
    t.ok(Math.abs(playedUnits - count * FRAME) <= 2 * FRAME, `seed ${seed}: played + concealed ${playedUnits} ≈ sent ${count * FRAME}`);
    t.ok(released.every((r) => r.out.kind === 'frame' || r.out.duration % FRAME === 0), 'gaps are whole frames');
    const lateOnly = new Set(answered.filter((a) => a.answer === 'late').map((a) => a.seq));
    t.equal(stats.played + lateOnly.size + stats.overflowDrops, count - lostOnWire, `seed ${seed}: every distinct frame received is played or dropped for a reason`);
    t.equal(stats.resyncs, 0, `seed ${seed}: 40 ms of jitter never runs a 60 ms buffer dry`);
    t.ok(stats.duplicates > 0 && stats.reordered > 0 && stats.lost >= lostOnWire, `seed ${seed}: ${JSON.stringify(stats)}`);
  }
});
