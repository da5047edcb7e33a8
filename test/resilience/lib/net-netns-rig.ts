/**
 * The compiled agent and Mosquitto on two hosts of their own: network
 * namespaces "cam" (10.99.0.1, the agent) and "phone" (10.99.0.2, the
 * broker) joined by a veth pair (test/helpers/netns.ts), so a test can take
 * the link down with `ip link set … down` — a blackhole: no FIN, no RST
 * reaches either side, exactly what a dead Wi-Fi uplink or a router losing
 * power looks like — and bring it back.
 *
 * The test's own cloud client lives in the root namespace, which cannot
 * reach either host: Mosquitto also listens (with the same TLS and client
 * certificates) on a unix socket, which the filesystem shares across
 * namespaces, and a byte relay on a loopback port of the root namespace
 * leads to it. That path never crosses the veth link, so the recorder sees
 * everything the broker routes, whatever state the link is in.
 *
 * The camera is a lavfi graph with a block that appears for 1.5 s every
 * MOTION_PERIOD_S (the scripted HTTP mover lives in the root namespace,
 * out of the agent's reach), so alarms keep flowing on their own.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Test } from 'tap';
import { FAST_MOTION } from '../../helpers/alarm-rig.js';
import { startDaemon, type Daemon } from '../../helpers/daemon.js';
import { provisionUnit } from '../../helpers/device-rig.js';
import { connectCloud, startBroker, type CloudClient, type TestBroker } from '../../helpers/mosquitto.js';
import { interfaceWithAddress, vethPair, type VethPair } from '../../helpers/netns.js';
import { tempDir } from '../../helpers/tmp.js';

export const MOTION_PERIOD_S = 4;
/** The smallest keep-alive the agent accepts (AWS IoT's floor): dead-link detection takes ~1–2 of these. */
export const KEEPALIVE_S = 30;

export interface NetnsRig {
  pair: VethPair;
  broker: TestBroker;
  deviceId: string;
  /** The recorder: a persistent-session cloud client reaching the broker over the unix socket. */
  cloud: CloudClient;
  /** A fresh cloud client over the same path (e.g. to read the retained status). */
  connectCloud(subscribe: string[]): Promise<CloudClient>;
  start(): Daemon;
  /** The veth end in the broker's namespace: down = blackhole for the agent. */
  linkDown(): Promise<void>;
  linkUp(): Promise<void>;
}

function ip(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ip ${args.join(' ')}: ${code} ${err}`))));
  });
}

export async function netnsRig(t: Test): Promise<NetnsRig> {
  const dir = await tempDir(t, 'camera-agent-netcut-');
  const pair = await vethPair();
  t.teardown(() => pair.delete());
  const sock = join(dir, 'broker.sock');
  // Per-listener TLS settings must be repeated for the second listener (pki.ts writes these files).
  const unixListener = [`listener 0 ${sock}`, `cafile ${join(dir, 'ca.crt')}`, `certfile ${join(dir, 'server.crt')}`, `keyfile ${join(dir, 'server.key')}`, 'require_certificate true', 'use_identity_as_username true'].join('\n');
  const broker = await startBroker(t, dir, {
    host: pair.phoneAddress,
    port: 8883,
    spawn: (command, args, options) => pair.phone.spawn(command, args, options),
    extraConfig: unixListener,
  });
  // Root-namespace loopback port → the broker's unix socket (bytes only: TLS stays end to end).
  const relayed = new Set<Socket>();
  const relay = createServer((down) => {
    const up = createConnection({ path: sock });
    relayed.add(down).add(up);
    down.pipe(up).pipe(down);
    const close = () => {
      down.destroy();
      up.destroy();
      relayed.delete(down);
      relayed.delete(up);
    };
    down.on('error', close).on('close', close);
    up.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of relayed) s.destroy();
    relay.close();
  });
  const viaRelay = { url: `mqtts://127.0.0.1:${(relay.address() as AddressInfo).port}`, pki: broker.pki } as TestBroker;

  const { factoryDir, deviceId } = await provisionUnit(t, dir, broker, 'NETCUT000001', 'CAM100');
  const config = join(dir, 'config.json');
  const period = MOTION_PERIOD_S;
  await writeFile(
    config,
    JSON.stringify({
      data: { dir: join(dir, 'data') },
      identity: { dir: factoryDir },
      hal: { mode: 'sim' },
      // A grey room with a grid for texture (a flat one reads as a scene change, not motion); a bright
      // person-sized block for the last 1.5 s of every period, so the room is learnt empty first.
      video: {
        input: `lavfi:color=c=0x505a60:s=640x360:r=10,drawgrid=w=40:h=40:t=20:c=0x707a80,drawbox=x=380:y=110:w=77:h=162:color=0xebe1d2:t=fill:enable='gte(mod(t\\,${period})\\,${period - 1.5})'`,
      },
      cloud: {
        url: broker.url,
        ca: broker.pki.caPath,
        // The broker's certificate names localhost/127.0.0.1, and the agent reaches it as 10.99.0.2: verify the name we expect.
        serverName: 'localhost',
        keepaliveS: KEEPALIVE_S,
        connectTimeoutMs: 3_000,
        backoff: { startDelayMaxMs: 0, minMs: 200, maxMs: 2_000 },
      },
      motion: FAST_MOTION,
      // Alarm events only: the snapshot path is proven by broker-restart.test.ts (its upload server is out of reach here).
      alarm: { maxPerMinute: 600, snapshots: false },
      api: { enabled: false },
    }),
  );
  const cloud = await connectCloud(t, viaRelay, {
    subscribe: [`cam/${deviceId}/event/alarm`, `cam/${deviceId}/status`],
    client: { clientId: 'net-netns-recorder', clean: false, properties: { sessionExpiryInterval: 3600 } },
  });
  const brokerIf = await interfaceWithAddress(pair.phone, pair.phoneAddress);
  return {
    pair,
    broker,
    deviceId,
    cloud,
    connectCloud: (subscribe) => connectCloud(t, viaRelay, { subscribe }),
    start: () => {
      const d = startDaemon(t, ['run', '--config', config], { CAMERA_AGENT_SYSTEM_CONFIG: join(dir, 'none.json') }, { spawn: (c, a, o) => pair.cam.spawn(c, a, o) });
      // NET_DEBUG=1: the agent's log on stderr after the test, to see why a wait timed out.
      if (process.env.NET_DEBUG === '1') t.teardown(() => void process.stderr.write(`${d.stdout()}\n${d.stderr()}\n`));
      return d;
    },
    linkDown: () => ip(['-n', pair.phone.name, 'link', 'set', brokerIf, 'down']),
    linkUp: () => ip(['-n', pair.phone.name, 'link', 'set', brokerIf, 'up']),
  };
}
