/**
 * The rig for firmware-update tests: real Mosquitto with a factory identity,
 * the compiled agent on the simulated board whose firmware version and boot
 * id live in files (so a test can "reboot into" a new version), a local
 * HTTPS image server (Range, cuts), a vendor signing key made in the test
 * (its public half in the agent's ota.publicKeys folder) and the fake
 * installer (test/fixtures/ota/fake-installer.sh) standing in for RAUC.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { canonicalManifest } from '../../src/ota/ota-job.js';
import { keyIdOf, signManifest } from '../../src/ota/signature.js';
import { tempDir } from './tmp.js';
import { cloudRequester, provisionUnit } from './device-rig.js';
import { startBroker, connectCloud, type CloudClient, type TestBroker } from './mosquitto.js';
import { startDaemon, type Daemon } from './daemon.js';
import { startImageServer, type ImageServer } from './image-server.js';
import { simulateReboot, testFirmwareImage } from './ota-fixtures.js';

export const FAKE_INSTALLER = fileURLToPath(new URL('../fixtures/ota/fake-installer.sh', import.meta.url));
export const MODEL = 'CAM100';
export const LAVFI = 'lavfi:testsrc2=size=320x180:rate=5';

export interface OtaRig {
  dir: string;
  broker: TestBroker;
  deviceId: string;
  config: string;
  cloud: CloudClient;
  images: ImageServer;
  /** Holds running-version, pending-version, marked-good, boot-id. */
  stateDir: string;
  vendorKey: KeyObject;
  start(env?: Record<string, string>): Daemon;
  request(op: string, args?: Record<string, unknown>): Promise<{ status: string; data?: any; error?: any }>;
  /** `ota` event data at the broker, in arrival order. */
  events(): Array<Record<string, any>>;
  waitForState(jobId: string, state: string, timeoutMs?: number): Promise<Record<string, any>>;
  /** A signed job for a test image of `version` served at /images/<name>; `mutate` tampers after signing. */
  job(version: string, opts?: { sizeBytes?: number; key?: KeyObject; downgrade?: boolean; compatible?: string[]; name?: string; mutate?: (job: Record<string, any>) => void; image?: (bytes: Buffer) => Buffer }): Promise<Record<string, any>>;
  /** What the bootloader does: the pending version becomes the running one (unless rollback), new boot id. */
  reboot(opts?: { rollback?: boolean }): Promise<void>;
  runningVersion(): Promise<string>;
  markedGood(): Promise<string | null>;
  writeConfig(extra?: Record<string, unknown>): Promise<void>;
}

export async function otaRig(t: Test, opts: { extra?: Record<string, unknown>; runningVersion?: string } = {}): Promise<OtaRig> {
  const dir = await tempDir(t, 'camera-agent-ota-');
  const broker = await startBroker(t, dir);
  const { factoryDir, deviceId } = await provisionUnit(t, dir, broker, 'OTA000000001', MODEL);
  const images = await startImageServer(t, broker.pki.server);
  const stateDir = join(dir, 'board');
  const keysDir = join(dir, 'ota-keys');
  await mkdir(stateDir, { recursive: true });
  await mkdir(keysDir, { recursive: true });
  await writeFile(join(stateDir, 'running-version'), `${opts.runningVersion ?? '1.0.0'}\n`);
  await writeFile(join(stateDir, 'boot-id'), `${randomUUID()}\n`);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  await writeFile(join(keysDir, 'vendor.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
  const config = join(dir, 'config.json');
  const writeConfig = async (extra: Record<string, unknown> = {}): Promise<void> => {
    const { ota, video, ...rest } = { ...opts.extra, ...extra } as { ota?: Record<string, unknown>; video?: Record<string, unknown> };
    await writeFile(
      config,
      JSON.stringify({
        data: { dir: join(dir, 'data') },
        identity: { dir: factoryDir },
        hal: { mode: 'sim', facts: { firmwareVersionFile: join(stateDir, 'running-version') }, sim: { bootIdFile: join(stateDir, 'boot-id') } },
        api: { enabled: false },
        video: { input: LAVFI, ...video },
        cloud: { url: broker.url, ca: broker.pki.caPath, backoff: { startDelayMaxMs: 0, minMs: 200, maxMs: 2000 } },
        ota: {
          publicKeys: keysDir,
          caFile: broker.pki.caPath,
          installer: { command: `${FAKE_INSTALLER} install {image} ${stateDir}`, markGoodCommand: `${FAKE_INSTALLER} mark-good ${stateDir}` },
          confirmTimeoutS: 20,
          ...ota,
        },
        ...rest,
      }),
    );
  };
  await writeConfig();
  const cloud = await connectCloud(t, broker, { subscribe: [`cam/${deviceId}/#`] });
  const events = (): Array<Record<string, any>> =>
    cloud.messages.filter((m) => m.topic === `cam/${deviceId}/event/ota`).map((m) => (m.json() as { data: Record<string, any> }).data);
  const rig: OtaRig = {
    dir,
    broker,
    deviceId,
    config,
    cloud,
    images,
    stateDir,
    vendorKey: privateKey,
    start: (env = {}) => startDaemon(t, ['run', '--config', config], { CAMERA_AGENT_SYSTEM_CONFIG: join(dir, 'none.json'), ...env }),
    request: cloudRequester(cloud, deviceId),
    events,
    async waitForState(jobId, state, timeoutMs = 30_000) {
      const m = await cloud.waitFor(
        (msg) => msg.topic === `cam/${deviceId}/event/ota` && (msg.json() as { data: Record<string, any> }).data.jobId === jobId && (msg.json() as { data: Record<string, any> }).data.state === state && !(msg.json() as { data: Record<string, any> }).data.progress,
        timeoutMs,
        `ota ${jobId} ${state}`,
      );
      return (m.json() as { data: Record<string, any> }).data;
    },
    async job(version, o = {}) {
      const name = o.name ?? `fw-${version}-${Math.random().toString(36).slice(2, 8)}.bin`;
      let bytes = testFirmwareImage(version, o.sizeBytes ?? 256 * 1024);
      const signedFor = { version, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), compatible: o.compatible ?? [MODEL], downgrade: o.downgrade ?? false };
      const key = o.key ?? privateKey;
      const job: Record<string, any> = {
        jobId: `job-${name.replace(/[^A-Za-z0-9]/g, '').slice(0, 40)}`,
        ...signedFor,
        url: images.url(`/images/${name}`, 'X-Amz-Signature=abc123'),
        signature: signManifest(canonicalManifest(signedFor), key),
        keyId: keyIdOf(publicKeyOf(key)),
        deadline: Date.now() + 3_600_000,
      };
      if (o.image) bytes = o.image(bytes);
      images.setImage(`/images/${name}`, bytes);
      o.mutate?.(job);
      return job;
    },
    async reboot(o = {}) {
      await simulateReboot(stateDir, o.rollback ? { rollback: true } : {});
      await writeFile(join(stateDir, 'boot-id'), `${randomUUID()}\n`);
    },
    runningVersion: async () => (await readFile(join(stateDir, 'running-version'), 'utf8')).trim(),
    markedGood: async () => readFile(join(stateDir, 'marked-good'), 'utf8').then((s) => s.trim(), () => null),
    writeConfig,
  };
  return rig;
}

function publicKeyOf(key: KeyObject): KeyObject {
  return key.type === 'private' ? createPublicKey(key) : key;
}
