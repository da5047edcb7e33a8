import t from 'tap';
import { alarmRig, waitReady } from '../../helpers/alarm-rig.js';
import { connectCloud } from '../../helpers/mosquitto.js';
import { FULL_RUN, localApiClient, logCount, oneAlarm, persistentRecorder, raisedAlarmIds, spread, tallyAlarms, waitUntil } from '../lib/net-rig.js';

/**
 * The broker (real Mosquitto, TLS client certificates, per-device ACL) is
 * stopped and started again and again while the compiled agent keeps
 * raising motion alarms. Alternately a clean stop (SIGTERM) and a crash
 * (SIGKILL: every socket drops at once).
 *
 * Each cycle: alarms while online → the broker goes away (only after the
 * cloud has every alarm so far: nothing in flight) → alarms while it is
 * away, with the local API asked for health (REQ-R04: local function
 * continues without network) → the broker returns → the agent reconnects,
 * says `online` (retained) and delivers the backlog. At the end: every
 * raised alarm (the agent's own `alarm raised` log is the ledger) arrived
 * exactly once by alarm id and event id, first arrivals in raise order
 * (one QoS 1 connection drains the outbox oldest first), and every alarm's
 * image was uploaded once.
 *
 * Short form: 2 cycles with 1 alarm while down; CAMERA_AGENT_FULL_RUN=1: 20 cycles with 2.
 */
const CYCLES = FULL_RUN ? 20 : 2;
const OFFLINE_ALARMS = FULL_RUN ? 2 : 1;

