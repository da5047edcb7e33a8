/**
 * FrameSource with real ffmpeg on a lavfi test pattern: the frames have the
 * exact analysis size, arrive at roughly the analysis rate, and stop() leaves
 * no ffmpeg behind.
 */
import { existsSync } from 'node:fs';
import t from 'tap';
import { systemClock } from '../../../src/core/clock.js';
import { FrameSource, frameSourceDefaults, type FrameSourceConfig } from '../../../src/media/frame-source.js';
import { capturingLogger, collectEvents, ffmpegChildren, nextEvent } from '../../helpers/ffmpeg-rig.js';

function source(config: Partial<FrameSourceConfig> = {}): FrameSource {
  return new FrameSource({
    config: { ...frameSourceDefaults, input: 'lavfi:testsrc2=size=640x360:rate=10', ...config },
    clock: systemClock,
    logger: capturingLogger().logger,
  });
}

t.test('default analysis frames are 320×180 gray, in sequence, at about 5 fps', async (t) => {
  const src = source();
  t.teardown(() => src.stop());
  const up = nextEvent(src, 'health', 10_000);
  const framesP = collectEvents(src, 'frame', 10, 15_000);
  await src.start();
  t.same(await up, { state: 'up', reason: 'receiving frames' });
  t.ok(src.streaming());
  const frames = await framesP;

  for (const f of frames) {
    t.equal(f.width, 320);
    t.equal(f.height, 180);
    t.equal(f.data.length, 320 * 180, 'one byte per pixel');
  }
  t.same(frames.map((f) => f.seq), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.ok(frames.every((f, i) => i === 0 || f.ptsMs >= (frames[i - 1]?.ptsMs ?? 0)), 'ptsMs never goes back');
  const moved = frames.slice(1).some((f, i) => Buffer.compare(f.data, frames[i]?.data ?? f.data) !== 0);
  t.ok(moved, 'testsrc2 content changes between frames');

  // 9 intervals at 5 fps = 1.8 s. Loose bounds: real-time pacing (-re) rules
  // out a burst, and the rate is not off by a factor of two.
  const span = (frames[9]?.ptsMs ?? 0) - (frames[0]?.ptsMs ?? 0);
  t.ok(span > 900 && span < 5400, `10 frames spanned ${Math.round(span)} ms`);
  t.equal(src.stats().frames >= 10, true);
  t.equal(src.stats().restarts, 0);
});

t.test('a configured size and rate are honoured (160×90 at 10 fps)', async (t) => {
  const src = source({ width: 160, height: 90, fps: 10 });
  t.teardown(() => src.stop());
  const framesP = collectEvents(src, 'frame', 10, 10_000);
  await src.start();
  const frames = await framesP;
  t.ok(frames.every((f) => f.data.length === 160 * 90 && f.width === 160 && f.height === 90));
  const span = (frames[9]?.ptsMs ?? 0) - (frames[0]?.ptsMs ?? 0);
  t.ok(span > 450 && span < 2700, `10 frames at 10 fps spanned ${Math.round(span)} ms`);
});

t.test('stop() leaves no ffmpeg process, running or zombie', async (t) => {
  const src = source();
  await src.start();
  await nextEvent(src, 'frame', 10_000);
  const pid = src.stats().ffmpegPid;
  t.type(pid, 'number');
  t.same(ffmpegChildren().map((p) => p.pid), [pid], 'exactly one ffmpeg while running');
  await src.stop();
  t.same(ffmpegChildren(), [], 'no ffmpeg child after stop()');
  t.notOk(existsSync(`/proc/${pid}`), 'the process is reaped, not a zombie');
  t.equal(src.streaming(), false);
  t.equal(src.stats().ffmpegPid, undefined);
  let late = 0;
  src.on('frame', () => late++);
  await src.stop(); // idempotent
  t.equal(late, 0);
});
