import t from 'tap';
import { readdir } from 'node:fs/promises';
import sharp from 'sharp';
import { alarmRig, waitReady } from '../../helpers/alarm-rig.js';
import { inspectImage, metadataSegments } from '../../../src/alarm/image-inspect.js';

/**
 * Motion alarms end to end: the compiled daemon, real Mosquitto, a local
 * HTTPS upload server and a scripted mover in an MJPEG camera stream.
 */

t.test('a motion alarm arrives at once and its snapshot is uploaded: a valid 640×360 JPEG, no metadata, masked corner black', async (t) => {
  const r = await alarmRig(t);
  const d = r.start();
  await waitReady(r, d);
  const entered = r.video.enter();
  const alarm = await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/event/alarm`, 10_000, 'alarm');
  const eventMs = Date.now() - entered;
  r.video.leave();
  const e = alarm.json();
  t.match(e.data, { kind: 'motion', snapshot: { state: 'pending', delivery: 'https' }, thumbnail: { state: 'pending' } });
  t.match(e.data.alarmId, /^[0-9a-f]{32}$/);
  t.ok(e.data.score > 0, 'score');
  t.notOk(JSON.stringify(e).includes('/9j/'), 'no base64 JPEG in the event');
  const [image] = await r.uploads.waitFor((u) => u.path === `/snapshots/${e.data.alarmId}.jpg`, 10_000);
  const snapshotMs = image!.at - entered;
  t.comment(`onset → event ${eventMs} ms, → upload ${snapshotMs} ms`);
  t.equal(image!.contentType, 'image/jpeg');
  const meta = await sharp(image!.body).metadata();
  t.equal(meta.format, 'jpeg');
  t.same([meta.width, meta.height], [640, 360], 'configured size');
  t.notOk(meta.exif, 'no EXIF');
  const info = inspectImage(image!.body);
  t.ok(info, 'complete JPEG');
  t.same(metadataSegments(info!), [], 'no APP1–APP15/COM segments');
  const { data } = await sharp(image!.body).extract({ left: 4, top: 4, width: 150, height: 80 }).greyscale().raw().toBuffer({ resolveWithObject: true });
  const mean = data.reduce((a, b) => a + b, 0) / data.length;
  t.ok(mean < 6, `masked area black (mean ${mean.toFixed(1)})`);
  await r.uploads.waitFor((u) => u.path === `/snapshots/${e.data.alarmId}.thumb.jpg`, 5_000);
  const status = await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/event/snapshot` && m.json().data.state === 'delivered', 5_000, 'delivered status');
  t.match(status.json().data, { alarmId: e.data.alarmId, delivery: 'https', width: 640, height: 360 });
  t.notOk(d.stdout().includes('X-Amz-Signature'), 'the presigned URL signature is never logged');
  const info2 = (await r.request('info')).data;
  t.match(info2, { alarmSnapshots: true, privacy: false });
  t.same(await readdir(r.spoolDir).then((f) => f.filter((n) => !n.startsWith('.'))), [], 'spool empty after delivery');
});

t.test('with alarm.snapshots false only the event leaves: nothing on snapshot/#, no upload request, no upload', async (t) => {
  const r = await alarmRig(t, { snapshots: false });
  const d = r.start();
  await waitReady(r, d);
  r.video.enter();
  const alarm = await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/event/alarm`, 10_000, 'alarm');
  r.video.leave();
  t.match(alarm.json().data, { snapshot: { state: 'off' }, thumbnail: { state: 'off' } });
  const manual = await r.request('snapshot');
  t.match(manual, { status: 'ok', data: { snapshot: 'off' } });
  // Give a would-be snapshot more than its whole capture + delivery budget to appear.
  await d.waitForLog('alarm raised');
  await new Promise((resolve) => setTimeout(resolve, 4000));
  const leaked = r.cloud.messages.filter((m) => m.topic.includes('/snapshot/') || m.topic.endsWith('/event/upload-url') || m.topic.endsWith('/event/snapshot'));
  t.same(leaked.map((m) => m.topic), [], 'no snapshot messages');
  t.equal(r.uploads.attempts.length, 0, 'no upload');
  t.notOk(d.stdout().includes('alarm snapshot spooled'), 'nothing captured');
  t.match((await r.request('info')).data, { alarmSnapshots: false });
});

t.test('privacy mode: no analysis, no alarms; reported in info', async (t) => {
  const r = await alarmRig(t, {}, { privacy: { mode: true } });
  const d = r.start();
  await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/status` && m.json().state === 'online', 20_000, 'online');
  await d.waitForLog(/privacy mode on/);
  const stop = r.video.cycle(800, 800);
  t.teardown(stop);
  await new Promise((resolve) => setTimeout(resolve, 4000));
  stop();
  t.equal(r.alarms().length, 0, 'no alarm');
  const snap = await r.request('snapshot');
  t.match(snap, { status: 'error', error: { code: 'privacy_mode' } });
  t.match((await r.request('info')).data, { privacy: true });
});

