import { AES_GCM_OVERHEAD, openAesGcm, sealAesGcm } from '../crypto/aes-gcm.js';

/**
 * Byte layout of one snapshot-spool file (pure, no I/O):
 *
 *   "CASP" ‖ version(1) ‖ AES-256-GCM_key(payload)      (nonce ‖ ct ‖ tag)
 *
 * The AAD is magic ‖ version ‖ `|<entry id>|<kind>`, so a thumbnail renamed
 * to another entry's image, or an image passed off as metadata, fails
 * authentication instead of being delivered as the wrong picture. The key
 * comes from the personal-data store (PersonalDataStore.purposeKey), never
 * from this module, and is never written to the spool.
 */
export type SpoolFileKind = 'image' | 'thumbnail' | 'meta';

const MAGIC = Buffer.from('CASP', 'ascii');
const VERSION = 1;
const HEADER_BYTES = 5;
export const SPOOL_SEAL_OVERHEAD = HEADER_BYTES + AES_GCM_OVERHEAD;

function header(): Buffer {
  return Buffer.concat([MAGIC, Buffer.from([VERSION])]);
}

function aad(head: Uint8Array, id: string, kind: SpoolFileKind): Uint8Array {
  return Buffer.concat([head, Buffer.from(`|${id}|${kind}`, 'utf8')]);
}

export function sealSpoolFile(key: Uint8Array, id: string, kind: SpoolFileKind, payload: Uint8Array): Buffer {
  const head = header();
  return Buffer.concat([head, sealAesGcm(key, payload, aad(head, id, kind))]);
}

/** The payload, or null for a wrong key, id, kind, version or any changed byte. */
export function openSpoolFile(key: Uint8Array, id: string, kind: SpoolFileKind, file: Uint8Array): Buffer | null {
  if (file.length < SPOOL_SEAL_OVERHEAD) return null;
  const head = file.subarray(0, HEADER_BYTES);
  if (!Buffer.from(head.subarray(0, 4)).equals(MAGIC) || head[4] !== VERSION) return null;
  const plain = openAesGcm(key, file.subarray(HEADER_BYTES), aad(head, id, kind));
  return plain ? Buffer.from(plain) : null;
}
