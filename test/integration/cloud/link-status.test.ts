import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import mqtt from 'mqtt';
import { tempDir } from '../../helpers/tmp.js';
import { connectCloud, startBroker } from '../../helpers/mosquitto.js';
import { INFO, startLink, testConfig } from './link-rig.js';

t.test('status, info, last will and ACL against Mosquitto with TLS client certificates', async (t) => {
  const dir = await tempDir(t, 'cloud-status-');
  const broker = await startBroker(t, dir);
  const cloud = await connectCloud(t, broker, { subscribe: ['cam/#'] });

  await t.test('on connect the device publishes retained online status and info', async (t) => {
    const link = await startLink(t, broker, dir, { deviceId: 'CAMSTAT1' });
    const status = await cloud.waitFor((m) => m.topic === 'cam/CAMSTAT1/status' && m.json().state === 'online');
    const info = await cloud.waitFor((m) => m.topic === 'cam/CAMSTAT1/info');
    t.same(info.json(), INFO);
    t.equal(link.protocolVersion, 5);
    // Retained: a late subscriber sees both at once.
    const late = await connectCloud(t, broker, { subscribe: ['cam/CAMSTAT1/status', 'cam/CAMSTAT1/info'] });
    const lateStatus = await late.waitFor((m) => m.topic === 'cam/CAMSTAT1/status');
    t.ok(lateStatus.retain, 'status is retained');
    t.equal(lateStatus.json().state, 'online');
    t.ok((await late.waitFor((m) => m.topic === 'cam/CAMSTAT1/info')).retain, 'info is retained');
    t.ok(status.json().ts > 0);
  });

  await t.test('a clean stop says stopped, and the will does not follow', async (t) => {
    const link = await startLink(t, broker, dir, { deviceId: 'CAMSTOP1' });
    await cloud.waitFor((m) => m.topic === 'cam/CAMSTOP1/status' && m.json().state === 'online');
    await link.stop();
    await cloud.waitFor((m) => m.topic === 'cam/CAMSTOP1/status' && m.json().state === 'stopped');
    // Prove no will arrived: a later marker on the same connection comes after and no offline precedes it.
    await cloud.client.publishAsync('cam/CAMSTOP1/marker', 'x', { qos: 1 });
    await cloud.waitFor((m) => m.topic === 'cam/CAMSTOP1/marker');
    t.notOk(cloud.messages.some((m) => m.topic === 'cam/CAMSTOP1/status' && m.json().state === 'offline'), 'no offline will after a clean stop');
  });

  await t.test('when the agent is SIGKILLed the last will says offline (retained)', async (t) => {
    const id = await broker.pki.client('CAMKILL1');
    const spec = {
      deviceId: 'CAMKILL1',
      config: testConfig(broker),
      tls: { ca: broker.pki.ca.toString(), cert: id.cert.toString(), key: id.key.toString() },
      outboxDir: join(dir, 'outbox-kill'),
    };
    const childPath = fileURLToPath(new URL('./link-child.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', childPath, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.teardown(() => void child.kill('SIGKILL'));
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child never came online: ${err}`)), 15_000);
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ONLINE')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await cloud.waitFor((m) => m.topic === 'cam/CAMKILL1/status' && m.json().state === 'online');
    child.kill('SIGKILL');
    const will = await cloud.waitFor((m) => m.topic === 'cam/CAMKILL1/status' && m.json().state === 'offline', 10_000, 'last will');
    t.same(will.json(), { state: 'offline' });
    const late = await connectCloud(t, broker, { subscribe: ['cam/CAMKILL1/status'] });
    const retained = await late.waitFor((m) => m.topic === 'cam/CAMKILL1/status');
    t.ok(retained.retain);
    t.equal(retained.json().state, 'offline');
  });

  await t.test("a device can neither publish to nor read another device's topics", async (t) => {
    await startLink(t, broker, dir, { deviceId: 'CAMVICTIM' });
    const intruderId = await broker.pki.client('CAMINTRUDER');
    const intruder = await mqtt.connectAsync(broker.url, { ca: broker.pki.ca, cert: intruderId.cert, key: intruderId.key, protocolVersion: 5, reconnectPeriod: 0 });
    t.teardown(() => intruder.endAsync(true));
    const seen: string[] = [];
    intruder.on('message', (topic) => seen.push(topic));
    const granted = await intruder.subscribeAsync(['cam/CAMVICTIM/#', 'cam/CAMINTRUDER/#'], { qos: 1 });
    // Mosquitto 2.0 may grant the SUBACK for a wildcard filter and enforce the ACL per delivered
    // message instead; either way nothing of the victim's may arrive (checked below).
    t.ok(granted[0]!.qos >= 0x80 || granted[0]!.qos <= 1, 'subscription answered');
    t.equal(granted[1]!.qos, 1, 'its own prefix is granted');
    const pub = await intruder
      .publishAsync('cam/CAMVICTIM/request/reboot', JSON.stringify({ transaction: 'evil', ts: Date.now() }), { qos: 1 })
      .then(() => 'acked', (e: { code?: number }) => e.code);
    t.equal(pub, 0x87, 'publishing to the other device is not authorised (MQTT 5 reason 0x87)');
    await cloud.client.publishAsync('cam/CAMVICTIM/marker', 'x', { qos: 1 });
    await cloud.waitFor((m) => m.topic === 'cam/CAMVICTIM/marker');
    t.notOk(cloud.messages.some((m) => m.topic === 'cam/CAMVICTIM/request/reboot'), 'the forged request never reached the broker subscribers');
    t.same(seen.filter((s) => s.startsWith('cam/CAMVICTIM')), [], 'the intruder saw nothing of the victim');
  });
});
