import { createServer, type Socket } from 'node:net';
import { generate, parser, type IPublishPacket, type Packet } from 'mqtt-packet';
import type { Test } from 'tap';

/**
 * A scripted MQTT broker, built on mqtt-packet, for behaviour no real broker
 * shows on demand: it accepts the connection and then withholds PUBACKs or
 * PINGRESPs as the test says. Plain TCP on loopback (the link allows
 * `mqtt://` only there). It records what crosses the wire per connection.
 */
export interface PeerPolicy {
  /** Send PUBACK for this QoS 1 PUBLISH on connection number `conn` (0-based)? */
  ack(packet: IPublishPacket, conn: number): boolean;
  /** Answer PINGREQ on connection number `conn`? */
  pong(conn: number): boolean;
}

export interface PeerConnection {
  index: number;
  protocolVersion: number;
  /** performance.now() of the CONNECT, of the last packet the peer sent, and of the socket close. */
  connectedAt: number;
  lastSentAt: number;
  closedAt: number | null;
  received: Packet[];
  /** performance.now() when each of `received` arrived. */
  receivedAt: number[];
  publishes: IPublishPacket[];
  pings: number;
}

export interface ScriptedPeer {
  url: string;
  connections: PeerConnection[];
  policy: PeerPolicy;
  /** Resolves when `pred` holds, re-checked on every packet, every close and every 50 ms (for link-side state). */
  until(pred: () => boolean, timeoutMs: number, what: string): Promise<void>;
  close(): Promise<void>;
}

export async function startScriptedPeer(t: Test, policy: PeerPolicy): Promise<ScriptedPeer> {
  const connections: PeerConnection[] = [];
  const waiters = new Set<() => void>();
  const poke = () => [...waiters].forEach((w) => w());
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    const p = parser();
    let conn: PeerConnection | null = null;
    const send = (packet: Packet) => {
      if (socket.destroyed || !conn) return;
      socket.write(generate(packet, { protocolVersion: conn.protocolVersion }));
      conn.lastSentAt = performance.now();
    };
    p.on('packet', (packet: Packet) => {
      if (packet.cmd === 'connect') {
        conn = { index: connections.length, protocolVersion: packet.protocolVersion ?? 4, connectedAt: performance.now(), lastSentAt: 0, closedAt: null, received: [], receivedAt: [], publishes: [], pings: 0 };
        connections.push(conn);
        send({ cmd: 'connack', sessionPresent: false, ...(conn.protocolVersion === 5 ? { reasonCode: 0 } : { returnCode: 0 }) });
      } else if (!conn) return socket.destroy();
      conn.received.push(packet);
      conn.receivedAt.push(performance.now());
      switch (packet.cmd) {
        case 'subscribe':
          send({ cmd: 'suback', messageId: packet.messageId, granted: packet.subscriptions.map((s) => s.qos) });
          break;
        case 'publish':
          conn.publishes.push(packet);
          if (packet.qos === 1 && policy.ack(packet, conn.index)) send({ cmd: 'puback', messageId: packet.messageId!, ...(conn.protocolVersion === 5 ? { reasonCode: 0 } : {}) });
          break;
        case 'pingreq':
          conn.pings++;
          if (policy.pong(conn.index)) send({ cmd: 'pingresp' });
          break;
        case 'disconnect':
          socket.end();
          break;
      }
      poke();
    });
    p.on('error', () => socket.destroy());
    socket.on('data', (d) => p.parse(d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      if (conn) conn.closedAt = performance.now();
      poke();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  t.teardown(close);
  return {
    url: `mqtt://127.0.0.1:${port}`,
    connections,
    policy,
    close,
    until: (pred, timeoutMs, what) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!pred()) return;
          waiters.delete(check);
          clearTimeout(timer);
          clearInterval(poll);
          resolve();
        };
        const poll = setInterval(check, 50);
        const timer = setTimeout(() => {
          waiters.delete(check);
          clearInterval(poll);
          reject(new Error(`timed out waiting for ${what}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}
