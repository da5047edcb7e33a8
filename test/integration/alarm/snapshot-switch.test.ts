import t from 'tap';
import { readdir } from 'node:fs/promises';
import { alarmRig, waitReady } from '../../helpers/alarm-rig.js';

/**
 * The privacy policy's alarm-screenshot switch, withdrawn on a running
 * camera (docs/security.md 6-3, PP-6): `alarm.snapshots` set to false by the
 * cloud takes effect at once, without a restart — an image still waiting
 * in the spool is deleted, not delivered, and later alarms carry no image.
 */

const entries = (dir: string) => readdir(dir).then((f) => f.filter((n) => !n.startsWith('.')), () => [] as string[]);

t.test('switching alarm snapshots off on a running camera deletes the waiting image and sends none after, without a restart', async (t) => {
  // A long first retry keeps the undeliverable image waiting in the spool for the whole test.
  const r = await alarmRig(t, { retry: { minMs: 600_000, maxMs: 600_000 } });
  const d = r.start();
  await waitReady(r, d);
  r.uploads.failNext(1_000, 503);

  const first = await r.request('snapshot');
  t.match(first, { status: 'ok', data: { snapshot: 'pending' } }, 'snapshots on: a picture is taken');
  await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/event/snapshot` && m.json().data.state === 'retrying', 20_000, 'upload failed, image kept for a retry');
  t.ok((await entries(r.spoolDir)).length > 0, 'the undelivered image waits in the spool');

  const set = await r.request('config.set', { patch: { alarm: { snapshots: false } } });
  t.equal(set.status, 'ok', JSON.stringify(set));
  t.ok(set.data.applied.includes('alarm.snapshots'), 'applied live, not at the next start');
  t.same(set.data.restartRequired, []);
  await d.waitForLog('alarm snapshots switched off: undelivered images deleted', 10_000);
  t.same(await entries(r.spoolDir), [], 'the spool is empty');
  const uploadsAtSwitch = r.uploads.attempts.length;
  const sentAtSwitch = r.cloud.messages.length;

  const manual = await r.request('snapshot');
  t.match(manual, { status: 'ok', data: { snapshot: 'off' } }, 'a requested picture is refused as off');
  r.video.enter();
  const alarm = await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/event/alarm` && m.json().data.kind === 'motion', 15_000, 'motion alarm');
  r.video.leave();
  t.match(alarm.json().data, { snapshot: { state: 'off' }, thumbnail: { state: 'off' } }, 'the alarm still goes out, without an image');

  // Give a would-be capture and delivery more than their whole budget to show up.
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const after = r.cloud.messages.slice(sentAtSwitch).map((m) => m.topic);
  t.same(after.filter((topic) => topic.includes('/snapshot/') || topic.endsWith('/event/upload-url') || topic.endsWith('/event/snapshot')), [], 'nothing on snapshot/#, no upload-url request');
  t.equal(r.uploads.attempts.length, uploadsAtSwitch, 'no upload after the switch');
  t.same(await entries(r.spoolDir), [], 'nothing spooled');
  t.match((await r.request('info')).data, { alarmSnapshots: false });
  t.equal(d.child.exitCode, null, 'the same process throughout: no restart');
});
