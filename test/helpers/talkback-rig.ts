/**
 * The rig for talkback integration tests and the talkback bench: real
 * Mosquitto (mutual TLS, ACL) with a factory-provisioned identity, the
 * compiled agent on the simulated board but with the REAL ALSA audio path
 * (hal.sim.alsaAudio: aplay/arecord through an ALSA file PCM in front of a
 * PulseAudio null sink, test-rigs.md §5), and a local WSS relay standing in
 * for the cloud's.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'tap';
import { factoryCommand } from '../../src/factory/factory-command.js';
import { tempDir } from './tmp.js';
import { startBroker, connectCloud, type CloudClient, type TestBroker } from './mosquitto.js';
import { startDaemon, type Daemon } from './daemon.js';
import { startTalkRelay, type RelayPeer, type TalkRelay } from './talk-relay.js';
import { startAlsaRig, type AlsaRig } from './alsa-rig.js';

export interface TalkbackRig {
  dir: string;
  broker: TestBroker;
  deviceId: string;
  config: string;
  cloud: CloudClient;
  relay: TalkRelay;
  alsa: AlsaRig;
  start(env?: Record<string, string>): Daemon;
  request(op: string, args?: Record<string, unknown>): Promise<{ status: string; data?: any; error?: any }>;
  /** `talkback` event data seen at the broker, in arrival order. */
  events(): Array<Record<string, any>>;
  waitForEvent(pred: (data: Record<string, any>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, any>>;
  /** talkback.start over the relay; resolves with the relay's side of the camera's connection. */
  startSession(sessionId: string, codec: Record<string, unknown>, extra?: Record<string, unknown>): Promise<{ response: { status: string; data?: any; error?: any }; peer: RelayPeer | null }>;
}

export interface TalkbackRigOptions {
  talkback?: Record<string, unknown>;
  /** Raw S16LE mono the rig's microphone captures, looped, at micRate. */
  micInput?: Buffer;
  micRate?: number;
  extra?: Record<string, unknown>;
}

export async function talkbackRig(t: Test, opts: TalkbackRigOptions = {}): Promise<TalkbackRig> {
  const dir = await tempDir(t, 'camera-agent-talk-');
  const broker = await startBroker(t, dir);
  const unit = join(dir, 'unit');
  const code = await factoryCommand(
    ['provision', '--serial', 'TALK00000001', '--model', 'CAM100', '--out', unit, '--ca-key', join(broker.pki.dir, 'ca.key'), '--ca-cert', broker.pki.caPath],
    { out: () => undefined, err: (l) => t.comment(l) },
  );
  if (code !== 0) throw new Error('factory provision failed');
  const { deviceId } = JSON.parse(await readFile(join(unit, 'factory', 'identity.json'), 'utf8')) as { deviceId: string };
  const relay = await startTalkRelay(t, broker.pki.server);
  const alsa = await startAlsaRig(join(dir, 'audio'), {
    ...(opts.micInput ? { micInput: opts.micInput } : {}),
    ...(opts.micRate ? { micRate: opts.micRate } : {}),
  });
  t.teardown(() => alsa.stop());
  const config = join(dir, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      data: { dir: join(dir, 'data') },
      identity: { dir: join(unit, 'factory') },
      hal: {
        mode: 'sim',
        sim: { alsaAudio: true },
        speaker: { alsaDevice: alsa.speakerDevice },
        microphone: { alsaDevice: alsa.micDevice },
      },
      api: { enabled: false },
      cloud: { url: broker.url, ca: broker.pki.caPath, backoff: { startDelayMaxMs: 0, minMs: 200, maxMs: 2000 } },
      talkback: { relay: { caFile: broker.pki.caPath }, ...opts.talkback },
      ...opts.extra,
    }),
  );
  const cloud = await connectCloud(t, broker, { subscribe: [`cam/${deviceId}/#`] });
  const events = (): Array<Record<string, any>> =>
    cloud.messages.filter((m) => m.topic === `cam/${deviceId}/event/talkback`).map((m) => (m.json() as { data: Record<string, any> }).data);
  const rig: TalkbackRig = {
    dir,
    broker,
    deviceId,
    config,
    cloud,
    relay,
    alsa,
    start: (env = {}) => startDaemon(t, ['run', '--config', config], { CAMERA_AGENT_SYSTEM_CONFIG: join(dir, 'none.json'), ...alsa.env, ...env }),
    async request(op, args = {}) {
      const transaction = `${op}-${Math.random().toString(36).slice(2)}`;
      await cloud.client.publishAsync(`cam/${deviceId}/request/${op}`, JSON.stringify({ transaction, ts: Date.now(), args }), { qos: 1 });
      const res = await cloud.waitFor((m) => m.topic === `cam/${deviceId}/response/${op}` && m.json().transaction === transaction, 20_000, `${op} response`);
      return res.json();
    },
    events,
    async waitForEvent(pred, what, timeoutMs = 20_000) {
      const m = await cloud.waitFor(
        (msg) => msg.topic === `cam/${deviceId}/event/talkback` && pred((msg.json() as { data: Record<string, any> }).data),
        timeoutMs,
        `talkback event: ${what}`,
      );
      return (m.json() as { data: Record<string, any> }).data;
    },
    async startSession(sessionId, codec, extra = {}) {
      const before = relay.peers.items.length;
      const response = await rig.request('talkback.start', { sessionId, codec, relay: { url: relay.url, token: relay.token }, ...extra });
      const peer = response.status === 'ok' ? await relay.peer(before + 1) : null;
      return { response, peer };
    },
  };
  return rig;
}

/** Waits until the daemon is online at the broker. */
export async function waitOnline(r: TalkbackRig): Promise<void> {
  await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/status` && m.json().state === 'online', 20_000, 'online');
}
