import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import { generate, parser, type Packet } from 'mqtt-packet';
import pino from 'pino';
import t, { type Test } from 'tap';
import { systemClock } from '../../../src/core/clock.js';
import { DEFAULT_CLOUD_CONFIG } from '../../../src/cloud/cloud-config.js';
import { MqttLink } from '../../../src/cloud/mqtt-link.js';
import { createPki } from '../../helpers/pki.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * A connection the link gives up on because a PUBACK never came must be
 * reset (TCP RST), not closed: a close leaves the kernel retransmitting the
 * unacknowledged PUBLISH, and after a link cut it reached the broker once the
 * link was back — after the outbox had already sent the same event on the new
 * connection (a duplicate per cut; test/resilience/faults/network-cut.test.ts).
 * Over TLS on loopback, with a minimal broker that withholds event PUBACKs on
 * its first connection and tells how each connection ended.
 */
interface Conn {
  index: number;
  events: string[];
  /** reset: ECONNRESET (RST); fin: an orderly end. */
  ended: 'reset' | 'fin' | null;
}

async function tlsPeer(t: Test, dir: string, ackEventsFrom: number) {
  const pki = await createPki(dir);
  const conns: Conn[] = [];
  const sockets = new Set<TLSSocket>();
  const server = createServer({ cert: pki.server.cert, key: pki.server.key }, (socket) => {
    sockets.add(socket);
    const conn: Conn = { index: conns.length, events: [], ended: null };
    conns.push(conn);
    let version = 4;
    const send = (p: Packet) => void (!socket.destroyed && socket.write(generate(p, { protocolVersion: version })));
    const p = parser({ protocolVersion: 5 });
    p.on('packet', (packet: Packet) => {
      switch (packet.cmd) {
        case 'connect':
          version = packet.protocolVersion ?? 4;
          send({ cmd: 'connack', sessionPresent: false, ...(version === 5 ? { reasonCode: 0 } : { returnCode: 0 }) });
          break;
        case 'subscribe':
          send({ cmd: 'suback', messageId: packet.messageId, granted: packet.subscriptions.map((s) => s.qos) });
          break;
        case 'publish': {
          const isEvent = packet.topic.includes('/event/');
          if (isEvent) conn.events.push(JSON.parse(packet.payload.toString()).id);
          if (packet.qos === 1 && (!isEvent || conn.index >= ackEventsFrom)) send({ cmd: 'puback', messageId: packet.messageId!, ...(version === 5 ? { reasonCode: 0 } : {}) });
          break;
        }
        case 'pingreq':
          send({ cmd: 'pingresp' });
          break;
      }
    });
    socket.on('data', (d) => p.parse(d));
    socket.on('end', () => (conn.ended ??= 'fin'));
    socket.on('error', (err: NodeJS.ErrnoException) => (conn.ended ??= err.code === 'ECONNRESET' ? 'reset' : null));
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { pki, conns, url: `mqtts://127.0.0.1:${(server.address() as { port: number }).port}` };
}

async function until(pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

function link(t: Test, dir: string, url: string, ca: Buffer, cert: Buffer, key: Buffer): MqttLink {
  const l = new MqttLink({
    deviceId: 'CAMRESET',
    // Keep-alive 1 s (mqtt.js's minimum): the PUBACK timeout is one keep-alive period.
    config: { ...DEFAULT_CLOUD_CONFIG, url, keepaliveS: 1, backoff: { minMs: 100, maxMs: 500, resetAfterMs: 30_000, startDelayMaxMs: 0 } },
    tls: { ca, cert, key },
    outboxDir: join(dir, 'outbox'),
    handlers: {},
    deviceInfo: () => ({ model: 'CAM100', firmwareVersion: '1.0.0' }) as never,
    clock: systemClock,
    logger: pino({ level: 'silent' }),
  });
  t.teardown(() => l.stop());
  return l;
}

t.test('a connection dropped for a missing PUBACK is reset (RST), so its unsent PUBLISH cannot reach the broker later; the event goes once on the next connection', async (t) => {
  const dir = await tempDir(t, 'link-reset-');
  const peer = await tlsPeer(t, dir, 1);
  const id = await peer.pki.client('CAMRESET');
  const l = link(t, dir, peer.url, peer.pki.ca, id.cert, id.key);
  await l.start();
  const queued = await l.publishEvent('alarm', { n: 1 }, 'high');
  if (!queued.ok) throw new Error(queued.error.message);
  await until(() => peer.conns.length >= 2 && peer.conns[1]!.events.length === 1 && l.outboxStats().count === 0, 'the event acked on the second connection');
  await until(() => peer.conns[0]!.ended !== null, 'the first connection to end');
  t.same(peer.conns[0]!.events, [queued.value.id], 'the first connection got the event and never acked it');
  t.equal(peer.conns[0]!.ended, 'reset', 'the link reset that connection instead of closing it');
  t.same(peer.conns[1]!.events, [queued.value.id], 'the second connection got it once');
});

t.test('a clean stop still ends the connection in order (DISCONNECT, then FIN), not with a reset', async (t) => {
  const dir = await tempDir(t, 'link-reset-stop-');
  const peer = await tlsPeer(t, dir, 0);
  const id = await peer.pki.client('CAMRESET');
  const l = link(t, dir, peer.url, peer.pki.ca, id.cert, id.key);
  await l.start();
  await until(() => l.state === 'online', 'online');
  await l.stop();
  await until(() => peer.conns[0]!.ended !== null, 'the connection to end');
  t.equal(peer.conns[0]!.ended, 'fin');
});
