import t from 'tap';
import { tempDir } from '../../helpers/tmp.js';
import { connectCloud, startBroker } from '../../helpers/mosquitto.js';
import { startLink, waitForLink } from './link-rig.js';

t.test('events produced while the broker is down arrive after it returns, exactly once by id', async (t) => {
  const dir = await tempDir(t, 'cloud-outbox-');
  const broker = await startBroker(t, dir);
  // A persistent session for the stand-in cloud, so the broker keeps its QoS 1 messages across the outage too.
  const cloud = await connectCloud(t, broker, {
    cn: 'cloud',
    subscribe: ['cam/CAMOUT1/event/#'],
    client: { clientId: 'cloud-outbox-test', clean: false, properties: { sessionExpiryInterval: 600 } },
  });
  const link = await startLink(t, broker, dir, { deviceId: 'CAMOUT1' });

  const first = await link.publishEvent('motion', { state: 'start' }, 'high');
  t.ok(first.ok);
  await cloud.waitFor((m) => m.topic === 'cam/CAMOUT1/event/motion');

  await broker.stop();
  await waitForLink(link, 'offline');
  const ids = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const r = await link.publishEvent(i % 10 === 0 ? 'alarm' : 'motion', { seq: i }, i % 10 === 0 ? 'high' : 'low');
    if (!r.ok) throw new Error(r.error.message);
    ids.add(r.value.id);
  }
  t.equal(link.outboxStats().count, 200, 'all 200 are waiting on flash');
  await broker.start();
  await waitForLink(link, 'online', 15_000);

  const isOurs = (m: { topic: string; json(): any }) => m.topic.startsWith('cam/CAMOUT1/event/') && ids.has(m.json().id);
  await cloud.waitForCount(isOurs, 200, 20_000);
  // Wait until the outbox saw every PUBACK, then give a last ping round-trip for stragglers.
  await new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const tick = () => (link.outboxStats().count === 0 ? resolve() : Date.now() - started > 10_000 ? reject(new Error('outbox not empty')) : setTimeout(tick, 20));
    tick();
  });
  const got = cloud.messages.filter(isOurs).map((m) => m.json().id as string);
  t.equal(new Set(got).size, 200, 'every id arrived');
  t.equal(got.length, 200, 'none arrived twice');
  const sample = cloud.messages.find(isOurs)!.json();
  t.match(sample, { id: /^[0-9a-f]{32}$/, ts: Number, priority: /^(high|low)$/, data: { seq: Number } });
  t.equal(link.outboxStats().dropped.total, 0);
});
