/**
 * The ONVIF adapter (node-onvif underneath) against the fixture camera on
 * loopback: what connect learns, the URIs the streamer gets, PTZ, and one
 * coded error per failure class with no credentials in it.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { connectOnvif } from '../../../src/media/onvif/onvif-camera.js';
import { OnvifError } from '../../../src/media/onvif/onvif-error.js';
import { OnvifFixture, type OnvifFixtureOptions } from '../../helpers/onvif-fixture.js';

const PASSWORD = 'se:cr@t/%';

async function fixture(t: Test, options: OnvifFixtureOptions = {}): Promise<OnvifFixture> {
  const fx = new OnvifFixture({ password: PASSWORD, ...options });
  await fx.start();
  t.teardown(() => fx.stop());
  return fx;
}

async function failure(t: Test, work: Promise<unknown>): Promise<OnvifError> {
  const err = await work.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof OnvifError)) throw new Error(`expected an OnvifError, got ${String(err)}`);
  t.notOk(err.message.includes(PASSWORD) || err.message.includes(encodeURIComponent(PASSWORD)), 'no password in the message');
  return err;
}

t.test('connect reads device information, both profiles, and URIs with credentials for the streamer', async (t) => {
  const fx = await fixture(t);
  const cam = await connectOnvif({ xaddr: fx.xaddr, user: 'admin', password: PASSWORD, timeoutMs: 3_000 });
  t.match(cam.info, { manufacturer: 'Fixture', model: 'SoC-X1', firmwareVersion: '1.4.2', serialNumber: 'FX-0001' });
  t.same(
    cam.profiles.map((p) => [p.token, p.width, p.height, p.encoding, p.fps]),
    [
      ['main', 1920, 1080, 'H264', 25],
      ['sub', 640, 360, 'H264', 10],
    ],
  );
  t.equal(cam.streams()?.sub.token, 'sub');
  t.equal(cam.streamUri('sub'), 'rtsp://admin:se%3Acr%40t%2F%25@127.0.0.1:8554/sub?channel=1&subtype=1', 'sub-stream, userinfo percent-encoded, query kept');
  t.equal(cam.streamUri('main'), 'rtsp://admin:se%3Acr%40t%2F%25@127.0.0.1:8554/main?channel=1&subtype=0');
  t.equal(cam.snapshotUri(), fx.snapshotUri);
  t.equal(cam.hasPtz(), false);
  t.same(fx.calls.filter((c) => c.status !== 200), [], 'every call of init() was answered');
  t.ok(fx.calls.filter((c) => c.action !== 'GetSystemDateAndTime' && c.action !== 'GetCapabilities').every((c) => c.user === 'admin'), 'authenticated calls carry the UsernameToken');
});

t.test('a device clock an hour ahead is compensated (UsernameToken Created follows the device clock)', async (t) => {
  const fx = await fixture(t, { clockSkewMs: 3_600_000, clockWindowMs: 10_000 });
  const cam = await connectOnvif({ xaddr: fx.xaddr, user: 'admin', password: PASSWORD });
  t.equal(cam.profiles.length, 2);
});

t.test('the snapshot comes through HTTP Digest', async (t) => {
  const fx = await fixture(t, { password: 'plain-secret' });
  const cam = await connectOnvif({ xaddr: fx.xaddr, user: 'admin', password: 'plain-secret' });
  const jpeg = await cam.fetchSnapshot();
  t.same([...jpeg.subarray(0, 2)], [0xff, 0xd8], 'a JPEG');
  t.same(fx.snapshotRequests, [{ authorized: false }, { authorized: true }], 'challenge, then digest');
});

t.test('PTZ: continuous move, stop, presets and goto reach the camera as ONVIF calls', async (t) => {
  const fx = await fixture(t, { ptz: true });
  const cam = await connectOnvif({ xaddr: fx.xaddr, user: 'admin', password: PASSWORD });
  t.equal(cam.hasPtz(), true);
  await cam.ptzMove({ x: 0.5, y: -0.25, zoom: 0.1 }, 1.5);
  await cam.ptzStop();
  t.same(await cam.ptzPresets(), [
    { token: '1', name: 'Door' },
    { token: '2', name: 'Garden' },
  ]);
  await cam.ptzGotoPreset('2');
  t.same(fx.ptzLog, [
    { action: 'ContinuousMove', profile: 'main', x: 0.5, y: -0.25, zoom: 0.1, timeout: 'PT2S' },
    { action: 'Stop', profile: 'main', panTilt: true, zoom: true },
    { action: 'GotoPreset', profile: 'main', preset: '2' },
  ]);
  t.equal((await failure(t, cam.ptzGotoPreset('99'))).code, 'onvif_invalid_argument', 'unknown preset');
  t.equal((await failure(t, cam.ptzMove({ x: 2, y: 0 }))).code, 'onvif_invalid_argument', 'speed out of range, not sent');
  t.equal(fx.ptzLog.length, 3);
});

t.test('PTZ on a fixed camera is ptz_unsupported, without a call', async (t) => {
  const fx = await fixture(t);
  const cam = await connectOnvif({ xaddr: fx.xaddr, user: 'admin', password: PASSWORD });
  const before = fx.calls.length;
  for (const attempt of [cam.ptzMove({ x: 0.1, y: 0 }), cam.ptzStop(), cam.ptzPresets(), cam.ptzGotoPreset('1')]) {
    t.equal((await failure(t, attempt)).code, 'ptz_unsupported');
  }
  t.equal(fx.calls.length, before);
});

t.test('a wrong password is onvif_unauthorized and names no credential', async (t) => {
  const fx = await fixture(t);
  const err = await failure(t, connectOnvif({ xaddr: fx.xaddr, user: 'admin', password: `${PASSWORD}x` }));
  t.equal(err.code, 'onvif_unauthorized');
  t.match(err.message, /not authori[sz]ed/i);
  t.notOk(err.message.includes(`${PASSWORD}x`));
  t.match(fx.calls.at(-1), { action: 'GetDeviceInformation', status: 400 }, 'PRE_AUTH calls passed, the first protected one failed');
});

t.test('a camera without GetProfiles is onvif_unsupported', async (t) => {
  const fx = await fixture(t, { unsupported: ['GetProfiles'] });
  const err = await failure(t, connectOnvif({ xaddr: fx.xaddr, user: 'admin', password: PASSWORD }));
  t.equal(err.code, 'onvif_unsupported');
});

t.test('nobody listening is onvif_unreachable', async (t) => {
  const fx = await fixture(t);
  const port = fx.port;
  await fx.stop();
  const err = await failure(t, connectOnvif({ xaddr: `http://127.0.0.1:${port}/onvif/device_service`, user: 'admin', password: PASSWORD }));
  t.equal(err.code, 'onvif_unreachable');
  t.match(err.message, /ECONNREFUSED/);
});

t.test('a host that accepts but never answers is onvif_unreachable within the timeout', async (t) => {
  const sockets: Socket[] = [];
  const silent = createTcpServer((s) => void sockets.push(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    sockets.forEach((s) => s.destroy());
    silent.close();
  });
  const started = performance.now();
  const { port } = silent.address() as AddressInfo;
  const err = await failure(t, connectOnvif({ xaddr: `http://127.0.0.1:${port}/onvif/device_service`, user: 'admin', password: PASSWORD, timeoutMs: 800 }));
  const took = performance.now() - started;
  t.equal(err.code, 'onvif_unreachable');
  t.ok(took < 2_500, `gave up after ${Math.round(took)} ms`);
});

t.test('a web server that is not ONVIF is onvif_invalid_response', async (t) => {
  const web = createHttpServer((_req, res) => res.end('<html><body>router login</body></html>'));
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  t.teardown(() => web.close());
  const { port } = web.address() as AddressInfo;
  const err = await failure(t, connectOnvif({ xaddr: `http://127.0.0.1:${port}/onvif/device_service`, user: 'admin', password: PASSWORD }));
  t.equal(err.code, 'onvif_invalid_response');
});

t.test('arguments node-onvif cannot handle are refused before any call', async (t) => {
  const cases: Array<[Parameters<typeof connectOnvif>[0], RegExp]> = [
    [{ xaddr: 'https://127.0.0.1/onvif/device_service', user: 'a', password: 'b' }, /http:\/\//],
    [{ xaddr: 'http://admin:pw@127.0.0.1/onvif/device_service', user: 'a', password: 'b' }, /not in the xaddr/],
    [{ xaddr: 'not a url', user: 'a', password: 'b' }, /must be a URL/],
    [{ xaddr: 'http://127.0.0.1/onvif/device_service', user: 'a&b', password: 'b' }, /user/],
    [{ xaddr: 'http://127.0.0.1/onvif/device_service', user: 'a', password: 'pässwort' }, /password/],
  ];
  for (const [options, message] of cases) {
    const err = await failure(t, connectOnvif(options));
    t.equal(err.code, 'onvif_invalid_argument');
    t.match(err.message, message);
    t.notMatch(err.message, /pw@|pässwort/);
  }
});
