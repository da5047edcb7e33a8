/**
 * The rig for QR-provisioning integration tests and the provisioning bench:
 * real Mosquitto (mutual TLS, per-device ACL), a factory identity signed by
 * the broker's CA, the agent on simulated hardware with no cable (only a
 * joined simulated Wi-Fi network connects it), a camera feed (ffmpeg lavfi)
 * in which a phone shows a QR code, and a "cloud" client that answers the
 * device's cam/{id}/activate as the test scripts it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import QRCode from 'qrcode';
import type { Test } from 'tap';
import { factoryCommand } from '../../src/factory/factory-command.js';
import { decodeLabelPayload } from '../../src/factory/label-payload.js';
import { readQrTexts } from '../../src/factory/qr-reader.js';
import { tempDir } from './tmp.js';
import { startBroker, connectCloud, type CloudClient, type TestBroker } from './mosquitto.js';
import { startDaemon, type Daemon } from './daemon.js';

export const HOME = { ssid: 'HomeNet', password: 'correct horse battery' };
export const TOKEN = 'K7Q2M9XW4T8ZR3HJ6N1BPC5VDA';

export type ActivateAnswer = { status: 'bound'; bindingId: string } | { status: 'refused'; code: string } | null;

export interface ProvisioningRig {
  dir: string;
  broker: TestBroker;
  deviceId: string;
  cloud: CloudClient;
  /** Every activation the cloud received (parsed). */
  activations: Array<Record<string, unknown>>;
  /** The unit's serial and the setup code printed on its label (read back from the label's QR code). */
  label(): Promise<{ serial: string; code: string }>;
  /** Writes the phone's QR code and the config, then starts the agent. */
  start(qrText: string, opts?: { showFromS?: number; showToS?: number; config?: Record<string, unknown>; env?: Record<string, string> }): Promise<Daemon>;
}

export async function provisioningRig(t: Test, answer: (n: number) => ActivateAnswer = () => ({ status: 'bound', bindingId: 'b-1' })): Promise<ProvisioningRig> {
  const dir = await tempDir(t, 'camera-agent-prov-');
  const broker = await startBroker(t, dir);
  const unit = join(dir, 'unit');
  const code = await factoryCommand(
    ['provision', '--serial', 'PROV00000001', '--model', 'CAM100', '--out', unit, '--ca-key', join(broker.pki.dir, 'ca.key'), '--ca-cert', broker.pki.caPath],
    { out: () => undefined, err: (l) => t.comment(l) },
  );
  if (code !== 0) throw new Error('factory provision failed');
  const { deviceId } = JSON.parse(await readFile(join(unit, 'factory', 'identity.json'), 'utf8')) as { deviceId: string };
  const cloud = await connectCloud(t, broker, { subscribe: [`cam/${deviceId}/#`] });
  const activations: Array<Record<string, unknown>> = [];
  cloud.client.on('message', (topic, payload) => {
    if (topic !== `cam/${deviceId}/activate`) return;
    const body = JSON.parse(payload.toString()) as Record<string, unknown>;
    activations.push(body);
    const a = answer(activations.length);
    if (!a) return;
    const args = { requestId: body.requestId, ...a };
    void cloud.client.publishAsync(`cam/${deviceId}/request/bind.result`, JSON.stringify({ transaction: `b-${String(body.requestId)}`, ts: Date.now(), args }), { qos: 1 }).catch(() => undefined);
  });
  return {
    dir,
    broker,
    deviceId,
    cloud,
    activations,
    async label() {
      const texts = await readQrTexts(join(unit, 'label.png'));
      const decoded = texts.map((x) => decodeLabelPayload(x)).find((r) => r.ok);
      if (!decoded?.ok) throw new Error('the label QR code did not decode');
      return { serial: decoded.payload.serial, code: decoded.payload.code };
    },
    async start(qrText, opts = {}) {
      const png = join(dir, 'phone-qr.png');
      await QRCode.toFile(png, [{ data: Buffer.from(qrText, 'utf8'), mode: 'byte' }], { errorCorrectionLevel: 'M', margin: 4, width: 220 });
      const from = opts.showFromS ?? 1;
      const to = opts.showToS ?? 30;
      // A grey room; the phone with the code is held up between `from` and `to` seconds of each ffmpeg run.
      const feed = `lavfi:color=c=0x404040:s=640x360:r=10[bg];movie=${png}[q];[bg][q]overlay=x=380:y=60:enable='between(t\\,${from}\\,${to})'`;
      const config = join(dir, 'config.json');
      await writeFile(
        config,
        JSON.stringify({
          data: { dir: join(dir, 'data') },
          identity: { dir: join(unit, 'factory') },
          hal: {
            mode: 'sim',
            sim: { wired: false, wifiNetworks: [{ ssid: HOME.ssid, password: HOME.password }, { ssid: 'OpenCafe' }] },
          },
          video: { input: feed },
          cloud: { url: broker.url, ca: broker.pki.caPath, backoff: { startDelayMaxMs: 0, minMs: 200, maxMs: 2000 } },
          ...opts.config,
        }),
      );
      return startDaemon(t, ['run', '--config', config], { CAMERA_AGENT_SYSTEM_CONFIG: join(dir, 'none.json'), ...opts.env });
    },
  };
}
