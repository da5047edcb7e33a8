import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { canonicalManifest } from '../ota/ota-job.js';
import { keyIdOf, signManifest } from '../ota/signature.js';
import type { StandInCloud } from './stand-in-cloud.js';

/**
 * A firmware update as the demo shows it: a vendor key made for the demo
 * (its public half in the agent's ota.publicKeys folder), a small signed
 * image on a local HTTPS server that sends it at 256 KB/s so the progress
 * can be seen, and an installer script standing in for RAUC. The cloud
 * sends `ota.start`; the demo draws the `ota` events as a progress bar.
 * The simulated board does not really reboot, so the story ends there.
 */
const IMAGE_BYTES = 1024 * 1024;
const BYTES_PER_SECOND = 256 * 1024;
const DEMO_VERSION = '0.1.0-demo';

/** POSIX sh; prints RAUC-like progress and "installs" by writing the version the next boot would run. */
const INSTALLER = `#!/bin/sh
# camera-agent demo: stands in for \`rauc install\` (install <image> <dir>) and \`rauc status mark-good\` (mark-good <dir>).
set -eu
case "$1" in
  install)
    for p in 0 25 50 75; do echo "installing: $p% Writing slot B"; sleep 0.3; done
    head -n 1 "$2" | cut -d ' ' -f 2 > "$3/pending-version"
    echo "installing: 100% Installing done."
    ;;
  mark-good) echo good > "$2/marked-good" ;;
  *) echo "usage: $0 install IMAGE DIR | mark-good DIR" >&2; exit 2 ;;
esac
`;

export interface DemoOta {
  /** The agent's `ota` configuration for the demo. */
  config: Record<string, unknown>;
  /** Send the update job as the cloud would, and draw its progress until it reaches `rebooting` or fails. */
  run(deps: { cloud: StandInCloud; deviceId: string; model: string; say: (line: string) => void }): Promise<void>;
  close(): Promise<void>;
}

export async function prepareDemoOta(out: string, tls: { cert: string; key: string; caCert: string }): Promise<DemoOta> {
  const dir = join(out, 'ota');
  const keysDir = join(dir, 'keys');
  const boardDir = join(dir, 'board');
  await mkdir(keysDir, { recursive: true });
  await mkdir(boardDir, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  await writeFile(join(keysDir, 'demo-vendor.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
  const installer = join(dir, 'demo-installer.sh');
  await writeFile(installer, INSTALLER);
  await chmod(installer, 0o755);
  // A test-format image: a header line naming the version, then noise.
  const image = Buffer.concat([Buffer.from(`CAMERA-AGENT-DEMO-FIRMWARE ${DEMO_VERSION}\n`), randomBytes(IMAGE_BYTES)]);
  const server = await serveThrottled(image, await readFile(tls.cert), await readFile(tls.key));
  const port = (server.address() as AddressInfo).port;
  return {
    config: {
      publicKeys: keysDir,
      caFile: tls.caCert,
      spoolDir: join(dir, 'spool'),
      installer: { command: `${installer} install {image} ${boardDir}`, markGoodCommand: `${installer} mark-good ${boardDir}` },
    },
    run: (deps) => runUpdate({ ...deps, image, url: `https://127.0.0.1:${port}/firmware/${DEMO_VERSION}.bin?X-Amz-Signature=demo`, privateKey }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function runUpdate(o: { cloud: StandInCloud; deviceId: string; model: string; say: (line: string) => void; image: Buffer; url: string; privateKey: KeyObject }): Promise<void> {
  const signed = { version: DEMO_VERSION, size: o.image.length, sha256: createHash('sha256').update(o.image).digest('hex'), compatible: [o.model], downgrade: false };
  const jobId = `demo-${Date.now().toString(36)}`;
  const job = {
    jobId,
    ...signed,
    url: o.url,
    signature: signManifest(canonicalManifest(signed), o.privateKey),
    keyId: keyIdOf(o.privateKey.type === 'private' ? (await import('node:crypto')).createPublicKey(o.privateKey) : o.privateKey),
    deadline: Date.now() + 3_600_000,
  };
  const finished = new Promise<void>((resolve) => {
    o.cloud.onPublish((topic, payload) => {
      if (topic !== `cam/${o.deviceId}/event/ota`) return;
      const data = (JSON.parse(payload.toString()) as { data: { jobId: string; state: string; progress?: { percent: number; bytes: number; totalBytes: number; etaS: number | null }; error?: { code: string }; waitingFor?: string[] } }).data;
      if (data.jobId !== jobId) return;
      if (data.progress) o.say(`   ${data.state.padEnd(11)} ${bar(data.progress.percent)} ${progressText(data.state, data.progress)}`);
      else if (data.waitingFor) o.say(`   waiting for ${data.waitingFor.join(', ')} to finish`);
      else o.say(`📦 update ${DEMO_VERSION}: ${data.state}${data.error ? ` (${data.error.code})` : ''}`);
      if (data.state === 'rebooting' || data.state === 'failed') resolve();
    });
  });
  o.say(`📦 demo: the cloud offers firmware ${DEMO_VERSION} (${(o.image.length / 1048576).toFixed(1)} MB, signed with the demo vendor key)`);
  await o.cloud.publish(`cam/${o.deviceId}/request/ota.start`, JSON.stringify({ transaction: `demo-ota-${jobId}`, ts: Date.now(), args: job }));
  await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, 60_000))]);
  o.say('   a real camera reboots into the new slot now and confirms it (health check, mark good): docs/ota.md');
}

function bar(percent: number): string {
  const filled = Math.round(percent / 5);
  return `[${'█'.repeat(filled)}${'░'.repeat(20 - filled)}] ${String(Math.round(percent)).padStart(3)} %`;
}

function progressText(state: string, p: { percent: number; bytes: number; totalBytes: number; etaS: number | null }): string {
  if (state !== 'downloading') return '';
  const mb = (n: number): string => (n / 1048576).toFixed(1);
  return `${mb(p.bytes)}/${mb(p.totalBytes)} MB${p.etaS !== null && p.percent < 100 ? `, ${Math.ceil(p.etaS)} s left` : ''}`;
}

/** The image server: HTTPS on loopback, Range support, paced so a 2 MB download takes a few seconds. */
function serveThrottled(image: Buffer, cert: Buffer, key: Buffer): Promise<Server> {
  const server = createServer({ cert, key }, (req, res) => {
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const from = m ? Math.min(Number(m[1]), image.length) : 0;
    res.writeHead(m ? 206 : 200, {
      'content-type': 'application/octet-stream',
      'content-length': image.length - from,
      ...(m ? { 'content-range': `bytes ${from}-${image.length - 1}/${image.length}` } : {}),
    });
    let at = from;
    const chunk = BYTES_PER_SECOND / 10;
    const timer = setInterval(() => {
      if (at >= image.length || res.destroyed) {
        clearInterval(timer);
        res.end();
        return;
      }
      res.write(image.subarray(at, at + chunk));
      at += chunk;
    }, 100);
    res.on('close', () => clearInterval(timer));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
