import t from 'tap';
import { tempDir } from '../../helpers/tmp.js';
import { connectCloud, startBroker } from '../../helpers/mosquitto.js';
import { fakeConfigStore, startLink } from './link-rig.js';

t.test('requests, config sync and bad input against Mosquitto', async (t) => {
  const dir = await tempDir(t, 'cloud-req-');
  const broker = await startBroker(t, dir);
  const cloud = await connectCloud(t, broker, { subscribe: ['cam/#'] });
  const store = fakeConfigStore();
  let reboots = 0;
  const link = await startLink(t, broker, dir, {
    deviceId: 'CAMREQ1',
    extra: {
      handlers: { reboot: () => ({ ok: true, data: { rebootInMs: (++reboots, 1000) } }) },
      configSync: { applyConfig: (p) => store.applyConfig(p), currentConfig: store.currentConfig },
    },
  });
  const req = (op: string, body: unknown) => cloud.client.publishAsync(`cam/CAMREQ1/request/${op}`, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 });
  const response = (tx: string) => cloud.waitFor((m) => m.topic.startsWith('cam/CAMREQ1/response/') && m.json().transaction === tx, 10_000, `response ${tx}`);

  await t.test('ping answers on response/ping', async (t) => {
    await req('ping', { transaction: 'p1', ts: Date.now() });
    const r = await response('p1');
    t.equal(r.topic, 'cam/CAMREQ1/response/ping');
    t.match(r.json(), { transaction: 'p1', op: 'ping', status: 'ok', data: { pong: true } });
  });

  await t.test('a duplicated request is executed once and answered twice', async (t) => {
    const body = { transaction: 'dup-1', ts: Date.now(), args: { delayMs: 0 } };
    await req('reboot', body);
    await req('reboot', body);
    const both = await cloud.waitForCount((m) => m.topic === 'cam/CAMREQ1/response/reboot' && m.json().transaction === 'dup-1', 2);
    t.equal(reboots, 1, 'the handler ran once');
    t.same(both[0]!.json(), both[1]!.json(), 'the duplicate gets the same response');
  });

  await t.test('MQTT 5 response topic and correlation data are honoured', async (t) => {
    await cloud.client.publishAsync('cam/CAMREQ1/request/ping', JSON.stringify({ transaction: 'rt-1', ts: Date.now() }), {
      qos: 1,
      properties: { responseTopic: 'cam/CAMREQ1/reply/cloud-1', correlationData: Buffer.from('corr-42') },
    });
    // The device may only publish under its own prefix (ACL), so the cloud picks a reply topic there.
    const r = await cloud.waitFor((m) => m.topic === 'cam/CAMREQ1/reply/cloud-1');
    t.equal(r.json().transaction, 'rt-1');
    t.equal(Buffer.from(r.properties?.correlationData as Buffer).toString(), 'corr-42');
  });

  await t.test('a stale request is refused with request_expired', async (t) => {
    await req('reboot', { transaction: 'old-1', ts: Date.now() - 120_000, ttlMs: 30_000 });
    t.match((await response('old-1')).json(), { status: 'error', error: { code: 'request_expired' } });
    t.equal(reboots, 1);
  });

  await t.test('config.set with one invalid field changes nothing and reports the field', async (t) => {
    const before = structuredClone(store.current);
    await req('config.set', { transaction: 'cs-1', ts: Date.now(), args: { patch: { motion: { sensitivity: 70 }, device: { language: 'xx' } } } });
    const r = (await response('cs-1')).json();
    t.equal(r.status, 'error');
    t.equal(r.error.code, 'config_rejected');
    t.same(r.error.fields, [{ path: 'device.language', code: 'invalid_value', rule: 'must be one of en, de' }]);
    t.same(store.current, before, 'nothing changed, not even the valid field');

    await req('config.set', { transaction: 'cs-2', ts: Date.now(), args: { patch: { motion: { sensitivity: 70 } } } });
    t.match((await response('cs-2')).json(), { status: 'ok', data: { applied: ['motion.sensitivity'] } });
    await cloud.waitFor((m) => m.topic === 'cam/CAMREQ1/config/reported' && m.json().config.motion.sensitivity === 70);
  });

  await t.test('retained config/desired is applied all or nothing and answered on config/reported', async (t) => {
    await cloud.client.publishAsync('cam/CAMREQ1/config/desired', JSON.stringify({ version: 3, config: { motion: { sensitivity: 20 }, nope: { x: 1 } } }), { qos: 1, retain: true });
    const bad = await cloud.waitFor((m) => m.topic === 'cam/CAMREQ1/config/reported' && m.json().desiredVersion === 3);
    t.match(bad.json(), { status: 'rejected', rejected: [{ path: 'nope', code: 'unknown_key' }] });
    t.equal(store.current.motion.sensitivity, 70, 'unchanged');
    await cloud.client.publishAsync('cam/CAMREQ1/config/desired', JSON.stringify({ version: 4, config: { motion: { sensitivity: 20 } } }), { qos: 1, retain: true });
    const good = await cloud.waitFor((m) => m.topic === 'cam/CAMREQ1/config/reported' && m.json().desiredVersion === 4);
    t.match(good.json(), { status: 'applied', applied: ['motion.sensitivity'], rejected: [], config: { motion: { sensitivity: 20 } } });
    const calls = store.calls.length;
    // The same document again (as after a re-subscribe) is not applied twice.
    await cloud.client.publishAsync('cam/CAMREQ1/config/desired', JSON.stringify({ version: 4, config: { motion: { sensitivity: 20 } } }), { qos: 1, retain: true });
    await req('ping', { transaction: 'after-desired', ts: Date.now() });
    await response('after-desired');
    t.equal(store.calls.length, calls, 'an already applied document is ignored');
  });

  await t.test('bad input never crashes the link and gets error responses where a transaction is known', async (t) => {
    await req('ping', '{not json');
    await req('ping', JSON.stringify([1, 2, 3]));
    await req('ping', Buffer.alloc(0).toString());
    await req('nosuchop', { transaction: 'bad-op', ts: Date.now() });
    t.match((await response('bad-op')).json(), { op: 'nosuchop', status: 'error', error: { code: 'unknown_op' } });
    await req('reboot', { transaction: 'bad-args', ts: Date.now(), args: { delayMs: 'soon' } });
    t.match((await response('bad-args')).json(), { status: 'error', error: { code: 'invalid_args', fields: [{ path: 'args.delayMs' }] } });
    await req('reboot', { transaction: 'bad-types', ts: 'yesterday' });
    t.match((await response('bad-types')).json(), { status: 'error', error: { code: 'invalid_request' } });
    await req('ping', { transaction: 'bad-opfield', op: 'reboot', ts: Date.now() });
    t.match((await response('bad-opfield')).json(), { status: 'error', error: { code: 'op_mismatch' } });
    const huge = JSON.stringify({ transaction: 'huge-1', ts: Date.now(), args: { pad: 'x'.repeat(140 * 1024) } });
    await req('ping', huge);
    t.match((await response('huge-1')).json(), { status: 'error', error: { code: 'payload_too_large' } });
    // Over our MQTT 5 Maximum Packet Size: the broker drops it before it reaches us.
    await req('ping', JSON.stringify({ transaction: 'huge-2', ts: Date.now(), pad: 'x'.repeat(1024 * 1024) }));
    await cloud.client.publishAsync('cam/CAMREQ1/request/a/b', '{}', { qos: 1 });
    await req('ping', { transaction: 'still-alive', ts: Date.now() });
    t.match((await response('still-alive')).json(), { status: 'ok' });
    t.equal(link.state, 'online');
    t.notOk(cloud.messages.some((m) => m.topic.includes('/response/') && m.json().transaction === 'huge-2'), 'an oversize packet is dropped unanswered');
  });
});
