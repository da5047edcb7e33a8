import t from 'tap';
import pino from 'pino';
import { readFile } from 'node:fs/promises';
import { systemClock, type Clock } from '../../../src/core/clock.js';
import { DigestHttpClient } from '../../../src/alarm/digest-http-client.js';
import { OnvifSnapshotSource } from '../../../src/alarm/onvif-snapshot-source.js';
import { SnapshotCapture } from '../../../src/alarm/snapshot-capture.js';
import { PreEventRing } from '../../../src/alarm/pre-event-ring.js';
import { createFfmpegGrab } from '../../../src/alarm/ffmpeg-grab.js';
import { startDigestServer } from '../../helpers/digest-server.js';
import { testJpeg, testVideo } from '../../helpers/snapshot-fixtures.js';
import { tempDir } from '../../helpers/tmp.js';

const logger = pino({ level: 'silent' });
const clock: Clock = { ...systemClock, setTimeout(fn, ms) { const h = setTimeout(fn, ms); return { cancel: () => clearTimeout(h) }; } };

t.test('snapshot URI behind Digest: fresh images, cached challenge, stale and wrong-password cases', async (t) => {
  const dir = await tempDir(t);
  const a = await readFile(await testJpeg(dir, 640, 360, 'a.jpg'));
  let n = 0;
  const frames = [a, Buffer.concat([a.subarray(0, a.length - 2), Buffer.from([0, 0xff, 0xd9])])];
  for (const algorithm of ['MD5', 'SHA-256'] as const) {
    const server = await startDigestServer({ user: 'admin', password: 'secret', algorithm, image: () => frames[n++ % 2]! });
    t.teardown(() => server.close());
    const source = new OnvifSnapshotSource({ client: new DigestHttpClient({ credentials: { username: 'admin', password: 'secret' } }), uri: () => server.url });
    const first = await source.fetch(Date.now(), 2000);
    t.ok(first.ok, `${algorithm}: first snapshot`);
    t.same(server.requests.map((r) => r.status), [401, 200], 'one challenge round trip');
    t.equal(server.requests[1]!.cacheControl, 'no-cache', 'asks for a fresh image');
    const second = await source.fetch(Date.now(), 2000);
    t.ok(second.ok, 'second snapshot with other bytes');
    t.same(server.requests.map((r) => r.status), [401, 200, 200], 'challenge cached: one request');
    t.equal(server.requests[2]!.nc, '00000002', 'nonce count increments');
    const third = await source.fetch(Date.now(), 2000);
    t.equal(!third.ok && third.error.code, 'snapshot_stale', 'same bytes as an earlier image');
    server.expireNonces();
    n = 1;
    server.set({ image: () => Buffer.concat([a.subarray(0, a.length - 2), Buffer.from([1, 0xff, 0xd9])]) });
    const afterStale = await source.fetch(Date.now(), 2000);
    t.ok(afterStale.ok, 'a stale nonce is renewed transparently');
    server.set({ headers: () => ({ 'last-modified': new Date(Date.now() - 60_000).toUTCString() }), image: () => Buffer.concat([a, Buffer.from([n++])]) });
    const old = await source.fetch(Date.now(), 2000);
    t.equal(!old.ok && old.error.code, 'snapshot_stale', 'Last-Modified before the trigger');
  }
  const server = await startDigestServer({ user: 'admin', password: 'secret', image: () => a });
  t.teardown(() => server.close());
  const wrong = new OnvifSnapshotSource({ client: new DigestHttpClient({ credentials: { username: 'admin', password: 'nope' } }), uri: () => server.url });
  const r = await wrong.fetch(Date.now(), 2000);
  t.equal(!r.ok && r.error.code, 'snapshot_unauthorized');
  t.notMatch(!r.ok ? r.error.message : '', /nope/, 'the password is not in the message');
  server.set({ image: () => Buffer.from('<html>busy</html>') });
  const right = new OnvifSnapshotSource({ client: new DigestHttpClient({ credentials: { username: 'admin', password: 'secret' } }), uri: () => server.url });
  const html = await right.fetch(Date.now(), 2000);
  t.equal(!html.ok && html.error.code, 'snapshot_invalid_image');
});

t.test('a slow snapshot URI times out and the capture falls back to the ffmpeg grab, then to the ring', async (t) => {
  const dir = await tempDir(t);
  const video = await testVideo(dir, 1280, 720, 2);
  const a = await readFile(await testJpeg(dir, 640, 360, 'a.jpg'));
  const server = await startDigestServer({ user: 'admin', password: 'secret', image: () => a, delayMs: 5000 });
  t.teardown(() => server.close());
  const snapshot = new OnvifSnapshotSource({ client: new DigestHttpClient({ credentials: { username: 'admin', password: 'secret' } }), uri: () => server.url });
  const ring = new PreEventRing(5);
  ring.push({ data: new Uint8Array(320 * 180).fill(90), width: 320, height: 180, score: 12, atMono: clock.monotonic() });
  const grabUrl = { value: video };
  const capture = new SnapshotCapture({
    clock,
    logger,
    config: () => ({ onvifTimeoutMs: 300, grabTimeoutMs: 5000, totalTimeoutMs: 8000, ringLookbackMs: 2000 }),
    snapshot,
    grab: { grabFrame: createFfmpegGrab(), url: () => grabUrl.value },
    ring,
  });
  const t0 = performance.now();
  let r = await capture.capture({ at: Date.now(), atMono: clock.monotonic() });
  t.ok(r.ok && r.value.source === 'grab', 'grabbed from the main stream');
  t.same(r.ok && r.value.attempts.map((x) => x.code), ['snapshot_timeout']);
  t.ok(performance.now() - t0 < 5000, 'the slow server did not hold the alarm');

  grabUrl.value = `${dir}/missing.mp4`;
  r = await capture.capture({ at: Date.now(), atMono: clock.monotonic() });
  t.ok(r.ok && r.value.source === 'pre-event' && r.value.frame.lowRes, 'ring frame as the last resort');
  t.same(r.ok && r.value.attempts.map((x) => x.code), ['snapshot_timeout', 'grab_failed']);
});
