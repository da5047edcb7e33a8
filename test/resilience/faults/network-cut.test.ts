import t from 'tap';
import { FULL_RUN, logCount, logTime, logRecords, raisedAlarmIds, spread, tallyAlarms, waitUntil } from '../lib/net-rig.js';
import { KEEPALIVE_S, MOTION_PERIOD_S, netnsRig } from '../lib/net-netns-rig.js';

/**
 * The network between camera and broker dies without a word: the broker's
 * end of the veth link goes down (a blackhole: no FIN, no RST reaches the
 * agent, unlike a broker stop), while the compiled agent keeps raising
 * motion alarms. The agent must notice the dead link on its own
 * (keep-alive / unanswered PUBACK, keepaliveS = 30, the smallest allowed),
 * keep the alarms on flash, reconnect once the link is back and deliver
 * every alarm exactly once, then say `online` (retained) again. A flap
 * sequence (link down and up a few times, each shorter than the keep-alive)
 * must lose and duplicate nothing either.
 *
 * Short form: 1 cut + 1 flap sequence of 2; CAMERA_AGENT_FULL_RUN=1: 5 cuts + 5 flap sequences of 4.
 * Times to detect the dead link and to reconnect are printed, not asserted.
 */
const CUTS = FULL_RUN ? 5 : 1;
const FLAP_SEQUENCES = FULL_RUN ? 5 : 1;
const FLAPS = FULL_RUN ? 4 : 2;
const FLAP_DOWN_MS = 1_500;
const FLAP_UP_MS = 1_500;

const pause = (ms: number) => new Promise((res) => setTimeout(res, ms));

