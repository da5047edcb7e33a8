/**
 * ffmpeg dying or hanging under a running FrameSource, with real processes:
 * an external SIGKILL, a frozen process (SIGSTOP) detected as a stall, and a
 * stop() that has to escalate from SIGTERM to SIGKILL.
 */
import { existsSync } from 'node:fs';
import t from 'tap';
import { systemClock } from '../../../src/core/clock.js';
import { FrameSource, frameSourceDefaults, type FrameSourceConfig, type FrameSourceHealth } from '../../../src/media/frame-source.js';
import { capturingLogger, collectEvents, ffmpegChildren, nextEvent } from '../../helpers/ffmpeg-rig.js';

function lavfiSource(config: Partial<FrameSourceConfig> = {}): { src: FrameSource; health: FrameSourceHealth[] } {
  const src = new FrameSource({
    config: { ...frameSourceDefaults, input: 'lavfi:testsrc2=size=640x360:rate=10', ...config },
    clock: systemClock,
    logger: capturingLogger().logger,
  });
  const health: FrameSourceHealth[] = [];
  src.on('health', (h) => health.push(h));
  return { src, health };
}

function currentPid(src: FrameSource): number {
  const pid = src.stats().ffmpegPid;
  if (pid === undefined) throw new Error('no ffmpeg running');
  return pid;
}

t.test('an ffmpeg killed from outside is restarted: exactly one down and one up, frames resume', async (t) => {
  const { src, health } = lavfiSource();
  t.teardown(() => src.stop());
  await src.start();
  await collectEvents(src, 'frame', 3, 10_000);
  const victim = currentPid(src);
  const before = health.length; // the initial 'up'

  const down = nextEvent(src, 'health', 5_000, (h) => h.state === 'down');
  const up = nextEvent(src, 'health', 10_000, (h) => h.state === 'up');
  process.kill(victim, 'SIGKILL');
  t.same(await down, { state: 'down', reason: 'ffmpeg was killed by SIGKILL', code: 'ffmpeg_killed' });
  await up;
  const resumed = await collectEvents(src, 'frame', 5, 10_000);

  t.same(health.slice(before).map((h) => h.state), ['down', 'up'], 'one transition each way');
  t.ok(resumed.every((f) => f.data.length === 320 * 180));
  t.equal(src.stats().restarts, 1);
  t.not(currentPid(src), victim);
  t.same(ffmpegChildren().map((p) => p.pid), [currentPid(src)], 'one ffmpeg, the old one reaped');
  await src.stop();
  t.same(ffmpegChildren(), []);
});

t.test('a frozen ffmpeg (SIGSTOP) is a stall: killed, restarted, frames resume', async (t) => {
  const { src, health } = lavfiSource({ stallTimeoutMs: 1_000 });
  t.teardown(() => src.stop());
  await src.start();
  await nextEvent(src, 'frame', 10_000);
  const frozen = currentPid(src);
  const down = nextEvent(src, 'health', 8_000, (h) => h.state === 'down');
  const up = nextEvent(src, 'health', 12_000, (h) => h.state === 'up');
  process.kill(frozen, 'SIGSTOP');
  // A stopped process cannot act on SIGTERM; only the SIGKILL escalation ends it.
  t.same(await down, { state: 'down', reason: 'no frame from ffmpeg for 1000 ms', code: 'ffmpeg_stalled' });
  await up;
  t.notOk(existsSync(`/proc/${frozen}`), 'the frozen ffmpeg was killed and reaped');
  t.same(health.map((h) => h.state), ['up', 'down', 'up']);
  await src.stop();
  t.same(ffmpegChildren(), []);
});

t.test('stop() escalates to SIGKILL when ffmpeg ignores SIGTERM, and leaves nothing behind', async (t) => {
  const { src } = lavfiSource();
  await src.start();
  await nextEvent(src, 'frame', 10_000);
  const pid = currentPid(src);
  process.kill(pid, 'SIGSTOP'); // SIGTERM stays pending on a stopped process
  const started = performance.now();
  await src.stop();
  const took = performance.now() - started;
  t.ok(took >= 1_900, `stop() waited for the 2 s grace period (${Math.round(took)} ms)`);
  t.notOk(existsSync(`/proc/${pid}`), 'killed and reaped');
  t.same(ffmpegChildren(), []);
});
