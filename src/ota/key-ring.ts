/**
 * Loads the vendor's update-signing public keys from ota.publicKeys (a
 * read-only folder in the firmware image, firmware-overlay/etc/camera-agent/
 * ota-keys): every `*.pem` file is one key. Rotation is a new file next to
 * the old one, so the folder is read whole, in name order.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { trustedKeys, type Keyring } from './signature.js';

/** Far more than a keyring ever holds; a folder with thousands of files is a mistake, not a keyring. */
const MAX_KEY_FILES = 64;
/** A PEM public key is well under 1 KiB; anything much larger is not one. */
const MAX_PEM_BYTES = 16 * 1024;

/**
 * Never throws. A missing or unreadable folder is an empty keyring (logged
 * at error: no update can be verified, so every job will fail with
 * no_trusted_keys); each unusable file is logged and skipped.
 */
export async function loadTrustedKeys(dir: string, logger: Logger): Promise<ReturnType<typeof trustedKeys>> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.name.endsWith('.pem') && !e.name.startsWith('.') && (e.isFile() || e.isSymbolicLink()))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    logger.error({ dir, code: (err as NodeJS.ErrnoException).code }, 'ota: the update-signing key folder cannot be read; no firmware update can be verified');
    return trustedKeys([]);
  }
  if (names.length > MAX_KEY_FILES) {
    logger.error({ dir, files: names.length, max: MAX_KEY_FILES }, 'ota: too many key files; only the first are read');
    names = names.slice(0, MAX_KEY_FILES);
  }
  const pems: Array<{ name: string; pem: string }> = [];
  const unreadable: Keyring['rejected'] = [];
  for (const name of names) {
    try {
      const bytes = await readFile(join(dir, name));
      if (bytes.length > MAX_PEM_BYTES) unreadable.push({ name, reason: `larger than ${MAX_PEM_BYTES} bytes: not a public key` });
      else pems.push({ name, pem: bytes.toString('utf8') });
    } catch (err) {
      unreadable.push({ name, reason: `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
    }
  }
  const ring = trustedKeys(pems);
  const result: Keyring = { keys: ring.keys, rejected: [...unreadable, ...ring.rejected] };
  for (const r of result.rejected) logger.error({ dir, file: r.name, reason: r.reason }, 'ota: key file ignored');
  if (result.keys.length === 0) {
    logger.error({ dir }, 'ota: no usable update-signing key; no firmware update can be verified');
  } else {
    logger.info({ dir, keys: result.keys.map((k) => ({ file: k.name, keyId: k.id, alg: k.alg })) }, 'ota: trusted update-signing keys loaded');
  }
  return result;
}