t.test(`network cut by a netns link going down (${CUTS} cut(s), ${FLAP_SEQUENCES}×${FLAPS} flaps) while alarms flow: dead link detected, reconnect, every alarm exactly once`, async (t) => {
  const rig = await netnsRig(t);
  const { cloud, deviceId } = rig;
  const alarmTopic = `cam/${deviceId}/event/alarm`;
  const statusTopic = `cam/${deviceId}/status`;
  const d = rig.start();
  await cloud.waitFor((m) => m.topic === statusTopic && m.json().state === 'online', 60_000, 'online');
  await d.waitForLog('motion: background learnt', 30_000);
  const arrived = () => cloud.messages.filter((m) => m.topic === alarmTopic).length;
  const nextArrival = async () => cloud.waitForCount((m) => m.topic === alarmTopic, arrived() + 1, (MOTION_PERIOD_S + 20) * 1000);

  const detectMs: number[] = [];
  const reconnectMs: number[] = [];
  const causes: string[] = [];
  let raisedWhileCut = 0;
  for (let cut = 1; cut <= CUTS; cut++) {
    // Right after an alarm reached the cloud: nothing of ours in flight, the next one comes a period later.
    await nextArrival();
    const drops = logCount(d, 'cloud: disconnected; reconnecting');
    const timeouts = logCount(d, 'cloud: no PUBACK in time; dropping the connection');
    const raisedBefore = raisedAlarmIds(d).length;
    const cutAt = Date.now();
    await rig.linkDown();
    // Dead-link detection: ~1–2 keep-alive periods (mqtt.js pings, or a PUBACK that never comes).
    await d.waitForLogCount('cloud: disconnected; reconnecting', drops + 1, (3 * KEEPALIVE_S + 30) * 1000);
    const dropped = logRecords(d, 'cloud: disconnected; reconnecting')[drops]!;
    detectMs.push(logTime(dropped) - cutAt);
    causes.push(logCount(d, 'cloud: no PUBACK in time; dropping the connection') > timeouts ? 'PUBACK timeout' : 'keep-alive');
    // Alarms keep coming while the link is dead (at least one: the cut lasted longer than a motion period).
    await d.waitForLogCount('alarm raised', raisedBefore + 1, (MOTION_PERIOD_S + 20) * 1000);
    raisedWhileCut += raisedAlarmIds(d).length - raisedBefore;
    t.equal(arrived(), raisedBefore, `cut ${cut}: nothing reached the cloud while the link was down`);

    const connects = logCount(d, 'cloud: connected');
    const upAt = Date.now();
    await rig.linkUp();
    await d.waitForLogCount('cloud: connected', connects + 1, 60_000);
    reconnectMs.push(logTime(logRecords(d, 'cloud: connected')[connects]!) - upAt);
    // A client arriving now gets the retained status (then any newer one): it must settle on online.
    const late = await rig.connectCloud([statusTopic]);
    await late.waitFor((m) => m.topic === statusTopic, 10_000, 'retained status');
    const lastStatus = () => late.messages.filter((m) => m.topic === statusTopic).at(-1)!.json().state as string;
    await waitUntil(() => lastStatus() === 'online', 20_000, () => `retained status online, is ${lastStatus()}`);
    t.equal(lastStatus(), 'online', `cut ${cut}: the retained status is online after the reconnect`);
    await late.end();
  }

  const connectsBeforeFlaps = logCount(d, 'cloud: connected');
  for (let seq = 1; seq <= FLAP_SEQUENCES; seq++) {
    await nextArrival();
    for (let i = 0; i < FLAPS; i++) {
      // The scenario itself, not a synchronisation: the link is gone for this long, then back for this long.
      await rig.linkDown();
      await pause(FLAP_DOWN_MS);
      await rig.linkUp();
      await pause(FLAP_UP_MS);
    }
  }
  // The link carries new alarms after all of it.
  await nextArrival();
  const raised = raisedAlarmIds(d);
  await waitUntil(() => new Set(cloud.messages.filter((m) => m.topic === alarmTopic).map((m) => m.json().data.alarmId)).size >= raised.length, 60_000, () => `all ${raised.length} alarms at the cloud`);
  // A round trip through the broker: anything still on its way has arrived.
  await cloud.client.publishAsync(alarmTopic, JSON.stringify({ id: 'marker', data: { alarmId: 'marker', at: Infinity } }), { qos: 1 });
  await cloud.waitFor((m) => m.topic === alarmTopic && m.json().id === 'marker', 10_000, 'marker');
  const final = raisedAlarmIds(d);
  const tally = tallyAlarms(final.slice(0, raised.length), cloud.messages.filter((m) => m.topic === alarmTopic && m.json().id !== 'marker' && raised.includes(m.json().data.alarmId)), deviceId);

  if (process.env.NET_DEBUG === '1') {
    for (const m of cloud.messages.filter((m) => m.topic === alarmTopic)) t.comment(`arrival ${new Date(m.receivedAt).toISOString()} ${m.json().data.alarmId} event ${m.json().id} at ${new Date(m.json().data.at).toISOString()}`);
    for (const rec of [...logRecords(d, 'cloud: connected'), ...logRecords(d, 'cloud: disconnected; reconnecting'), ...logRecords(d, 'cloud: no PUBACK in time; dropping the connection'), ...logRecords(d, 'cloud: connection error')]) t.comment(`agent ${rec.time} ${rec.msg} ${JSON.stringify(rec.err ?? '')}`);
    t.comment(rig.broker.log().split('\n').filter((l) => !/PINGREQ|PINGRESP/.test(l)).slice(-60).join('\n'));
  }
  t.same(tally.lost, [], 'no alarm lost');
  t.same(tally.duplicated, [], 'no alarm duplicated (by alarm id or event id)');
  t.equal(tally.outOfOrder, 0, 'alarms arrived in the order they were raised');
  t.ok(raisedWhileCut >= CUTS, 'motion detection kept raising alarms while the link was down');
  t.equal(d.child.exitCode, null, 'the agent kept running');
  const flapReconnects = logCount(d, 'cloud: connected') - connectsBeforeFlaps;
  t.comment(`link cuts: ${CUTS}; flap sequences: ${FLAP_SEQUENCES} × ${FLAPS} (${FLAP_DOWN_MS} ms down / ${FLAP_UP_MS} ms up), reconnects during flaps: ${flapReconnects}`);
  t.comment(`alarms raised ${tally.raised} (${raisedWhileCut} while cut), delivered ${tally.delivered}, lost ${tally.lost.length}, duplicated ${tally.duplicated.length}, out of order ${tally.outOfOrder}`);
  t.comment(`keep-alive ${KEEPALIVE_S} s; dead link detected after ${spread(detectMs)} (${causes.join(', ')}); link up → connected after ${spread(reconnectMs)}`);
});
