/**
 * The rig for talkback integration tests and the talkback bench: real
 * Mosquitto (mutual TLS, ACL) with a factory-provisioned identity, the
 * compiled agent on the simulated board but with the REAL ALSA audio path
 * (hal.sim.alsaAudio: aplay/arecord through an ALSA file PCM in front of a
 * PulseAudio null sink, test-rigs.md §5), and a local WSS relay standing in
 * for the cloud's.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'tap';
import { tempDir } from './tmp.js';
import { cloudRequester, provisionUnit } from './device-rig.js';
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
  const { factoryDir, deviceId } = await provisionUnit(t, dir, broker, 'TALK00000001', 'CAM100');
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
      identity: { dir: factoryDir },
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
    request: cloudRequester(cloud, deviceId),
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
