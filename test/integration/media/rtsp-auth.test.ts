/**
 * The frame source reading a real RTSP server (GStreamer gst-rtsp-server)
 * with Digest auth: credentials added the way the ONVIF adapter adds them
 * reach the server, and a wrong password is reported without the password.
 */
import t from 'tap';
import { systemClock } from '../../../src/core/clock.js';
import { FrameSource, frameSourceDefaults, type FrameSourceHealth } from '../../../src/media/frame-source.js';
import { withCredentials } from '../../../src/media/onvif/stream-uri.js';
import { capturingLogger, collectEvents, ffmpegChildren, nextEvent } from '../../helpers/ffmpeg-rig.js';
import { startRtspServer } from '../../helpers/rtsp-server.js';

// Characters that break a naively built userinfo: ':' '@' '/' '%'.
const PASSWORD = 'pa:ss@w/rd%41';

t.test('frames of the analysis size arrive through RTSP with Digest credentials from withCredentials()', async (t) => {
  const server = await startRtspServer({ user: 'admin', password: PASSWORD, width: 640, height: 360, fps: 10 });
  t.teardown(() => server.stop());
  const { logger, lines } = capturingLogger();
  const src = new FrameSource({
    config: { ...frameSourceDefaults, input: withCredentials(server.url, { user: 'admin', password: PASSWORD }), width: 160, height: 90 },
    clock: systemClock,
    logger,
  });
  t.teardown(() => src.stop());
  const up = nextEvent(src, 'health', 10_000, (h) => h.state === 'up');
  await src.start();
  t.same(await up, { state: 'up', reason: 'receiving frames' });
  const frames = await collectEvents(src, 'frame', 5, 10_000);
  t.ok(frames.every((f) => f.width === 160 && f.height === 90 && f.data.length === 160 * 90), 'gray frames at 160×90');
  // The ball moves: consecutive frames differ.
  const [a, b] = [frames[0]!.data, frames[4]!.data];
  t.ok(a.some((v, i) => v !== b[i]), 'the picture changes');
  await src.stop();
  t.same(ffmpegChildren(), [], 'no ffmpeg left');
  t.notOk(lines.join('\n').includes('pa:ss@w'), 'password never logged');
});

t.test('a wrong password gives one down event whose reason carries no password', async (t) => {
  const server = await startRtspServer({ user: 'admin', password: PASSWORD });
  t.teardown(() => server.stop());
  const wrong = 'Wr0ng:P@ss%2F';
  const { logger, lines } = capturingLogger();
  const src = new FrameSource({
    config: { ...frameSourceDefaults, input: withCredentials(server.url, { user: 'admin', password: wrong }) },
    clock: systemClock,
    logger,
  });
  const health: FrameSourceHealth[] = [];
  src.on('health', (h) => health.push(h));
  t.teardown(() => src.stop());
  const down = nextEvent(src, 'health', 10_000, (h) => h.state === 'down');
  await src.start();
  const event = await down;
  t.equal(event.state, 'down');
  t.match(event.reason, /401|authori[sz]ation/i, 'the reason says why');
  for (const secret of [wrong, encodeURIComponent(wrong), 'Wr0ng']) {
    t.notOk(event.reason.includes(secret), `reason hides ${secret}`);
    t.notOk(lines.join('\n').includes(secret), `logs hide ${secret}`);
  }
  await src.stop();
  t.same(health.map((h) => h.state), ['down'], 'no up, one down');
});
