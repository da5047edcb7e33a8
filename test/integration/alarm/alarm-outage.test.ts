import t from 'tap';
import { readdir } from 'node:fs/promises';
import { alarmRig, waitReady } from '../../helpers/alarm-rig.js';
import type { Daemon } from '../../helpers/daemon.js';
import { persistentSubscriber } from '../../helpers/mosquitto.js';

/**
 * 50 motion alarms while the broker is down, with the agent SIGKILLed half
 * way: after the broker returns every alarm event and every image arrives
 * exactly once (by alarm id) and the spool is empty.
 *
 * The outage lasts as long as 50 alarms take with the scripted mover (about
 * 2 s each, ~100 s) and at least ALARM_OUTAGE_MS; the 2-minute
 * outage is `ALARM_OUTAGE_MS=120000 npx tap test/integration/alarm/alarm-outage.test.ts`.
 */
const ALARMS = Number(process.env.ALARM_COUNT ?? 50);
const MIN_OUTAGE_MS = Number(process.env.ALARM_OUTAGE_MS ?? 0);

t.test(`${ALARMS} alarms during a broker outage, agent SIGKILLed in between: all arrive once with images, spool empty`, async (t) => {
  const r = await alarmRig(t, { spool: { maxCount: 100, maxBytes: 32 * 1024 * 1024 } });
  // Counts what reaches the cloud: the rig's own client has a clean session and can miss the first
  // events the agent drains while it is still resubscribing after the broker's return.
  const observer = await persistentSubscriber(t, r.broker, `outage-observer-${r.deviceId}`, [`cam/${r.deviceId}/event/alarm`]);
  let d: Daemon = r.start();
  await waitReady(r, d);
  const downAt = Date.now();
  await r.broker.stop();
  const raised = (x: Daemon) => x.stdout().split('\n').filter((l) => l.includes('"alarm snapshot spooled"')).length;
  let before = 0;
  const stopMover = r.video.cycle(600, 1400);
  t.teardown(stopMover);
  while (raised(d) < ALARMS / 2) await d.waitForLog('alarm snapshot spooled', 20_000).then(() => new Promise((res) => setTimeout(res, 100)));
  // A crash half way: the outbox and the spool must carry everything across it.
  stopMover();
  before = raised(d);
  d.child.kill('SIGKILL');
  await d.exited;
  d = r.start();
  await d.waitForLog('snapshot spool ready', 20_000);
  await d.waitForLog('motion: background learnt', 15_000);
  const stop2 = r.video.cycle(600, 1400);
  t.teardown(stop2);
  while (before + raised(d) < ALARMS) await d.waitForLog('alarm snapshot spooled', 20_000).then(() => new Promise((res) => setTimeout(res, 100)));
  stop2();
  // Let the last capture settle before counting.
  await new Promise((res) => setTimeout(res, 1500));
  const total = before + raised(d);
  const wait = MIN_OUTAGE_MS - (Date.now() - downAt);
  if (wait > 0) await new Promise((res) => setTimeout(res, wait));
  t.comment(`outage ${Math.round((Date.now() - downAt) / 1000)} s, ${total} alarms spooled (${before} before the SIGKILL)`);
  t.equal(r.alarms().length, 0, 'nothing reached the broker during the outage');
  await r.broker.start();
  const alarms = await observer.waitForCount((m) => m.topic === `cam/${r.deviceId}/event/alarm`, total, 60_000);
  const ids = alarms.map((m) => m.json().data.alarmId as string);
  t.equal(new Set(ids).size, total, 'every alarm once');
  await r.uploads.waitFor((u) => u.path.endsWith('.jpg') && !u.path.endsWith('.thumb.jpg'), 90_000, total);
  const uploaded = r.uploads.uploads.filter((u) => u.path.endsWith('.jpg') && !u.path.endsWith('.thumb.jpg')).map((u) => u.path.slice('/snapshots/'.length, -4));
  t.equal(uploaded.length, total, 'each image uploaded once');
  t.same(new Set(uploaded), new Set(ids), 'an image for every alarm');
  await d.waitForLog(/snapshot delivered/);
  await new Promise((res) => setTimeout(res, 500));
  t.same((await readdir(r.spoolDir)).filter((f) => !f.startsWith('.')), [], 'spool empty');
});
