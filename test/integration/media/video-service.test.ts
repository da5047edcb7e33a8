/**
 * The agent's video service picks its analysis input: the ONVIF sub-stream
 * of the streamer when no video.input is set, resolved in the background
 * with retries so a streamer that boots later than the agent is picked up.
 */
import t from 'tap';
import { systemClock } from '../../../src/core/clock.js';
import { VideoService, type VideoConfig } from '../../../src/media/video-service.js';
import { connectOnvif } from '../../../src/media/onvif/onvif-camera.js';
import { SecretRegistry } from '../../../src/log/secret-registry.js';
import { capturingLogger } from '../../helpers/ffmpeg-rig.js';
import { OnvifFixture } from '../../helpers/onvif-fixture.js';
import { startRtspServer } from '../../helpers/rtsp-server.js';
import { freePort } from '../../helpers/mosquitto.js';

const PASSWORD = 'vid:eo@pw/9';

function config(xaddr: string, input = ''): VideoConfig {
  return {
    input,
    loop: true,
    width: 160,
    height: 90,
    fps: 5,
    stallTimeoutMs: 10_000,
    onvif: { xaddr, user: 'admin', password: PASSWORD, discover: false, timeoutMs: 3000, discoverTimeoutMs: 2000 },
  };
}

function nextHealth(v: VideoService, state: 'up' | 'down', timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${state} within ${timeoutMs} ms`)), timeoutMs);
    const off = v.on('health', (h) => {
      if (h.state !== state) return;
      clearTimeout(timer);
      off();
      resolve(h.reason);
    });
  });
}

t.test('without video.input the ONVIF sub-stream is analysed, even when the streamer comes up late', async (t) => {
  const rtsp = await startRtspServer({ user: 'admin', password: PASSWORD, path: '/sub', width: 640, height: 360 });
  t.teardown(() => rtsp.stop());
  const port = await freePort();
  const fx = new OnvifFixture({
    port,
    password: PASSWORD,
    profiles: [
      { token: 'main', name: 'Main', width: 1920, height: 1080, encoding: 'H264', fps: 25, streamUri: `rtsp://127.0.0.1:${rtsp.port}/main` },
      { token: 'sub', name: 'Sub', width: 640, height: 360, encoding: 'H264', fps: 10, streamUri: rtsp.url },
    ],
  });
  const { logger, lines } = capturingLogger();
  const secrets = new SecretRegistry();
  const calls: string[] = [];
  const video = new VideoService({
    config: config(`http://127.0.0.1:${port}/onvif/device_service`),
    clock: systemClock,
    logger,
    secrets,
    onvif: async () => ({
      connect: (o) => (calls.push('connect'), connectOnvif(o, { logger })),
      discover: async () => [],
    }),
  });
  t.teardown(() => video.stop());
  const down = nextHealth(video, 'down');
  await video.start();
  t.equal(video.state, 'resolving', 'start() does not wait for the streamer');
  t.match(await down, /.+/, 'the unreachable streamer is reported once');
  await fx.start();
  t.teardown(() => fx.stop());
  await nextHealth(video, 'up', 30_000);
  t.equal(video.state, 'streaming');
  t.ok(calls.length >= 2, 'retried until the streamer answered');
  t.ok(video.camera, 'the ONVIF camera is kept for snapshots and PTZ');
  const frame = await new Promise<{ width: number; height: number }>((resolve) => {
    const off = video.on('frame', (f) => {
      off();
      resolve(f);
    });
  });
  t.same([frame.width, frame.height], [160, 90]);
  await video.stop();
  t.notOk(lines.join('\n').includes('eo@pw') || lines.join('\n').includes(encodeURIComponent('eo@pw')), 'the password is never logged');
});

t.test('video.input wins over ONVIF; no input at all leaves the video off', async (t) => {
  const { logger } = capturingLogger();
  let asked = 0;
  const off = new VideoService({ config: config(''), clock: systemClock, logger, secrets: new SecretRegistry(), onvif: async () => (asked++, { connect: async () => Promise.reject(new Error('x')), discover: async () => [] }) });
  await off.start();
  t.equal(off.state, 'off');
  const file = new VideoService({ config: config('http://127.0.0.1:9/onvif', 'lavfi:testsrc2=size=320x180:rate=10'), clock: systemClock, logger, secrets: new SecretRegistry(), onvif: async () => (asked++, { connect: async () => Promise.reject(new Error('x')), discover: async () => [] }) });
  const up = nextHealth(file, 'up');
  await file.start();
  await up;
  await file.stop();
  t.equal(asked, 0, 'ONVIF never asked when the input is configured');
});
