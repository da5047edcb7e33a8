/**
 * Inputs that cannot work: the source reports one `down` with a reason that
 * never carries the camera password, and keeps retrying with growing delays.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { systemClock } from '../../../src/core/clock.js';
import type { Logger } from '../../../src/log/logger.js';
import { createGrayFrameSpawner, type SpawnGrayFrames } from '../../../src/media/ffmpeg.js';
import { FrameSource, frameSourceDefaults, type FrameSourceHealth } from '../../../src/media/frame-source.js';
import { capturingLogger, closedTcpPort, ffmpegChildren, nextEvent } from '../../helpers/ffmpeg-rig.js';

const PASSWORD = 'S3cr3t-Pw';

/**
 * The real spawner, plus a promise per launch so the test can wait for the
 * n-th start and read when it happened.
 */
function recordingSpawner(logger: Logger): { spawn: SpawnGrayFrames; launchAt: (n: number, timeoutMs: number) => Promise<number> } {
  const real = createGrayFrameSpawner({ logger });
  const times: number[] = [];
  const waiters: Array<() => void> = [];
  return {
    spawn: (spec) => {
      times.push(performance.now());
      waiters.splice(0).forEach((wake) => wake());
      return real(spec);
    },
    launchAt: (n, timeoutMs) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`launch #${n} not within ${timeoutMs} ms`)), timeoutMs);
        const check = (): void => {
          const at = times[n];
          if (at !== undefined) {
            clearTimeout(timer);
            resolve(at);
          } else waiters.push(check);
        };
        check();
      }),
  };
}

function failingSource(input: string) {
  const { logger, lines } = capturingLogger();
  const rec = recordingSpawner(logger);
  const src = new FrameSource({
    config: { ...frameSourceDefaults, input },
    clock: systemClock,
    logger,
    spawnGrayFrames: rec.spawn,
  });
  const health: FrameSourceHealth[] = [];
  src.on('health', (h) => health.push(h));
  return { src, lines, health, launchAt: rec.launchAt };
}

t.test('a nonexistent file: one down, then restarts 1 s and 2 s apart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'frame-source-bad-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { src, health, launchAt } = failingSource(join(dir, 'missing.mp4'));
  t.teardown(() => src.stop());
  const down = nextEvent(src, 'health', 10_000);
  await src.start();
  const h = await down;
  t.equal(h.state, 'down');
  t.match(h, { code: 'ffmpeg_exited', reason: /No such file or directory/ });

  const [first, second, third] = await Promise.all([launchAt(0, 1), launchAt(1, 5_000), launchAt(2, 8_000)]);
  // Lower bounds only: a timer never fires early, but a busy CI box may be late.
  t.ok(second - first >= 990, `first retry after ${Math.round(second - first)} ms`);
  t.ok(third - second >= 1990, `second retry after ${Math.round(third - second)} ms`);
  t.equal(health.length, 1, 'no further health events while retries keep failing');
  t.equal(src.streaming(), false);
  t.ok(src.stats().restarts >= 2);
  await src.stop();
  t.same(ffmpegChildren(), []);
});

t.test('an unreachable rtsp:// with credentials: the password is in no reason and no log line', async (t) => {
  const port = await closedTcpPort();
  const url = `rtsp://admin:${PASSWORD}@127.0.0.1:${port}/x`;
  const { src, lines, health, launchAt } = failingSource(url);
  t.teardown(() => src.stop());
  const down = nextEvent(src, 'health', 10_000);
  await src.start();
  const h = await down;
  t.equal(h.state, 'down');
  t.match(h.reason, /Connection refused/);
  t.notMatch(h.reason, PASSWORD);
  t.notMatch(h.reason, 'admin');
  t.match(h.reason, `rtsp://***@127.0.0.1:${port}/x`, 'the masked URL still says where');

  await launchAt(1, 5_000); // it retries
  await src.stop();
  t.equal(health.length, 1);
  t.ok(lines.length > 3, 'debug logging captured ffmpeg output');
  t.ok(lines.some((l) => l.includes('Connection refused')), 'ffmpeg stderr was logged');
  t.same(lines.filter((l) => l.includes(PASSWORD)), [], 'no log line carries the password');
  t.same(ffmpegChildren(), []);
});
