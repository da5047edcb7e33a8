import { EventEmitter } from 'node:events';
import t from 'tap';
import { pino } from 'pino';
import { ManualClock } from '../../../src/core/clock.js';
import type { FrameSourceEvents } from '../../../src/media/frame-source.js';
import { readMotionConfig, type MotionConfig } from '../../../src/media/motion/motion-config.js';
import { VideoAnalyzer, type FrameFeed, type MotionNotice } from '../../../src/media/video-analyzer.js';
import { SyntheticScene } from '../../helpers/scenario-frames.js';

class FakeFeed implements FrameFeed {
  readonly emitter = new EventEmitter();
  on<K extends keyof FrameSourceEvents>(name: K, listener: (payload: FrameSourceEvents[K]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }
  listeners(): number {
    return this.emitter.listenerCount('frame') + this.emitter.listenerCount('health');
  }
}

function config(motion: Record<string, unknown> = {}, tz = 'UTC'): MotionConfig {
  const r = readMotionConfig(motion, tz);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
}

function rig(motion: Record<string, unknown> = {}) {
  const feed = new FakeFeed();
  // 2026-01-05 is a Monday; 12:00 UTC.
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 12));
  const analyzer = new VideoAnalyzer({ frames: feed, config: config(motion), clock, logger: pino({ level: 'silent' }) });
  const notices: MotionNotice[] = [];
  analyzer.on('motion', (n) => notices.push(n));
  const scene = new SyntheticScene();
  let seq = 0;
  /** One frame 200 ms after the last, with a walker visible from frame `enter`. */
  const frame = (enter = Infinity) => {
    clock.advance(200);
    const k = seq++;
    const movers = k >= enter ? [{ x: -20 + 8 * (k - enter + 1), y: 60, w: 20, h: 60 }] : [];
    feed.emitter.emit('frame', { data: scene.frame(movers), width: 320, height: 180, seq: k, ptsMs: clock.monotonic() });
  };
  return { feed, clock, analyzer, notices, frame };
}

t.test('frames in, motion notices out with wall-clock time; stop() ends the open event and unsubscribes', async (t) => {
  const { feed, clock, analyzer, notices, frame } = rig();
  await analyzer.start();
  for (let k = 0; k < 15; k++) frame(5);
  t.equal(notices.length, 1);
  t.equal(notices[0]?.type, 'start');
  t.equal(notices[0]?.at, Date.UTC(2026, 0, 5, 12) + 7 * 200, 'frame 6 arrived 1.4 s after the start');
  t.equal(analyzer.stats()?.state, 'motion');
  await analyzer.stop();
  t.equal(notices[1]?.type, 'end');
  t.equal(notices[1]?.type === 'end' ? notices[1].reason : null, 'flush');
  t.equal(feed.listeners(), 0);
  void clock;
});

t.test('the stream going down ends an open event', async (t) => {
  const { feed, analyzer, notices, frame } = rig();
  await analyzer.start();
  for (let k = 0; k < 10; k++) frame(3);
  feed.emitter.emit('health', { state: 'down', reason: 'x', code: 'ffmpeg_stalled' });
  t.same(notices.map((n) => n.type), ['start', 'end']);
  await analyzer.stop();
});

t.test('the schedule disarms detection; a manual arm overrides it', async (t) => {
  // Armed only 18:00–07:00 UTC: at 12:00 nothing is reported.
  const { analyzer, notices, frame } = rig({ schedule: [{ days: 'daily', from: '18:00', to: '07:00' }] });
  await analyzer.start();
  for (let k = 0; k < 15; k++) frame(5);
  t.same(notices, []);
  t.equal(analyzer.stats()?.armed, false);
  analyzer.setManualArm(true);
  for (let k = 0; k < 15; k++) frame(20);
  t.equal(notices[0]?.type, 'start');
  await analyzer.stop();
});

t.test('PTZ movement and configure() reach the detector', async (t) => {
  const { analyzer, notices, frame } = rig();
  await analyzer.start();
  analyzer.setPtzMoving(true);
  for (let k = 0; k < 10; k++) frame(2);
  t.same(notices, []);
  analyzer.setPtzMoving(false);
  analyzer.configure(config({ minArea: 40 }));
  for (let k = 0; k < 30; k++) frame(20);
  t.same(notices, [], 'a 2 % mover is below the new 40 % minArea');
  await analyzer.stop();
});
