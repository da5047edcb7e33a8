import { createServer, type AddressInfo, type Server } from 'node:net';

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
  close(): Promise<void>;
}

export async function startStandInCloud(): Promise<StandInCloud> {
  let Aedes: typeof import('aedes').Aedes;
  try {
    ({ Aedes } = await import('aedes'));
  } catch {
    throw new Error('the demo needs the development dependencies (npm ci) for its stand-in cloud');
  }
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    onPublish(listener) {
      broker.on('publish', (packet, client) => {
        // Only what clients sent; the broker's own $SYS chatter is noise here.
        if (client) listener(packet.topic, Buffer.from(packet.payload as Buffer));
      });
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}
