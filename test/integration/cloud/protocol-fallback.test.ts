import { join } from 'node:path';
import pino from 'pino';
import t, { type Test } from 'tap';
import { systemClock } from '../../../src/core/clock.js';
import { DEFAULT_CLOUD_CONFIG, type CloudConfig } from '../../../src/cloud/cloud-config.js';
import { MqttLink, plainTextUrlProblem } from '../../../src/cloud/mqtt-link.js';
import { startAedes, type AedesBroker } from '../../helpers/aedes-broker.js';
import { tempDir } from '../../helpers/tmp.js';
import { INFO, waitForLink } from './link-rig.js';

// aedes 1.x speaks MQTT 3.1.1 only, over plain TCP on loopback (the link allows mqtt:// there and nowhere else).
function plainLink(t: Test, broker: AedesBroker, dir: string, deviceId: string, patch: Partial<CloudConfig> = {}): MqttLink {
  const config: CloudConfig = {
    ...DEFAULT_CLOUD_CONFIG,
    url: broker.url,
    backoff: { minMs: 200, maxMs: 1_000, resetAfterMs: 30_000, startDelayMaxMs: 50 },
    ...patch,
  };
  const link = new MqttLink({
    deviceId,
    config,
    tls: {},
    outboxDir: join(dir, `outbox-${deviceId}`),
    handlers: {},
    deviceInfo: () => INFO,
    clock: systemClock,
    logger: pino({ level: process.env.CLOUD_TEST_LOG ?? 'silent' }),
  });
  t.teardown(() => link.stop());
  return link;
}

t.test('MQTT 5 falls back to 3.1.1 against a broker that refuses 5', async (t) => {
  const dir = await tempDir(t, 'cloud-fallback-');

  await t.test('a CONNACK 0x01 (unacceptable protocol version) switches to 3.1.1 at once', async (t) => {
    const broker = await startAedes(t);
    const link = plainLink(t, broker, dir, 'CAMV4A');
    await link.start();
    await waitForLink(link, 'online', 10_000);
    t.equal(link.protocolVersion, 4);
    t.same(broker.connects.map((c) => c.protocolVersion), [5, 4], 'one v5 try, then 3.1.1');
    const ev = await link.publishEvent('motion', { state: 'start' });
    if (!ev.ok) throw new Error(ev.error.message);
    await waitUntil(() => link.outboxStats().count === 0, 5_000, 'event acknowledged over 3.1.1');
    const topics = broker.published.filter((p) => p.clientId === 'CAMV4A').map((p) => p.topic);
    t.ok(topics.includes('cam/CAMV4A/status'), 'status published');
    t.ok(topics.includes('cam/CAMV4A/event/motion'), 'event published');
    const status = broker.published.find((p) => p.topic === 'cam/CAMV4A/status')!;
    t.ok(status.retain);
    t.equal(JSON.parse(status.payload.toString()).state, 'online');
  });

  await t.test('a socket closed right after a v5 CONNECT counts as "v5 unsupported" after 2 such closes', async (t) => {
    const broker = await startAedes(t, { refuseV5: 'close' });
    const link = plainLink(t, broker, dir, 'CAMV4B');
    await link.start();
    await waitForLink(link, 'online', 15_000);
    t.equal(link.protocolVersion, 4);
    t.same(broker.connects.map((c) => c.protocolVersion), [5, 5, 4], 'two silent closes on v5, then 3.1.1');
    t.equal(link.connects, 1);
  });

  await t.test('protocol "5" never falls back', async (t) => {
    const broker = await startAedes(t);
    const link = plainLink(t, broker, dir, 'CAMV5ONLY', { protocol: '5' });
    await link.start();
    await waitUntil(() => broker.connects.length >= 2, 10_000, 'two attempts');
    t.equal(link.state, 'offline');
    t.ok(broker.connects.every((c) => c.protocolVersion === 5));
  });

  t.test('mqtt:// without TLS is allowed only for a loopback broker', async (t) => {
    t.equal(plainTextUrlProblem('mqtts://broker.example.com:8883'), null);
    t.equal(plainTextUrlProblem('mqtt://127.0.0.1:1883'), null);
    t.equal(plainTextUrlProblem('mqtt://localhost:1883'), null);
    t.equal(plainTextUrlProblem('mqtt://[::1]:1883'), null);
    t.match(plainTextUrlProblem('mqtt://192.168.1.5:1883'), /loopback/);
    t.match(plainTextUrlProblem('mqtt://broker.example.com'), /loopback/);
    t.match(plainTextUrlProblem('ws://127.0.0.1:8080'), /mqtts/);
    const broker = await startAedes(t);
    const link = plainLink(t, broker, dir, 'CAMREMOTE', { url: 'mqtt://10.0.0.1:1883' });
    await t.rejects(link.start(), { code: 'invalid_config' });
  });
});

function waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => (pred() ? resolve() : Date.now() - started > timeoutMs ? reject(new Error(`timed out: ${what}`)) : setTimeout(tick, 20));
    tick();
  });
}
