import { createHmac, randomBytes } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { appendLine, readLines } from './append-log.js';
import type { ManifestRecord } from './manifest-record.js';
import type { UnitUniques } from './unit-builder.js';

/**
 * Station-local uniqueness index. The manifest holds only salted slow hashes
 * of verification codes and nothing of AP passphrases, so it cannot answer
 * "was this code issued before?". The index stores HMAC-SHA256(station
 * secret, kind ":" value) for every unique value: a plain hash of a 40-bit
 * code could be brute-forced from the index; the keyed one cannot without
 * `.station-secret` (0600). Append-only JSONL (`.uniqueness.jsonl`), one
 * fsynced line per unit, written before the unit folder is renamed into
 * place, so every unit that exists is in the index.
 * Public values (deviceId, key fingerprint, MAC) are also seeded from the
 * manifest, which may be shared with other stations.
 */
export const STATION_SECRET_FILE = '.station-secret';
export const UNIQUENESS_FILE = '.uniqueness.jsonl';

const KINDS: readonly (keyof UnitUniques)[] = ['code', 'passphrase', 'deviceId', 'publicKeyFingerprint', 'mac'];

export interface UniquenessIndex {
  /** Reserves the values in memory; returns the first kind already taken, or null. */
  claim(values: UnitUniques): keyof UnitUniques | null;
  /** Persists a claimed unit's fingerprints. */
  record(serial: string, values: UnitUniques): Promise<void>;
}

async function stationSecret(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32);
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(secret);
    await fh.chmod(0o600);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return secret;
}

export async function openUniquenessIndex(dir: string, manifest: ManifestRecord[]): Promise<UniquenessIndex> {
  const secret = await stationSecret(join(dir, STATION_SECRET_FILE));
  const path = join(dir, UNIQUENESS_FILE);
  const mac = (kind: string, value: string) => createHmac('sha256', secret).update(`${kind}:${value}`).digest('base64');
  const taken = new Set<string>();
  for (const line of (await readLines(path)).split('\n')) {
    if (line) for (const h of (JSON.parse(line) as { h: string[] }).h) taken.add(h);
  }
  for (const r of manifest) {
    taken.add(mac('deviceId', r.deviceId));
    taken.add(mac('publicKeyFingerprint', r.publicKeyFingerprint));
    taken.add(mac('mac', r.mac));
  }
  const hashes = (values: UnitUniques) => KINDS.map((k) => mac(k, values[k]));
  return {
    claim(values) {
      const hs = hashes(values);
      const i = hs.findIndex((h) => taken.has(h));
      if (i >= 0) return KINDS[i]!;
      for (const h of hs) taken.add(h);
      return null;
    },
    async record(serial, values) {
      await appendLine(path, `${JSON.stringify({ s: serial, h: hashes(values) })}\n`);
    },
  };
}