t.test('a failing upload server gets retries with backoff and a clear status, then the image', async (t) => {
  const r = await alarmRig(t);
  const d = r.start();
  await waitReady(r, d);
  r.uploads.failNext(3, 503);
  const snap = await r.request('snapshot');
  t.equal(snap.status, 'ok');
  const alarmId = snap.data.alarmId as string;
  await r.uploads.waitFor((u) => u.path === `/snapshots/${alarmId}.jpg`, 20_000);
  const tries = r.uploads.attempts.filter((a) => a.path === `/snapshots/${alarmId}.jpg`);
  t.same(tries.map((a) => a.status), [503, 503, 503, 200]);
  const gaps = tries.slice(1).map((a, i) => a.at - tries[i]!.at);
  t.comment(`gaps between attempts: ${gaps.join(', ')} ms`);
  t.ok(gaps[0]! >= 150, 'first retry after at least half the minimum delay');
  t.ok(gaps[2]! > gaps[0]!, 'backoff grows');
  const retrying = r.cloud.messages.filter((m) => m.topic === `cam/${r.deviceId}/event/snapshot` && m.json().data.state === 'retrying').map((m) => m.json().data);
  t.equal(retrying.length, 3);
  t.match(retrying[0], { alarmId, code: 'upload_http_error', attempts: 1 });
  t.ok(retrying[0].retryInMs > 0);
  const log = await d.waitForLog('snapshot delivery failed; will retry');
  t.match(log, { code: 'upload_http_error', attempts: 1 });
  t.notOk(JSON.stringify(log).includes('Signature'), 'no presigned query in the log');
});

t.test('the spool never grows past its bound under a flood of motion while the broker is down', async (t) => {
  const r = await alarmRig(t, { spool: { maxCount: 5 } });
  const d = r.start();
  await waitReady(r, d);
  await r.broker.stop();
  let max = 0;
  const poll = setInterval(() => {
    void readdir(r.spoolDir).then((f) => {
      const n = f.filter((x) => x.endsWith('.meta')).length; // one sealed metadata file per entry
      max = Math.max(max, n);
    });
  }, 50);
  t.teardown(() => clearInterval(poll));
  let entries = 0;
  const stop = r.video.cycle(600, 1400, () => entries++);
  t.teardown(stop);
  const spooled = () => d.stdout().split('\n').filter((l) => l.includes('"alarm snapshot spooled"')).length;
  while (spooled() < 12) await d.waitForLog(/spool full/, 30_000).then(() => new Promise((res) => setTimeout(res, 200)));
  stop();
  clearInterval(poll);
  const files = (await readdir(r.spoolDir)).filter((x) => x.endsWith('.meta'));
  t.ok(max <= 5, `spool held at most 5 entries (max seen ${max}, ${spooled()} spooled)`);
  t.equal(files.length, 5);
  t.match(d.stdout(), /spool full: oldest snapshot dropped/);
});

t.test('mqtt delivery: the JPEG is published whole on cam/{id}/snapshot/{alarmId}', async (t) => {
  const r = await alarmRig(t, { delivery: 'mqtt' });
  const d = r.start();
  await waitReady(r, d);
  const snap = await r.request('snapshot');
  const alarmId = snap.data.alarmId as string;
  const image = await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/snapshot/${alarmId}`, 15_000, 'snapshot');
  const meta = await sharp(image.payload).metadata();
  t.same([meta.format, meta.width], ['jpeg', 640]);
  await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/snapshot/${alarmId}/thumb`, 5_000, 'thumb');
});
