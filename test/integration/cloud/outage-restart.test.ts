import { join } from 'node:path';
import t from 'tap';
import { connectCloud, startBroker, type Recorded } from '../../helpers/mosquitto.js';
import { tempDir } from '../../helpers/tmp.js';
import { AgentProcess, type AgentSpec } from './agent-process.js';
import { testConfig } from './link-rig.js';

/**
 * The done-when: 1,000 events produced while the broker is stopped
 * for 60 s, with one agent restart in between, all arrive exactly once by id
 * after it returns. Two cameras go through the same outage side by side:
 *
 * - CAMOUTC: 500 events, clean stop, a new agent on the same outbox, 500 more.
 *   Nothing was ever sent before the outage ends, so there must be no duplicate.
 * - CAMOUTK: the same with SIGKILL instead of the clean stop, and once the broker
 *   is back a second SIGKILL in the middle of the drain (then a third agent):
 *   the outbox is at least once, so a few ids may arrive twice — at most the
 *   un-acknowledged window (in flight + acknowledgements not yet written).
 *
 * CLOUD_OUTAGE_S shortens the outage for a quick local run (default 60).
 */
const OUTAGE_MS = Number(process.env.CLOUD_OUTAGE_S ?? 60) * 1000;
const HALF = 500;

t.test('1,000 events produced during a 60 s broker outage with an agent restart arrive exactly once by id', async (t) => {
  const dir = await tempDir(t, 'cloud-outage-');
  // The cloud's persistent session must be able to hold both cameras' backlog (Mosquitto's default is 1000).
  const broker = await startBroker(t, dir, { extraConfig: 'max_queued_messages 10000' });
  const cloud = await connectCloud(t, broker, {
    subscribe: ['cam/+/event/#'],
    client: { clientId: 'cloud-outage-test', clean: false, properties: { sessionExpiryInterval: 600 } },
  });
  const config = testConfig(broker);
  const spec = async (deviceId: string): Promise<AgentSpec> => {
    const id = await broker.pki.client(deviceId);
    return { deviceId, config, tls: { ca: broker.pki.ca.toString(), cert: id.cert.toString(), key: id.key.toString() }, outboxDir: join(dir, `outbox-${deviceId}`) };
  };
  const specC = await spec('CAMOUTC');
  const specK = await spec('CAMOUTK');

  const c1 = new AgentProcess(t, specC);
  const k1 = new AgentProcess(t, specK);
  await Promise.all([c1.waitLine(/^ONLINE$/), k1.waitLine(/^ONLINE$/)]);

  await broker.stop();
  const outageStarted = Date.now();
  await Promise.all([c1.waitLine(/^OFFLINE$/), k1.waitLine(/^OFFLINE$/)]);

  const [idsC1, idsK1] = await Promise.all([c1.produce(HALF), k1.produce(HALF)]);
  await c1.stop();
  await k1.kill();

  const c2 = new AgentProcess(t, specC);
  const k2 = new AgentProcess(t, specK);
  t.equal(await c2.waitLine(/^READY /), `READY ${HALF}`, 'after a clean stop the new agent finds the 500 events on flash');
  t.equal(await k2.waitLine(/^READY /), `READY ${HALF}`, 'after SIGKILL the new agent finds the 500 events on flash');
  const [idsC2, idsK2] = await Promise.all([c2.produce(HALF), k2.produce(HALF)]);
  const allC = new Set([...idsC1, ...idsC2]);
  const allK = new Set([...idsK1, ...idsK2]);
  t.equal(allC.size, 2 * HALF);
  t.equal(allK.size, 2 * HALF);
  t.same(await c2.stats(), { pending: 2 * HALF, dropped: 0 }, 'CAMOUTC: 1,000 waiting, none dropped');
  t.same(await k2.stats(), { pending: 2 * HALF, dropped: 0 }, 'CAMOUTK: 1,000 waiting, none dropped');

  const produced = Date.now() - outageStarted;
  t.ok(produced < OUTAGE_MS, `everything produced and restarted ${produced} ms into the ${OUTAGE_MS} ms outage`);
  // The scenario itself (not a synchronisation): the broker stays away for the full outage.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_MS - produced)));
  await broker.start();
  const returned = Date.now();

  const eventsOf = (deviceId: string) => (m: Recorded) => m.topic.startsWith(`cam/${deviceId}/event/`);
  // SIGKILL the second CAMOUTK agent in the middle of its drain; a third one finishes it.
  await cloud.waitForCount(eventsOf('CAMOUTK'), 300, 30_000);
  await k2.kill();
  const k3 = new AgentProcess(t, specK);
  const pendingAfterKill = Number((await k3.waitLine(/^READY /)).split(' ')[1]);

  const complete = (deviceId: string, ids: Set<string>) => (m: Recorded) => eventsOf(deviceId)(m) && ids.has(m.json().id);
  const seen = (deviceId: string, ids: Set<string>) => new Set(cloud.messages.filter(complete(deviceId, ids)).map((m) => m.json().id as string)).size;
  await waitUntil(() => seen('CAMOUTC', allC) === allC.size && seen('CAMOUTK', allK) === allK.size, 30_000, () => `all ids: C ${seen('CAMOUTC', allC)}, K ${seen('CAMOUTK', allK)}`);
  const drainedMs = Date.now() - returned;
  // Every PUBACK reached the outboxes (nothing left to be re-sent later).
  await waitUntilAsync(async () => (await c2.stats()).pending === 0 && (await k3.stats()).pending === 0, 15_000, 'outboxes empty');
  // A final round trip through the broker: anything still on its way to the cloud has arrived.
  await cloud.client.publishAsync('cam/CAMOUTC/event/marker', JSON.stringify({ id: 'marker' }), { qos: 1 });
  await cloud.waitFor((m) => m.topic === 'cam/CAMOUTC/event/marker');

  const arrivals = (deviceId: string, ids: Set<string>) => cloud.messages.filter(complete(deviceId, ids)).map((m) => m.json().id as string);
  const gotC = arrivals('CAMOUTC', allC);
  const gotK = arrivals('CAMOUTK', allK);
  t.equal(new Set(gotC).size, 1000, 'CAMOUTC: every one of the 1,000 ids arrived');
  t.equal(gotC.length - new Set(gotC).size, 0, 'CAMOUTC (clean stop): no duplicates');
  t.equal(new Set(gotK).size, 1000, 'CAMOUTK: every one of the 1,000 ids arrived');
  const dupK = gotK.length - new Set(gotK).size;
  // Un-acknowledged window at the kill: events in flight, plus acknowledgements the outbox batches for
  // 200 ms before writing them (at most the drain rate × 0.2 s + its burst).
  const window = config.drain.maxInflight + Math.ceil(config.drain.messagesPerSecond * 0.2) + 10;
  t.ok(dupK <= window, `CAMOUTK (SIGKILL mid-drain): ${dupK} duplicate(s), ≤ the un-acknowledged window of ${window}`);
  t.notOk(cloud.messages.some((m) => m.topic.includes('/event/') && m.topic !== 'cam/CAMOUTC/event/marker' && !allC.has(m.json().id) && !allK.has(m.json().id)), 'no unknown ids');
  t.comment(`outage ${OUTAGE_MS} ms; produced + restarted in ${produced} ms; all 2,000 ids at the cloud ${drainedMs} ms after the broker returned`);
  t.comment(`CAMOUTK: ${pendingAfterKill} events still pending when the draining agent was SIGKILLed; ${dupK} arrived twice (window ${window})`);
});

function waitUntil(pred: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  return waitUntilAsync(async () => pred(), timeoutMs, what);
}

async function waitUntilAsync(pred: () => Promise<boolean>, timeoutMs: number, what: string | (() => string)): Promise<void> {
  const started = Date.now();
  while (!(await pred())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
