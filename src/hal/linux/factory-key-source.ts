import { readFile } from 'node:fs/promises';
import { factoryPath } from '../../identity/factory-layout.js';
import { DEVICE_SECRET_MIN_BYTES, DeviceKeyError } from '../../crypto/device-key-error.js';
import type { DeviceKeySource } from '../types.js';

/**
 * Production key material: the factory partition's `device-secret` (32
 * random bytes written by `factory provision`, 0600, read-only partition).
 * It never changes for the life of the unit, so the store's KEK is stable
 * across firmware updates. A board with a readable SoC unique id could mix
 * it in here later; we do not, because on most camera SoCs it is readable by
 * any process and printed in vendor tools, so it adds little secrecy.
 */
export class FactoryKeySource implements DeviceKeySource {
  private readonly path: string;

  constructor(opts: { identityDir: string }) {
    this.path = factoryPath(opts.identityDir, 'deviceSecret');
  }

  async keyMaterial(): Promise<Uint8Array> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new DeviceKeyError('device_secret_missing', `factory device secret not found at ${this.path}`);
      }
      throw new DeviceKeyError('device_secret_invalid', `factory device secret at ${this.path} is unreadable`, { cause: err });
    }
    if (bytes.length < DEVICE_SECRET_MIN_BYTES) {
      throw new DeviceKeyError('device_secret_invalid', `factory device secret at ${this.path} is shorter than ${DEVICE_SECRET_MIN_BYTES} bytes`);
    }
    return new Uint8Array(bytes);
  }
}
