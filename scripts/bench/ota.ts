/**
 * OTA image download and verify on loopback: a 200 MB random image served
 * over HTTPS by the test image server in a child process (so its buffers do
 * not count), downloaded with downloadImage and hashed with hashFile in this
 * process. Figures: download and verify throughput, and this process's peak
 * RSS increase while doing both (goal ≤ 16 MB: the image is streamed, never
 * held). Loopback TLS on a workstation is far faster than a camera's Wi-Fi
 * and flash, so the throughputs are the code's ceiling, not the device's.
 *
 * `node --import tsx scripts/bench/ota.ts --serve CERT KEY FILE` is the
 * child: it serves FILE at /fw/image.bin and prints its origin.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { systemClock } from '../../src/core/clock.js';
import { downloadImage } from '../../src/ota/image-download.js';
import { hashFile } from '../../src/ota/image-verify.js';
import { createPki } from '../../test/helpers/pki.js';
import { startImageServer } from '../../test/helpers/image-server.js';
import { report } from './report.js';

const SIZE_MB = Number(process.env.BENCH_OTA_MB ?? 200);
const SIZE = SIZE_MB * 1024 * 1024;
const MB = 1024 * 1024;

/** Writes `size` random bytes 1 MB at a time and returns their SHA-256. */
async function writeRandomImage(file: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  const fh = await open(file, 'w');
  try {
    for (let left = size; left > 0; left -= MB) {
      const chunk = randomBytes(Math.min(MB, left));
      hash.update(chunk);
      await fh.write(chunk);
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

/** The peak of process RSS, sampled every 20 ms. */
function rssSampler(): { peak: () => number; stop: () => void } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  return { peak: () => Math.max(peak, process.memoryUsage.rss()), stop: () => clearInterval(timer) };
}

async function startServerChild(certPath: string, keyPath: string, image: string): Promise<{ child: ChildProcess; origin: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', certPath, keyPath, image], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const origin = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`image server child exited (${code})`)));
  });
  return { child, origin };
}

export async function benchOta(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ota-bench-'));
  let child: ChildProcess | null = null;
  try {
    const pki = await createPki(dir);
    const image = join(dir, 'served.bin');
    const sha256 = await writeRandomImage(image, SIZE);
    const server = await startServerChild(pki.server.certPath, pki.server.keyPath, image);
    child = server.child;
    const spool = join(dir, 'spool');
    await mkdir(spool);
    const file = join(spool, 'image.bin');

    const baseline = process.memoryUsage.rss();
    const rss = rssSampler();
    let t0 = performance.now();
    const downloaded = await downloadImage({
      url: `${server.origin}/fw/image.bin?X-Amz-Signature=bench`,
      file,
      expectedSize: SIZE,
      maxBytes: SIZE,
      minFreeBytes: 0,
      ca: pki.ca,
      clock: systemClock,
      logger: pino({ level: 'silent' }),
    });
    const downloadS = (performance.now() - t0) / 1000;
    const peakDownload = rss.peak();
    if (!downloaded.ok) throw new Error(`bench: download failed: ${downloaded.code} ${downloaded.message}`);
    t0 = performance.now();
    const hashed = await hashFile(file);
    const verifyS = (performance.now() - t0) / 1000;
    const peak = rss.peak();
    rss.stop();
    if (hashed.sha256 !== sha256 || hashed.bytes !== SIZE) throw new Error('bench: downloaded image differs from the served one');

    report('ota: download over HTTPS (loopback) to disk', SIZE_MB / downloadS, 'MB/s', { imageMB: SIZE_MB, seconds: downloadS, attempts: String(downloaded.attempts) });
    report('ota: verify (streamed SHA-256)', SIZE_MB / verifyS, 'MB/s', { seconds: verifyS });
    report('ota: peak RSS increase during download + verify', (peak - baseline) / MB, 'MB', {
      duringDownload: (peakDownload - baseline) / MB,
      baseline: baseline / MB,
      goal: '≤ 16',
    });
  } finally {
    child?.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

async function serve(certPath: string, keyPath: string, image: string): Promise<void> {
  const server = await startImageServer(null, { cert: await readFile(certPath), key: await readFile(keyPath) });
  server.setImage('/fw/image.bin', { file: image });
  process.stdout.write(`${server.origin}\n`);
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [mode, cert, key, image] = process.argv.slice(2);
  if (mode === '--serve' && cert && key && image) await serve(cert, key, image);
  else await benchOta();
}
