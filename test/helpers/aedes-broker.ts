import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AedesPublishPacket } from 'aedes';
import type { Test } from 'tap';

/**
 * An in-process aedes broker on a free loopback port, plain TCP. For the
 * few tests that need a broker Mosquitto cannot play: aedes 1.x speaks only
 * MQTT 3.1/3.1.1 and answers a v5 CONNECT with CONNACK 0x01 ("unacceptable
 * protocol version"); with `refuseV5: 'close'` it instead hangs up on a v5
 * CONNECT without a CONNACK, as some 3.1.1-only brokers do.
 */
export interface AedesBroker {
  url: string;
  port: number;
  /** Every CONNECT that reached the broker, in order. */
  connects: Array<{ clientId: string; protocolVersion: number }>;
  /** Every PUBLISH a client sent (not the broker's own $SYS messages). */
  published: Array<{ clientId: string; topic: string; payload: Buffer; retain: boolean }>;
  close(): Promise<void>;
}

export async function startAedes(t: Test, opts: { refuseV5?: 'connack' | 'close' } = {}): Promise<AedesBroker> {
  const connects: AedesBroker['connects'] = [];
  const published: AedesBroker['published'] = [];
  const broker = await Aedes.createBroker({
    preConnect(client, packet, callback) {
      connects.push({ clientId: packet.clientId, protocolVersion: packet.protocolVersion ?? 4 });
      if (packet.protocolVersion === 5 && opts.refuseV5 === 'close') {
        // No CONNACK at all: the socket just goes away.
        client.conn.destroy();
        return;
      }
      callback(null, true);
    },
  });
  broker.on('publish', (packet: AedesPublishPacket, client) => {
    if (client) published.push({ clientId: client.id, topic: packet.topic, payload: Buffer.from(packet.payload), retain: packet.retain });
  });
  const server: Server = createServer(broker.handle);
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  };
  t.teardown(close);
  return { url: `mqtt://127.0.0.1:${port}`, port, connects, published, close };
}
