/**
 * The agent's default analysis input, end to end: ask the ONVIF camera for
 * its sub-stream, add the credentials, and read frames from the RTSP server
 * it points at (which wants Digest auth with the same password).
 */
import t from 'tap';
import { systemClock } from '../../../src/core/clock.js';
import { FrameSource, frameSourceDefaults } from '../../../src/media/frame-source.js';
import { connectOnvif } from '../../../src/media/onvif/onvif-camera.js';
import { capturingLogger, collectEvents, nextEvent } from '../../helpers/ffmpeg-rig.js';
import { OnvifFixture } from '../../helpers/onvif-fixture.js';
import { startRtspServer } from '../../helpers/rtsp-server.js';

const PASSWORD = 'cam:pa@ss/1%';

t.test('frames flow from the ONVIF sub-stream URI with the camera credentials added', async (t) => {
  const rtsp = await startRtspServer({ user: 'admin', password: PASSWORD, path: '/sub', width: 640, height: 360 });
  t.teardown(() => rtsp.stop());
  const fx = new OnvifFixture({
    password: PASSWORD,
    profiles: [
      { token: 'main', name: 'Main', width: 1920, height: 1080, encoding: 'H264', fps: 25, streamUri: `rtsp://127.0.0.1:${rtsp.port}/main` },
      { token: 'sub', name: 'Sub', width: 640, height: 360, encoding: 'H264', fps: 10, streamUri: rtsp.url },
    ],
  });
  await fx.start();
  t.teardown(() => fx.stop());

  const cam = await connectOnvif({ xaddr: fx.xaddr, user: 'admin', password: PASSWORD });
  const { logger, lines } = capturingLogger();
  const src = new FrameSource({ config: { ...frameSourceDefaults, input: cam.streamUri('sub') }, clock: systemClock, logger });
  t.teardown(() => src.stop());
  const up = nextEvent(src, 'health', 10_000, (h) => h.state === 'up');
  await src.start();
  await up;
  const frames = await collectEvents(src, 'frame', 3, 10_000);
  t.ok(frames.every((f) => f.data.length === 320 * 180));
  await src.stop();
  t.notOk(lines.join('\n').includes('pa@ss') || lines.join('\n').includes('pa%40ss'), 'password never logged');
});