t.test(`broker stopped and started ${CYCLES} times while alarms flow: every alarm delivered once in order, status right after each transition, local API answers while down`, async (t) => {
  const r = await alarmRig(t, { spool: { maxCount: 200, maxBytes: 32 * 1024 * 1024 } }, {}, { video: { width: 640, height: 360 } });
  const rec = await persistentRecorder(t, r.broker, r.deviceId, 'net-broker-recorder');
  const d = r.start();
  await waitReady(r, d);
  const api = await localApiClient(r, d);
  // Redeliveries by the broker to the recorder carry DUP; a second publish by the agent does not.
  let brokerRedeliveries = 0;
  rec.client.on('message', (_topic, _payload, packet) => void (packet.dup && brokerRedeliveries++));
  const statusTopic = `cam/${r.deviceId}/status`;
  const alarmTopic = `cam/${r.deviceId}/event/alarm`;
  const onlineCount = () => rec.messages.filter((m) => m.topic === statusTopic && m.json().state === 'online').length;
  await waitUntil(() => onlineCount() >= 1 || r.cloud.messages.some((m) => m.topic === statusTopic && m.json().state === 'online'), 20_000, () => 'first online');

  const reconnectMs: number[] = [];
  const healthDown: string[] = [];
  let offlineRaised = 0;
  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    // Online: one alarm, and wait until the cloud has everything raised so far (nothing in flight when the broker goes).
    await oneAlarm(r, d);
    const raisedSoFar = raisedAlarmIds(d).length;
    await rec.waitForCount((m) => m.topic === alarmTopic, raisedSoFar, 30_000);
    const signal = cycle % 2 === 1 ? 'SIGTERM' : 'SIGKILL';
    if (signal === 'SIGKILL') {
      // A crashed Mosquitto restarts from its last autosave (every second): deliveries to the recorder acked
      // after it would come again (DUP) — the broker's at-least-once, not the agent's. Crash after a save.
      const saves = () => r.broker.log().split('Saving in-memory database').length;
      const before = saves();
      await waitUntil(() => saves() > before, 15_000, () => 'a broker autosave');
    }
    const connectsBefore = logCount(d, 'cloud: connected');
    const dropsBefore = logCount(d, 'cloud: disconnected; reconnecting');
    await r.broker.stop(signal);
    await d.waitForLogCount('cloud: disconnected; reconnecting', dropsBefore + 1, 30_000);

    // Offline: motion is still detected and alarms still raised; the local API answers and says the broker is unreachable.
    for (let i = 0; i < OFFLINE_ALARMS; i++) await oneAlarm(r, d);
    offlineRaised += OFFLINE_ALARMS;
    const ping = await api.get('/ping');
    t.equal(ping.status, 200, `cycle ${cycle}: /ping answers while the broker is down`);
    const down = await api.health();
    healthDown.push(down.checks.cloudLink?.code ?? '?');
    t.match(down.checks, { cloudLink: { status: 'degraded', code: 'broker_unreachable' }, video: { status: 'ok' } }, `cycle ${cycle}: health says the broker is unreachable, video fine`);

    const back = Date.now();
    await r.broker.start();
    await d.waitForLogCount('cloud: connected', connectsBefore + 1, 60_000);
    reconnectMs.push(Date.now() - back);
    // The link says online again, retained: a client arriving now sees it at once.
    await waitUntil(async () => (await api.health()).checks.cloudLink?.status === 'ok', 30_000, () => `cycle ${cycle}: health cloudLink ok`);
    const late = await connectCloud(t, r.broker, { subscribe: [statusTopic] });
    const retained = await late.waitFor((m) => m.topic === statusTopic, 10_000, 'retained status');
    t.equal(retained.json().state, 'online', `cycle ${cycle} (${signal}): the retained status is online after the reconnect`);
    await late.end();
  }
  // A last alarm after the last reconnect: the link carries new alarms, not just the backlog.
  await oneAlarm(r, d);
  const raised = raisedAlarmIds(d);
  await waitUntil(() => new Set(rec.messages.filter((m) => m.topic === alarmTopic).map((m) => m.json().data.alarmId)).size >= raised.length, 60_000, () => `all ${raised.length} alarms at the cloud`);
  // A round trip through the broker after the last one: anything still on its way has arrived.
  await rec.client.publishAsync(`cam/${r.deviceId}/event/alarm`, JSON.stringify({ id: 'marker', data: { alarmId: 'marker', at: Infinity } }), { qos: 1 });
  await rec.waitFor((m) => m.topic === alarmTopic && m.json().id === 'marker', 10_000, 'marker');
  const tally = tallyAlarms(raised, rec.messages.filter((m) => m.json().id !== 'marker'), r.deviceId);

  t.same(tally.lost, [], 'no alarm lost');
  t.same(tally.duplicated, [], 'no alarm duplicated (by alarm id or event id)');
  t.same(tally.unknown, [], 'no alarm the agent did not raise');
  t.equal(tally.outOfOrder, 0, 'alarms arrived in the order they were raised');
  t.equal(offlineRaised, CYCLES * OFFLINE_ALARMS, 'motion detection kept raising alarms while the broker was down');
  // Every alarm's image, once (HTTPS upload to the URL the cloud hands out after the reconnect).
  const images = () => r.uploads.uploads.filter((u) => u.path.endsWith('.jpg') && !u.path.endsWith('.thumb.jpg')).map((u) => u.path.slice('/snapshots/'.length, -4));
  await waitUntil(() => new Set(images()).size >= raised.length, 120_000, () => `images: ${new Set(images()).size} of ${raised.length}`);
  t.same(new Set(images()), new Set(raised), 'an image for every alarm');
  t.equal(images().length, raised.length, 'each image uploaded once');
  t.equal(d.child.exitCode, null, 'the agent kept running');

  const statuses = rec.messages.filter((m) => m.topic === statusTopic).map((m) => m.json().state as string);
  t.comment(`broker cycles: ${CYCLES} (SIGTERM and SIGKILL alternately); alarms raised ${tally.raised} (${offlineRaised} while the broker was down), delivered ${tally.delivered}, lost ${tally.lost.length}, duplicated ${tally.duplicated.length}, out of order ${tally.outOfOrder}; images ${images().length}; broker redeliveries (DUP) to the recorder ${brokerRedeliveries}`);
  t.comment(`broker back → agent connected: ${spread(reconnectMs)}; health while down: ${[...new Set(healthDown)].join(', ')}; status sequence at the recorder: ${statuses.join(' ')}`);
});
