import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fsyncDir } from '../../storage/atomic-file.js';
import { dataLayout } from '../../storage/data-layout.js';
import { DEVICE_SECRET_MIN_BYTES, DeviceKeyError } from '../../crypto/device-key-error.js';
import type { DeviceKeySource } from '../types.js';

/**
 * Simulated device-unique secret: 32 random bytes in the data partition
 * (dataLayout(dataDir).simHardwareSecret), created on first use with 0600.
 * Unlike the real board's secret it lives next to the store it protects, so
 * the sim gives no protection at rest — it only exercises the same code path.
 */
export class SimKeySource implements DeviceKeySource {
  private readonly path: string;
  private pending: Promise<Uint8Array> | null = null;

  constructor(opts: { dataDir: string }) {
    this.path = dataLayout(opts.dataDir).simHardwareSecret;
  }

  keyMaterial(): Promise<Uint8Array> {
    // One read-or-create at a time in this process; a failure is not cached so a later call can retry.
    this.pending ??= this.readOrCreate().catch((err: unknown) => {
      this.pending = null;
      throw err;
    });
    return this.pending;
  }

  private async readOrCreate(): Promise<Uint8Array> {
    const existing = await this.read();
    if (existing) return existing;
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    await createExclusive(this.path, randomBytes(DEVICE_SECRET_MIN_BYTES));
    // Read back rather than trust our bytes: another process may have won the race.
    const created = await this.read();
    if (!created) throw new DeviceKeyError('device_secret_missing', `simulated hardware secret vanished at ${this.path}`);
    return created;
  }

  private async read(): Promise<Uint8Array | null> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new DeviceKeyError('device_secret_invalid', `simulated hardware secret at ${this.path} is unreadable`, { cause: err });
    }
    if (bytes.length < DEVICE_SECRET_MIN_BYTES) {
      throw new DeviceKeyError('device_secret_invalid', `simulated hardware secret at ${this.path} is shorter than ${DEVICE_SECRET_MIN_BYTES} bytes`);
    }
    return new Uint8Array(bytes);
  }
}

/**
 * Atomic create-if-absent: write and fsync a temp file, then link() it into
 * place. Unlike rename() (writeFileAtomic), link() fails with EEXIST instead
 * of replacing a secret another process created a moment ago — replacing it
 * would make that process's store unreadable.
 */
async function createExclusive(path: string, data: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  await fsyncDir(dir);
}
