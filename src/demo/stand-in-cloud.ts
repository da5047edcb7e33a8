import { readFile } from 'node:fs/promises';
import type { AddressInfo, Server } from 'node:net';
import { createServer } from 'node:tls';

/**
 * The demo's stand-in for the vendor cloud: an embedded MQTT broker (aedes)
 * on a free loopback port. aedes is a development dependency, so a
 * production bundle has no demo cloud and says so.
 */
export interface StandInCloud {
  url: string;
  port: number;
  /** Every message the camera published: topic and payload. */
  onPublish(listener: (topic: string, payload: Buffer) => void): void;
  /** Publish as the cloud (a request to the camera; binary talkback frames at QoS 0). */
  publish(topic: string, payload: string | Uint8Array, qos?: 0 | 1): Promise<void>;
  close(): Promise<void>;
}

export interface StandInCloudTls {
  /** Server certificate and key for 127.0.0.1, and the CA that signs device certificates. */
  cert: string;
  key: string;
  ca: string;
}

/**
 * Mutual TLS as in production: the broker presents a certificate the agent
 * pins (cloud.ca) and accepts only clients whose certificate the (demo)
 * factory CA signed.
 */
export async function startStandInCloud(tls: StandInCloudTls): Promise<StandInCloud> {
  let Aedes: typeof import('aedes').Aedes;
  try {
    ({ Aedes } = await import('aedes'));
  } catch {
    throw new Error('the demo needs the development dependencies (npm ci) for its stand-in cloud');
  }
  const broker = await Aedes.createBroker();
  const [cert, key, ca] = await Promise.all([readFile(tls.cert), readFile(tls.key), readFile(tls.ca)]);
  const server: Server = createServer({ cert, key, ca, requestCert: true, rejectUnauthorized: true }, broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtts://127.0.0.1:${port}`,
    port,
    onPublish(listener) {
      broker.on('publish', (packet, client) => {
        // Only what clients sent; the broker's own $SYS chatter is noise here.
        if (client) listener(packet.topic, Buffer.from(packet.payload as Buffer));
      });
    },
    publish(topic, payload, qos = 1) {
      return new Promise((resolve, reject) =>
        broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain: false, dup: false }, (err?: Error) => (err ? reject(err) : resolve())),
      );
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}
