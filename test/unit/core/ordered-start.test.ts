import t from 'tap';
import { orderedStart, type StartStop } from '../../../src/core/ordered-start.js';

/** A part that records its calls; its start() resolves only when the test says so. */
function part(name: string, log: string[]): StartStop & { release(): void } {
  let release = () => undefined as void;
  return {
    start: () =>
      new Promise<void>((resolve) => {
        log.push(`${name}.start`);
        release = resolve;
      }),
    stop: async () => void log.push(`${name}.stop`),
    release: () => release(),
  };
}

const tick = () => new Promise((res) => setImmediate(res));

t.test('starts in order and stops in reverse', async (t) => {
  const log: string[] = [];
  const a = part('decoder', log);
  const b = part('ffmpeg', log);
  const both = orderedStart([a, b]);
  const started = both.start();
  await tick();
  a.release();
  await tick();
  b.release();
  await started;
  await both.stop();
  t.same(log, ['decoder.start', 'ffmpeg.start', 'ffmpeg.stop', 'decoder.stop']);
});

t.test('a stop while the first part is still starting wins: the second never starts, the first is stopped', async (t) => {
  const log: string[] = [];
  const a = part('decoder', log);
  const b = part('ffmpeg', log);
  const both = orderedStart([a, b]);
  const started = both.start();
  await tick();
  const stopped = both.stop();
  a.release();
  await Promise.all([started, stopped]);
  t.same(log, ['decoder.start', 'decoder.stop'], 'no ffmpeg started after the stop (it used to run on, a leaked RTSP session)');
});

t.test('a stop while the last part is starting waits for it and stops both', async (t) => {
  const log: string[] = [];
  const a = part('decoder', log);
  const b = part('ffmpeg', log);
  const both = orderedStart([a, b]);
  const started = both.start();
  await tick();
  a.release();
  await tick();
  const stopped = both.stop();
  b.release();
  await Promise.all([started, stopped]);
  t.same(log, ['decoder.start', 'ffmpeg.start', 'ffmpeg.stop', 'decoder.stop']);
});

t.test('a failed start stops what it started; stop without start does nothing; it can start again', async (t) => {
  const log: string[] = [];
  const a = part('decoder', log);
  const failing: StartStop = {
    start: async () => {
      log.push('ffmpeg.start');
      throw new Error('spawn failed');
    },
    stop: async () => void log.push('ffmpeg.stop'),
  };
  const broken = orderedStart([a, failing]);
  await broken.stop();
  t.same(log, [], 'nothing to stop before a start');
  const started = broken.start();
  await tick();
  a.release();
  await t.rejects(started, /spawn failed/);
  await broken.stop();
  t.same(log, ['decoder.start', 'ffmpeg.start', 'decoder.stop'], 'only the part that did start is stopped');
  log.length = 0;
  const again = broken.start();
  await tick();
  a.release();
  await t.rejects(again);
  t.same(log, ['decoder.start', 'ffmpeg.start'], 'a new start after a stop runs again');
});
