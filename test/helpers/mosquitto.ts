import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Test } from 'tap';
import { createPki, type TestPki } from './pki.js';
import { WatchedList } from './watched-list.js';

/**
 * A real Mosquitto for integration tests: TLS on a free loopback port,
 * client certificates required, the certificate CN as username, and an ACL
 * that confines each device to `cam/<its CN>/#` while a `cloud` user may
 * read and write `cam/#`. Persistence is on so a restart keeps retained
 * messages and persistent sessions, as a production broker would.
 *
 * `user root` keeps Mosquitto from dropping to user `mosquitto`, which
 * cannot read the 0700 temp directories tests create.
 */
export interface TestBroker {
  port: number;
  url: string;
  pki: TestPki;
  start(): Promise<void>;
  /** SIGTERM (clean shutdown, disconnects clients one by one) or SIGKILL (a crash: every socket drops at once). */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  restart(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Broker log so far (for failure messages). */
  log(): string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Anything that can run clean-up at the end: a tap Test, or the fleet simulation's own list. */
export interface Teardown {
  teardown(fn: () => unknown): unknown;
}

export interface BrokerOptions {
  extraConfig?: string;
  /** Address of the TLS listener (default 127.0.0.1), e.g. a namespace's veth address. */
  host?: string;
  /** Its port (default: a free loopback port). */
  port?: number;
  /** How to start mosquitto (default node:child_process spawn); e.g. a network namespace's spawn. */
  spawn?: (command: string, args: string[], options: SpawnOptions) => ChildProcess;
}

export async function startBroker(t: Teardown, dir: string, opts: BrokerOptions = {}): Promise<TestBroker> {
  const pki = await createPki(dir);
  const port = opts.port ?? (await freePort());
  const host = opts.host ?? '127.0.0.1';
  const dataDir = join(dir, 'mosquitto-data');
  await mkdir(dataDir, { recursive: true });
  const aclPath = join(dir, 'acl');
  await writeFile(
    aclPath,
    [
      'user cloud',
      'topic readwrite cam/#',
      'topic readwrite homeassistant/#',
      '',
      '# every device (username = certificate CN) only under its own prefix',
      'pattern readwrite cam/%u/#',
      'pattern readwrite homeassistant/+/%u/#',
      '',
    ].join('\n'),
  );
  const confPath = join(dir, 'mosquitto.conf');
  await writeFile(
    confPath,
    [
      'user root',
      'per_listener_settings false',
      'persistence true',
      `persistence_location ${dataDir}/`,
      'autosave_interval 1',
      'allow_anonymous false',
      `acl_file ${aclPath}`,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      // Listener options must follow `listener`, or Mosquitto opens a default listener on 1883 for them.
      `listener ${port} ${host}`,
      'max_qos 1',
      `cafile ${pki.caPath}`,
      `certfile ${pki.server.certPath}`,
      `keyfile ${pki.server.keyPath}`,
      'require_certificate true',
      'use_identity_as_username true',
      opts.extraConfig ?? '',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | null = null;
  let log = '';
  const broker: TestBroker = {
    port,
    url: `mqtts://${host}:${port}`,
    pki,
    log: () => log,
    async start() {
      const c = (opts.spawn ?? spawn)('mosquitto', ['-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
      child = c;
      let sinceStart = '';
      let started = false;
      c.stderr!.on('data', (d: Buffer) => {
        log += d.toString();
        if (!started) sinceStart += d.toString();
      });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`mosquitto did not start:\n${log}`)), 10_000);
        const check = () => {
          if (!/ running/.test(sinceStart)) return;
          // Only scan this run's output, and only until it is up (a fleet of clients logs a lot).
          started = true;
          c.stderr!.off('data', check);
          clearTimeout(timer);
          resolve();
        };
        c.stderr!.on('data', check);
        c.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`mosquitto exited with ${code}:\n${log}`));
        });
      });
    },
    async stop(signal = 'SIGTERM') {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise((resolve) => c.once('exit', resolve));
      c.kill(signal);
      await exited;
    },
    async restart(signal = 'SIGTERM') {
      await broker.stop(signal);
      await broker.start();
    },
  };
  await broker.start();
  t.teardown(() => broker.stop());
  return broker;
}

export interface Recorded {
  topic: string;
  payload: Buffer;
  retain: boolean;
  properties: Record<string, unknown> | undefined;
  /** Date.now() when the test's client got it. */
  receivedAt: number;
  json(): any;
}

/** The test's stand-in for the cloud: a connected mqtt.js client that records every message it receives. */
export interface CloudClient {
  client: MqttClient;
  messages: Recorded[];
  waitFor(pred: (m: Recorded) => boolean, timeoutMs?: number, what?: string): Promise<Recorded>;
  /** Resolves once `count` messages match. */
  waitForCount(pred: (m: Recorded) => boolean, count: number, timeoutMs?: number): Promise<Recorded[]>;
  end(): Promise<void>;
}

export async function connectCloud(
  t: Test,
  broker: TestBroker,
  opts: { cn?: string; subscribe?: string[]; client?: Partial<IClientOptions> } = {},
): Promise<CloudClient> {
  const id = await broker.pki.client(opts.cn ?? 'cloud');
  const client = await mqtt.connectAsync(broker.url, {
    ca: broker.pki.ca,
    cert: id.cert,
    key: id.key,
    protocolVersion: 5,
    reconnectPeriod: 200,
    ...opts.client,
  });
  const received = new WatchedList<Recorded>();
  const messages = received.items;
  client.on('message', (topic, payload, packet) => {
    received.push({ topic, payload, retain: packet.retain, properties: packet.properties as Record<string, unknown> | undefined, receivedAt: Date.now(), json: () => JSON.parse(payload.toString()) });
  });
  if (opts.subscribe?.length) await client.subscribeAsync(opts.subscribe, { qos: 1 });
  const waitForCount = (pred: (m: Recorded) => boolean, count: number, timeoutMs = 10_000, what = 'message') =>
    received.waitFor(pred, count, timeoutMs, (found) => `timed out waiting for ${count} × ${what}; got ${found}; topics seen: ${[...new Set(messages.map((m) => m.topic))].join(', ')}`);
  const cloud: CloudClient = {
    client,
    messages,
    waitForCount,
    waitFor: async (pred, timeoutMs, what) => (await waitForCount(pred, 1, timeoutMs, what))[0]!,
    end: () => client.endAsync(true).catch(() => undefined),
  };
  t.teardown(() => cloud.end());
  return cloud;
}

/**
 * A cloud subscriber with a persistent session (clean: false, kept an hour):
 * the broker queues what the agent publishes while this client is still
 * reconnecting after a broker restart. A clean-session client (the rigs' own)
 * misses whatever the agent drains in the moment between the broker's return
 * and its resubscribe — a race of the test, not a loss by the agent.
 */
export function persistentSubscriber(t: Test, broker: Pick<TestBroker, 'url' | 'pki'>, clientId: string, subscribe: string[]): Promise<CloudClient> {
  return connectCloud(t, broker as TestBroker, { subscribe, client: { clientId, clean: false, properties: { sessionExpiryInterval: 3600 } } });
}
