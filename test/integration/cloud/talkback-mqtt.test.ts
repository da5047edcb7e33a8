import t from 'tap';
import { createLogging } from '../../../src/log/logger.js';
import { openMqttTransport } from '../../../src/talkback/mqtt-transport.js';
import type { TransportCloseReason } from '../../../src/talkback/transport.js';
import { connectCloud, startBroker } from '../../helpers/mosquitto.js';
import { tempDir } from '../../helpers/tmp.js';
import { WatchedList } from '../../helpers/watched-list.js';
import { startLink, waitForLink } from './link-rig.js';

/**
 * MQTT push-to-talk against a real Mosquitto (TLS, client certificates,
 * per-device ACL): raw binary frames on cam/{id}/talkback/down and /up at
 * QoS 0, not retained, never parsed as JSON; the link going offline ends
 * the transport with transport_lost.
 */

const ALL_BYTES = Buffer.from(Array.from({ length: 1512 }, (_, i) => (i * 31 + 7) & 0xff));

t.test('frames both ways, binary intact; talkback/down is neither an unknown topic nor JSON', async (t) => {
  const dir = await tempDir(t);
  const broker = await startBroker(t, dir);
  const lines: string[] = [];
  const { logger } = createLogging({ level: 'debug', ringLines: 100, output: { write: (l) => void lines.push(l) } });
  const link = await startLink(t, broker, dir, { extra: { logger } });
  const cloud = await connectCloud(t, broker, { subscribe: ['cam/CAM0001/talkback/up'] });

  const opened = await openMqttTransport({ link, logger });
  if (!opened.ok) return t.fail(opened.code);
  const transport = opened.transport;
  t.equal(transport.kind, 'mqtt');
  const frames = new WatchedList<Uint8Array>();
  transport.onFrame((b) => frames.push(b));

  await cloud.client.publishAsync('cam/CAM0001/talkback/down', ALL_BYTES, { qos: 0 });
  await cloud.client.publishAsync('cam/CAM0001/talkback/down', Buffer.from('{"not":"a request"}'), { qos: 0 });
  const got = await frames.waitFor(() => true, 2, 5000, (n) => `${n} frames arrived`);
  t.ok(Buffer.from(got[0]!).equals(ALL_BYTES), 'cloud → camera: 1512 bytes intact, in order');
  t.equal(Buffer.from(got[1]!).toString(), '{"not":"a request"}', 'a JSON-looking payload is just bytes here');

  t.equal(transport.send(ALL_BYTES), true);
  t.equal(transport.send(Uint8Array.of(0, 255)), true);
  const up = await cloud.waitForCount((m) => m.topic === 'cam/CAM0001/talkback/up', 2);
  t.ok(up[0]!.payload.equals(ALL_BYTES), 'camera → cloud: intact');
  t.same([...up[1]!.payload], [0, 255]);
  t.equal(up[0]!.retain, false, 'not retained');

  t.notOk(lines.some((l) => l.includes('unexpected topic') || l.includes('unknown_topic')), 'talkback/down is not an unknown topic');
  t.notOk(cloud.messages.some((m) => m.topic.startsWith('cam/CAM0001/response/')), 'nothing answered a frame as if it were a request');

  const closed = new Promise<TransportCloseReason>((resolve) => transport.onClose((r) => resolve(r)));
  await transport.close();
  t.equal(await closed, 'closed');
  t.equal(transport.send(Uint8Array.of(1)), false, 'send after close drops');
});

t.test('raw publishes are QoS 0 and only to the talkback uplink; raw subscriptions only to the downlink', async (t) => {
  const dir = await tempDir(t);
  const broker = await startBroker(t, dir);
  const link = await startLink(t, broker, dir);
  t.equal(link.publishRaw('cam/CAM0001/event/motion', Buffer.from([1]), 0), false, 'not a raw topic');
  t.equal(link.publishRaw('cam/CAM0002/talkback/up', Buffer.from([1]), 0), false, "another device's topic");
  await t.rejects(link.subscribeRaw('cam/CAM0001/request/+', 0, () => undefined), { code: 'invalid_args' });
  await t.rejects(link.subscribeRaw('cam/CAM0002/talkback/down', 0, () => undefined), { code: 'invalid_args' });
});

t.test('the link going offline ends the transport with transport_lost; opening while offline is mqtt_unavailable', async (t) => {
  const dir = await tempDir(t);
  const broker = await startBroker(t, dir);
  const lines: string[] = [];
  const { logger } = createLogging({ level: 'info', ringLines: 10, output: { write: (l) => void lines.push(l) } });
  const link = await startLink(t, broker, dir);
  const opened = await openMqttTransport({ link, logger });
  if (!opened.ok) return t.fail(opened.code);
  const closed = new Promise<{ reason: TransportCloseReason; detail: string | undefined }>((resolve) => opened.transport.onClose((reason, detail) => resolve({ reason, detail })));
  await broker.stop('SIGKILL');
  t.same(await closed, { reason: 'transport_lost', detail: 'link_offline' });
  t.equal(opened.transport.send(Uint8Array.of(1)), false);
  await opened.transport.close();

  const again = await openMqttTransport({ link, logger });
  t.same(again.ok ? 'opened' : again.code, 'mqtt_unavailable');
  t.equal(link.publishRaw('cam/CAM0001/talkback/up', Buffer.from([1]), 0), false, 'raw publish while offline drops');

  // After the broker is back, a new transport works again (the old subscription is not needed).
  await broker.start();
  await waitForLink(link, 'online', 15_000);
  const cloud = await connectCloud(t, broker);
  const third = await openMqttTransport({ link, logger });
  if (!third.ok) return t.fail(third.code);
  const frames = new WatchedList<Uint8Array>();
  third.transport.onFrame((b) => frames.push(b));
  await cloud.client.publishAsync('cam/CAM0001/talkback/down', Buffer.from([4, 2]), { qos: 0 });
  const [f] = await frames.waitFor(() => true, 1, 5000, () => 'no frame after reconnect');
  t.same([...f!], [4, 2]);
  await third.transport.close();
});
