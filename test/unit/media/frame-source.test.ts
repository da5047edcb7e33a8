/**
 * Supervision logic of FrameSource against a scripted ffmpeg and a manual
 * clock: every timing rule is checked exactly, without real time passing.
 */
import t from 'tap';
import { pino } from 'pino';
import { ManualClock } from '../../../src/core/clock.js';
import {
  FrameSource,
  frameSourceDefaults,
  type FrameSourceConfig,
  type FrameSourceHealth,
  type GrayFrame,
} from '../../../src/media/frame-source.js';
import { MediaError } from '../../../src/media/media-error.js';
import { fakeSpawner, settle, type FakeSpawner } from '../../helpers/ffmpeg-fake.js';

const W = 16;
const H = 8;

interface Rig {
  source: FrameSource;
  clock: ManualClock;
  ff: FakeSpawner;
  frames: GrayFrame[];
  health: FrameSourceHealth[];
}

function rig(config: Partial<FrameSourceConfig> = {}): Rig {
  const clock = new ManualClock();
  const ff = fakeSpawner();
  const source = new FrameSource({
    config: { ...frameSourceDefaults, input: 'rtsp://admin:secret@cam/live', width: W, height: H, ...config },
    clock,
    logger: pino({ level: 'silent' }),
    spawnGrayFrames: ff.spawn,
  });
  const frames: GrayFrame[] = [];
  const health: FrameSourceHealth[] = [];
  source.on('frame', (f) => frames.push(f));
  source.on('health', (h) => health.push(h));
  return { source, clock, ff, frames, health };
}

/** Fails the current run by exiting with code 1 and lets the exit be handled. */
async function crash(r: Rig): Promise<void> {
  r.ff.current().exitWith(1);
  await settle();
}

t.test('the constructor does no work: nothing is spawned before start()', async (t) => {
  const r = rig();
  t.equal(r.ff.runs.length, 0);
  t.equal(r.source.streaming(), false);
  t.equal(r.source.stats().state, 'stopped');
});

t.test('frames have the configured size, increasing seq and the monotonic receive time', async (t) => {
  const r = rig();
  await r.source.start();
  t.same(r.ff.current().spec, {
    input: 'rtsp://admin:secret@cam/live', loop: true, width: W, height: H, fps: 5, socketTimeoutMs: 5000,
  });
  r.clock.advance(700);
  r.ff.current().writeFrames(2);
  r.clock.advance(200);
  r.ff.current().writeFrames(1);
  t.same(r.frames.map((f) => [f.seq, f.width, f.height, f.data.length, f.ptsMs]), [
    [0, W, H, W * H, 700],
    [1, W, H, W * H, 700],
    [2, W, H, W * H, 900],
  ]);
  t.equal(r.frames[1]?.data[0], 1, 'second frame of the chunk is the second frame');
  t.same(r.health, [{ state: 'up', reason: 'receiving frames' }], 'one up event, not one per frame');
  t.ok(r.source.streaming());
  t.same(r.source.stats(), { state: 'up', frames: 3, restarts: 0, lastFrameAtMs: 900, ffmpegPid: r.ff.current().pid() });
  await r.source.stop();
});

