/**
 * FrameSource on a video file generated in the test (lavfi → H.264): it is
 * read in real time and looped without a restart; with loop off it ends once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { systemClock } from '../../../src/core/clock.js';
import { FrameSource, frameSourceDefaults, type FrameSourceHealth } from '../../../src/media/frame-source.js';
import { capturingLogger, collectEvents, ffmpegChildren, makeTestClip, nextEvent } from '../../helpers/ffmpeg-rig.js';

const dir = mkdtempSync(join(tmpdir(), 'frame-source-file-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('a 1 s clip loops: more frames than one pass holds, no restart', async (t) => {
  const clip = await makeTestClip(dir, { seconds: 1, size: '320x240', rate: 10 });
  const src = new FrameSource({
    config: { ...frameSourceDefaults, input: clip, loop: true },
    clock: systemClock,
    logger: capturingLogger().logger,
  });
  t.teardown(() => src.stop());
  const health: FrameSourceHealth[] = [];
  src.on('health', (h) => health.push(h));
  // One pass of a 1 s clip at 5 fps is 5 frames; 12 needs at least two loops.
  const framesP = collectEvents(src, 'frame', 12, 10_000);
  await src.start();
  const frames = await framesP;
  t.ok(frames.every((f) => f.data.length === 320 * 180));
  t.same(health, [{ state: 'up', reason: 'receiving frames' }], 'up once, never down: looping is not restarting');
  t.equal(src.stats().restarts, 0);
  t.equal(ffmpegChildren().length, 1);
});

t.test('with loop off the clip plays once, then the source is down for good', async (t) => {
  const clip = await makeTestClip(dir, { seconds: 1, size: '320x240', rate: 10, name: 'once.mp4' });
  const src = new FrameSource({
    config: { ...frameSourceDefaults, input: clip, loop: false },
    clock: systemClock,
    logger: capturingLogger().logger,
  });
  t.teardown(() => src.stop());
  let frames = 0;
  src.on('frame', () => frames++);
  const down = nextEvent(src, 'health', 10_000, (h) => h.state === 'down');
  await src.start();
  t.same(await down, { state: 'down', reason: 'input file ended (loop is off)', code: 'input_ended' });
  t.ok(frames >= 3 && frames <= 7, `one pass gave ${frames} frames (about 5)`);
  t.equal(src.stats().restarts, 0);
  t.same(ffmpegChildren(), [], 'ffmpeg exited and nothing was restarted');
});
