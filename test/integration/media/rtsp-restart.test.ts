/**
 * The camera's streamer dies and comes back (firmware watchdog, config
 * change): the frame source reports one outage and resumes by itself.
 */
import { pino } from 'pino';
import t from 'tap';
import { systemClock } from '../../../src/core/clock.js';
import { FrameSource, frameSourceDefaults, type FrameSourceHealth } from '../../../src/media/frame-source.js';
import { collectEvents, ffmpegChildren, nextEvent } from '../../helpers/ffmpeg-rig.js';
import { startRtspServer } from '../../helpers/rtsp-server.js';

/** A logger that counts ended ffmpeg runs, so the test can wait for failed retries instead of sleeping. */
function runEndCounter(): { logger: pino.Logger; endedRuns: (n: number, timeoutMs: number) => Promise<void> } {
  let ended = 0;
  const waiters: Array<{ n: number; wake: () => void }> = [];
  const logger = pino({ level: 'info' }, {
    write(line: string) {
      if (!line.includes('ffmpeg run ended')) return;
      ended += 1;
      for (const w of waiters.filter((w) => ended >= w.n)) w.wake();
    },
  });
  const endedRuns = (n: number, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      if (ended >= n) return resolve();
      const timer = setTimeout(() => reject(new Error(`only ${ended} of ${n} ffmpeg runs ended within ${timeoutMs} ms`)), timeoutMs);
      waiters.push({ n, wake: () => (clearTimeout(timer), resolve()) });
    });
  return { logger, endedRuns };
}

t.test('RTSP server killed and restarted on the same port: exactly one down and one up, frames resume', async (t) => {
  let server = await startRtspServer({ fps: 10 });
  const counter = runEndCounter();
  t.teardown(() => server.stop('SIGKILL'));
  const src = new FrameSource({
    config: { ...frameSourceDefaults, input: server.url, stallTimeoutMs: 3_000 },
    clock: systemClock,
    logger: counter.logger,
    // Short retries so the outage ends within the test's budget.
    backoff: { initialMs: 300, maxMs: 1_000, resetAfterMs: 60_000 },
  });
  const health: FrameSourceHealth[] = [];
  src.on('health', (h) => health.push(h));
  t.teardown(() => src.stop());

  await src.start();
  await nextEvent(src, 'health', 10_000, (h) => h.state === 'up');
  await collectEvents(src, 'frame', 3, 10_000);

  const down = nextEvent(src, 'health', 10_000, (h) => h.state === 'down');
  await server.stop('SIGKILL');
  const outage = await down;
  t.equal(outage.state, 'down', 'the outage is reported');
  // Let at least one retry fail against the dead port (connection refused)
  // before the server comes back: those failures must not add health events.
  await counter.endedRuns(2, 10_000);

  const up = nextEvent(src, 'health', 15_000, (h) => h.state === 'up');
  server = await startRtspServer({ port: server.port, fps: 10 });
  await up;
  const resumed = await collectEvents(src, 'frame', 5, 10_000);
  t.ok(resumed.every((f) => f.data.length === 320 * 180), 'frames at the analysis size again');
  t.same(health.map((h) => h.state), ['up', 'down', 'up'], 'one health event each way, however many retries failed');
  t.ok(src.stats().restarts >= 2, 'ffmpeg was restarted, at least once in vain');
  await src.stop();
  t.same(ffmpegChildren(), [], 'no ffmpeg left');
});
