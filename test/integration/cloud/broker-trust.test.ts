import t, { type Test } from 'tap';
import { join } from 'node:path';
import pino from 'pino';
import { systemClock } from '../../../src/core/clock.js';
import { MqttLink } from '../../../src/cloud/mqtt-link.js';
import { createPki } from '../../helpers/pki.js';
import { startBroker, type TestBroker } from '../../helpers/mosquitto.js';
import { tempDir } from '../../helpers/tmp.js';
import { INFO, testConfig, waitForLink } from './link-rig.js';

/**
 * Server authentication of the cloud link (docs/security.md 5.5-1): the
 * device pins the broker CA (`cloud.ca`) and checks the broker's name, so a
 * broker that shows a certificate from any other CA, or one issued for
 * another host, never receives the device's CONNECT — no client id, no
 * will, no queued event. Each case first shows that the same link with the
 * right CA and name does come online, so a refusal is not a broken rig.
 */

interface Attempt {
  link: MqttLink;
  errors: () => string[];
}

function link(t: Test, broker: TestBroker, dir: string, deviceId: string, tls: { ca: Buffer; cert: Buffer; key: Buffer }, serverName = ''): Attempt {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  const l = new MqttLink({
    deviceId,
    config: testConfig(broker, { serverName }),
    tls,
    outboxDir: join(dir, `outbox-${deviceId}`),
    handlers: {},
    deviceInfo: () => INFO,
    clock: systemClock,
    logger,
  });
  t.teardown(() => l.stop());
  const errors = () => lines.map((s) => JSON.parse(s) as { msg: string; err?: { message?: string } }).filter((e) => e.msg === 'cloud: connection error').map((e) => e.err?.message ?? '');
  return { link: l, errors };
}

/** Resolves once the link has failed this many connection attempts (event-driven: polls the captured log). */
async function failedAttempts(a: Attempt, n: number, timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  while (a.errors().length < n) {
    if (a.link.state === 'online') throw new Error('the link came online');
    if (Date.now() > deadline) throw new Error(`only ${a.errors().length} failed attempt(s) within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return a.errors();
}

t.test('a broker whose certificate comes from another CA is refused: the link never connects and says why', async (t) => {
  const dir = await tempDir(t);
  const broker = await startBroker(t, dir);
  const id = await broker.pki.client('CAMTRUST01');

  const good = link(t, broker, dir, 'CAMTRUST00', { ca: broker.pki.ca, ...(await broker.pki.client('CAMTRUST00')) });
  await good.link.start();
  await waitForLink(good.link, 'online', 20_000);
  t.pass('control: with the pinned CA the link comes online');
  t.match(broker.log(), /as CAMTRUST00\b/, 'control: the broker log names a device that did connect');

  const otherPki = await createPki(await tempDir(t));
  const bad = link(t, broker, dir, 'CAMTRUST01', { ca: otherPki.ca, cert: id.cert, key: id.key });
  await bad.link.start();
  const errors = await failedAttempts(bad, 2);
  t.match(errors[0], /certificate|self.signed|verify/i, `refused at TLS: ${errors[0]}`);
  t.not(bad.link.state, 'online');
  t.notMatch(broker.log(), /as CAMTRUST01\b/, 'the broker never saw a CONNECT from this device');
});

t.test('a broker certificate issued for another host name is refused (the name in cloud.serverName is checked)', async (t) => {
  const dir = await tempDir(t);
  const broker = await startBroker(t, dir);

  const good = link(t, broker, dir, 'CAMNAME00', { ca: broker.pki.ca, ...(await broker.pki.client('CAMNAME00')) }, 'localhost');
  await good.link.start();
  await waitForLink(good.link, 'online', 20_000);
  t.pass('control: the name on the certificate (localhost) is accepted');
  t.match(broker.log(), /as CAMNAME00\b/, 'control: the broker log names a device that did connect');

  const id = await broker.pki.client('CAMNAME01');
  const bad = link(t, broker, dir, 'CAMNAME01', { ca: broker.pki.ca, cert: id.cert, key: id.key }, 'broker.example.com');
  await bad.link.start();
  const errors = await failedAttempts(bad, 2);
  t.match(errors[0], /altnames|hostname|does not match/i, `refused at TLS: ${errors[0]}`);
  t.not(bad.link.state, 'online');
  t.notMatch(broker.log(), /as CAMNAME01\b/, 'the broker never saw a CONNECT from this device');
});
