/**
 * The rig for alarm integration tests and the alarm bench: real Mosquitto
 * (mutual TLS, per-device ACL), an identity from `factory provision` signed
 * by the broker's CA (as in test/integration/agent/cloud-agent.test.ts), a
 * local HTTPS upload server, the scripted MJPEG mover as the camera, and a
 * "cloud" client that answers the device's upload-url requests with URLs of
 * the upload server.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'tap';
import { tempDir } from './tmp.js';
import { cloudRequester, provisionUnit } from './device-rig.js';
import { startBroker, connectCloud, type CloudClient, type TestBroker } from './mosquitto.js';
import { startDaemon, type Daemon } from './daemon.js';
import { startUploadServer, type UploadServer } from './upload-server.js';
import { startMoverVideo, type MoverVideo } from './alarm-video.js';

export interface AlarmRig {
  dir: string;
  broker: TestBroker;
  deviceId: string;
  config: string;
  cloud: CloudClient;
  uploads: UploadServer;
  video: MoverVideo;
  spoolDir: string;
  start(env?: Record<string, string>): Daemon;
  /** Alarm events (data) seen at the broker, in arrival order. */
  alarms(): Array<{ envelopeId: string; data: Record<string, any>; at: number }>;
  request(op: string, args?: Record<string, unknown>): Promise<{ status: string; data?: any; error?: any }>;
}

/** Motion timings shortened so a short entry/exit cycle is one alarm each. */
export const FAST_MOTION = { offDelaySeconds: 0.4, cooldownSeconds: 0, minFrames: 1, backgroundSeconds: 1, night: { minFrames: 1 } };

/**
 * `rig.video`: the mover's frame size and rate (default 1280×720 at 10 fps); smaller frames make each alarm cheaper.
 * `rig.uploadUrls`: the cloud's answer to one upload-url request (url, thumbnailUrl…), e.g. a URL that
 * must be refused; default: URLs of the rig's upload server.
 */
export async function alarmRig(
  t: Test,
  alarm: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
  rig: { video?: { width?: number; height?: number; fps?: number }; uploadUrls?: (request: { alarmId: string; requestId: string }, uploads: UploadServer) => Record<string, unknown> } = {},
): Promise<AlarmRig> {
  const dir = await tempDir(t, 'camera-agent-alarm-');
  const broker = await startBroker(t, dir);
  const { factoryDir, deviceId } = await provisionUnit(t, dir, broker, 'ALARM0000001', 'CAM100');
  const uploads = await startUploadServer(t, broker.pki.server);
  const video = await startMoverVideo(rig.video);
  t.teardown(() => video.close());
  const config = join(dir, 'config.json');
  const { motion, privacy, video: videoExtra, ...rest } = extra as { motion?: object; privacy?: object; video?: object };
  await writeFile(
    config,
    JSON.stringify({
      data: { dir: join(dir, 'data') },
      identity: { dir: factoryDir },
      hal: { mode: 'sim' },
      video: { input: video.url, ...videoExtra },
      cloud: { url: broker.url, ca: broker.pki.caPath, backoff: { startDelayMaxMs: 0, minMs: 200, maxMs: 2000 } },
      motion: { ...FAST_MOTION, ...motion },
      privacy: { masks: [{ name: 'neighbour', points: [[0, 0], [0.25, 0], [0.25, 0.25], [0, 0.25]] }], ...privacy },
      alarm: {
        maxPerMinute: 600,
        https: { ca: broker.pki.caPath },
        retry: { minMs: 300, maxMs: 3000 },
        snapshot: { width: 640, overlay: { deviceName: 'Front door' } },
        ...alarm,
      },
      ...rest,
    }),
  );
  const cloud = await connectCloud(t, broker, { subscribe: [`cam/${deviceId}/#`] });
  // The cloud's half of event/upload-url: answer with presigned-looking URLs of the upload server.
  cloud.client.on('message', (topic, payload) => {
    if (topic !== `cam/${deviceId}/event/upload-url`) return;
    const { data } = JSON.parse(payload.toString()) as { data: { alarmId: string; requestId: string } };
    const sig = `X-Amz-Signature=${data.requestId}`;
    const args = {
      alarmId: data.alarmId,
      requestId: data.requestId,
      ...(rig.uploadUrls
        ? rig.uploadUrls(data, uploads)
        : { url: `${uploads.origin}/snapshots/${data.alarmId}.jpg?${sig}`, thumbnailUrl: `${uploads.origin}/snapshots/${data.alarmId}.thumb.jpg?${sig}` }),
    };
    void cloud.client.publishAsync(`cam/${deviceId}/request/snapshot.upload-url`, JSON.stringify({ transaction: `u-${data.requestId}`, ts: Date.now(), args }), { qos: 1 }).catch(() => undefined);
  });
  const built: AlarmRig = {
    dir,
    broker,
    deviceId,
    config,
    cloud,
    uploads,
    video,
    spoolDir: join(dir, 'data', 'spool'),
    start: (env = {}) => startDaemon(t, ['run', '--config', config], { CAMERA_AGENT_SYSTEM_CONFIG: join(dir, 'none.json'), ...env }),
    alarms: () =>
      cloud.messages
        .filter((m) => m.topic === `cam/${deviceId}/event/alarm`)
        .map((m) => {
          const e = m.json() as { id: string; data: Record<string, any> };
          return { envelopeId: e.id, data: e.data, at: m.receivedAt };
        }),
    request: cloudRequester(cloud, deviceId),
  };
  return built;
}

/** Waits until the daemon is online and the detector has learnt the empty room. */
export async function waitReady(r: AlarmRig, d: Daemon): Promise<void> {
  await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/status` && m.json().state === 'online', 20_000, 'online');
  // The analyzer logs this once its detector has a background to compare with.
  await d.waitForLog('motion: background learnt', 15_000);
}