t.test('repeated failures give one down event and restarts at 1, 2, 4, 8, 16, 30, 30 s', async (t) => {
  const r = rig();
  await r.source.start();
  const delays: number[] = [];
  for (let i = 0; i < 7; i++) {
    await crash(r);
    const runs = r.ff.runs.length;
    let waited = 0;
    while (r.ff.runs.length === runs) {
      r.clock.advance(100);
      waited += 100;
      if (waited > 60_000) throw new Error('no restart');
    }
    delays.push(waited);
  }
  t.same(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  t.same(r.health, [{ state: 'down', reason: 'ffmpeg exited with code 1', code: 'ffmpeg_exited' }]);
  t.equal(r.source.stats().restarts, 7);
  t.equal(r.source.streaming(), false);
  await r.source.stop();
});

t.test('recovery after failures emits exactly one up; 60 s healthy resets the backoff', async (t) => {
  const r = rig();
  await r.source.start();
  r.ff.current().writeFrames(1);
  await crash(r); // delay 1 s
  r.clock.advance(1000);
  await crash(r); // delay 2 s
  r.clock.advance(2000);
  await crash(r); // delay 4 s
  r.clock.advance(4000);
  r.ff.current().writeFrames(1);
  t.same(r.health.map((h) => h.state), ['up', 'down', 'up']);

  // Healthy for 60 s (frames keep the stall watchdog quiet), then a failure.
  for (let i = 0; i < 61; i++) {
    r.clock.advance(1000);
    r.ff.current().writeFrames(1);
  }
  const runs = r.ff.runs.length;
  await crash(r);
  r.clock.advance(999);
  t.equal(r.ff.runs.length, runs, 'not before 1 s');
  r.clock.advance(1);
  t.equal(r.ff.runs.length, runs + 1, 'restarted after 1 s, not 8 s');
  await r.source.stop();
});

t.test('a short healthy spell does not reset the backoff', async (t) => {
  const r = rig();
  await r.source.start();
  await crash(r);
  r.clock.advance(1000);
  r.ff.current().writeFrames(1); // up, but only briefly
  await crash(r);
  const runs = r.ff.runs.length;
  r.clock.advance(1999);
  t.equal(r.ff.runs.length, runs);
  r.clock.advance(1);
  t.equal(r.ff.runs.length, runs + 1, 'second delay is 2 s');
  await r.source.stop();
});

t.test('a stall is terminated with SIGTERM, then SIGKILL after 2 s, and only then restarted', async (t) => {
  const r = rig({ stallTimeoutMs: 10_000 });
  await r.source.start();
  const first = r.ff.current();
  first.ignoreSigterm = true; // stuck in a blocking read
  first.writeFrames(1);
  r.clock.advance(9_999);
  t.same(first.signals, [], 'a frame re-arms the watchdog');
  r.clock.advance(1);
  t.same(first.signals, ['SIGTERM']);
  first.writeFrames(1); // late frames from a run being killed are dropped
  t.equal(r.frames.length, 1);
  r.clock.advance(1_999);
  t.same(first.signals, ['SIGTERM']);
  r.clock.advance(1);
  t.same(first.signals, ['SIGTERM', 'SIGKILL']);
  await settle();
  t.same(r.health.at(-1), { state: 'down', reason: 'no frame from ffmpeg for 10000 ms', code: 'ffmpeg_stalled' });
  t.equal(r.ff.runs.length, 1, 'no new ffmpeg while waiting for backoff');
  r.clock.advance(1000);
  t.equal(r.ff.runs.length, 2);
  t.equal(r.ff.alive().length, 1, 'never two ffmpeg at once');
  await r.source.stop();
});

t.test('a run that never delivers a first frame counts as stalled', async (t) => {
  const r = rig({ stallTimeoutMs: 5_000 });
  await r.source.start();
  r.clock.advance(5_000);
  await settle();
  t.same(r.health, [{ state: 'down', reason: 'no frame from ffmpeg for 5000 ms', code: 'ffmpeg_stalled' }]);
  await r.source.stop();
});

t.test('an external SIGKILL gives one down, a restart, and one up when frames resume', async (t) => {
  const r = rig();
  await r.source.start();
  r.ff.current().writeFrames(1);
  r.ff.current().killedBy('SIGKILL');
  await settle();
  r.clock.advance(1000);
  r.ff.current().writeFrames(1);
  t.same(r.health, [
    { state: 'up', reason: 'receiving frames' },
    { state: 'down', reason: 'ffmpeg was killed by SIGKILL', code: 'ffmpeg_killed' },
    { state: 'up', reason: 'receiving frames' },
  ]);
  t.same(r.frames.map((f) => f.seq), [0, 1], 'seq continues across restarts');
  await r.source.stop();
});

t.test('a partial frame from a dead run is not completed by the next run', async (t) => {
  const r = rig();
  await r.source.start();
  r.ff.current().write(new Uint8Array((W * H) / 2).fill(7));
  await crash(r);
  r.clock.advance(1000);
  r.ff.current().writeFrames(1);
  t.equal(r.frames.length, 1);
  t.ok(r.frames[0]?.data.every((b) => b === 0), 'only bytes of the new run');
  await r.source.stop();
});

t.test('stop() sends SIGTERM, escalates to SIGKILL after 2 s, and resolves once ffmpeg is gone', async (t) => {
  const r = rig();
  await r.source.start();
  const proc = r.ff.current();
  proc.ignoreSigterm = true;
  let stopped = false;
  const stopping = r.source.stop().then(() => {
    stopped = true;
  });
  await settle();
  t.same(proc.signals, ['SIGTERM']);
  t.equal(stopped, false);
  r.clock.advance(2000);
  await stopping;
  t.same(proc.signals, ['SIGTERM', 'SIGKILL']);
  t.equal(proc.done, true);
  t.equal(r.source.streaming(), false);
  t.equal(r.source.stats().state, 'stopped');
  t.equal(r.clock.pendingTimers(), 0, 'no timer left behind');
});

t.test('stop() during a backoff wait cancels the restart', async (t) => {
  const r = rig();
  await r.source.start();
  await crash(r);
  await r.source.stop();
  r.clock.advance(120_000);
  t.equal(r.ff.runs.length, 1);
  t.equal(r.clock.pendingTimers(), 0);
});

t.test('stop() is idempotent and start() after stop() runs again', async (t) => {
  const r = rig();
  await r.source.stop(); // never started
  await r.source.start();
  await Promise.all([r.source.stop(), r.source.stop()]);
  t.equal(r.ff.runs[0]?.signals.filter((s) => s === 'SIGTERM').length, 1);
  await r.source.start();
  t.equal(r.ff.runs.length, 2);
  r.ff.current().writeFrames(1);
  t.equal(r.source.streaming(), true);
  await r.source.stop();
});

t.test('a start() waiting for a stop is cancelled by a later stop(): no ffmpeg after the last stop', async (t) => {
  const r = rig();
  await r.source.start();
  r.ff.current().ignoreSigterm = true;
  const firstStop = r.source.stop();
  // The QR window reopening (start) and the agent shutting down (stop) while the first ffmpeg still exits.
  const reopen = r.source.start();
  const shutdown = r.source.stop();
  await settle();
  r.clock.advance(2000);
  await Promise.all([firstStop, reopen, shutdown]);
  await settle();
  t.equal(r.ff.runs.length, 1, 'no ffmpeg spawned after the last stop()');
  t.equal(r.source.stats().state, 'stopped');
  t.equal(r.clock.pendingTimers(), 0, 'no stall or restart timer left behind');
});

t.test('a stop() followed by a start() while ffmpeg still exits runs again (the last call wins)', async (t) => {
  const r = rig();
  await r.source.start();
  r.ff.current().ignoreSigterm = true;
  const stopping = r.source.stop();
  const restart = r.source.start();
  await settle();
  r.clock.advance(2000);
  await Promise.all([stopping, restart]);
  t.equal(r.ff.runs.length, 2, 'one new ffmpeg once the old one is gone');
  await r.source.stop();
});

t.test('start() twice does not spawn a second ffmpeg', async (t) => {
  const r = rig();
  await r.source.start();
  await r.source.start();
  t.equal(r.ff.runs.length, 1);
  await r.source.stop();
});

t.test('a non-looping file that ends leaves the source down for good', async (t) => {
  const r = rig({ input: '/tmp/clip.mp4', loop: false });
  await r.source.start();
  r.ff.current().writeFrames(1);
  r.ff.current().exitWith(0);
  await settle();
  t.same(r.health.at(-1), { state: 'down', reason: 'input file ended (loop is off)', code: 'input_ended' });
  r.clock.advance(120_000);
  t.equal(r.ff.runs.length, 1, 'no restart');
  await r.source.stop();
});

t.test('a clean exit of a live input is a failure and is restarted', async (t) => {
  const r = rig();
  await r.source.start();
  r.ff.current().writeFrames(1);
  r.ff.current().exitWith(0);
  await settle();
  t.same(r.health.at(-1), { state: 'down', reason: 'ffmpeg exited with code 0: the input ended', code: 'ffmpeg_exited' });
  r.clock.advance(1000);
  t.equal(r.ff.runs.length, 2);
  await r.source.stop();
});

t.test('the socket timeout handed to ffmpeg is half the stall timeout, at most 5 s', async (t) => {
  const short = rig({ stallTimeoutMs: 4000 });
  await short.source.start();
  t.equal(short.ff.current().spec.socketTimeoutMs, 2000);
  await short.source.stop();
  const long = rig({ stallTimeoutMs: 60_000 });
  await long.source.start();
  t.equal(long.ff.current().spec.socketTimeoutMs, 5000);
  await long.source.stop();
});

t.test('an unusable configuration rejects start() with invalid_config and spawns nothing', async (t) => {
  const cases: Array<Partial<FrameSourceConfig>> = [
    { input: '' },
    { width: 0 },
    { width: 320.5 },
    { height: 4000 },
    { fps: 0 },
    { fps: Number.NaN },
    { stallTimeoutMs: 500 },
    { fps: 0.5, stallTimeoutMs: 3000 }, // shorter than two frame periods
  ];
  for (const config of cases) {
    const r = rig(config);
    const err = await r.source.start().then(
      () => null,
      (e: unknown) => e,
    );
    t.ok(err instanceof MediaError && err.code === 'invalid_config', JSON.stringify(config));
    t.equal(r.ff.runs.length, 0);
  }
});
