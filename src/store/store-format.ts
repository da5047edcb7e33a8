import { AES_GCM_OVERHEAD, hkdfSha256, openAesGcm, sealAesGcm } from '../crypto/aes-gcm.js';

/**
 * Byte layout of the two files in data/secure/ (pure, no I/O):
 *
 *   store.key  "CAKW" ‖ version(1) ‖ AES-256-GCM_KEK(DEK)        (nonce ‖ ct ‖ tag)
 *   store.bin  "CAPD" ‖ version(1) ‖ AES-256-GCM_DEK(JSON document)
 *
 * The AAD of each is magic ‖ version ‖ deviceId, so a flipped version byte,
 * a file from another unit or a key file passed off as a store all fail
 * authentication instead of being misread. The KEK is never stored: it is
 * HKDF-SHA256(hal.keys material) with the purpose in the salt and the
 * deviceId in the info, so the same device secret could key other purposes
 * later without the keys being related.
 */
export const STORE_FORMAT_VERSION = 1;
const KEY_MAGIC = Buffer.from('CAKW', 'ascii');
const STORE_MAGIC = Buffer.from('CAPD', 'ascii');
const HEADER_BYTES = 5;
export const DEK_BYTES = 32;

const KEK_SALT = 'camera-agent/personal-data-store/kek/v1';

export function deriveStoreKek(keyMaterial: Uint8Array, deviceId: string): Uint8Array {
  return hkdfSha256(keyMaterial, KEK_SALT, `deviceId=${deviceId}`);
}

/** Keys derived from the DEK for personal data kept outside store.bin; one name per use. */
export type PurposeKeyName = 'snapshot-spool';
const PURPOSE_SALT = 'camera-agent/personal-data-store/purpose/v1';

export function derivePurposeKey(dek: Uint8Array, purpose: PurposeKeyName, deviceId: string): Uint8Array {
  return hkdfSha256(dek, PURPOSE_SALT, `purpose=${purpose}|deviceId=${deviceId}`);
}

function header(magic: Buffer, version: number): Buffer {
  return Buffer.concat([magic, Buffer.from([version])]);
}

function aad(head: Uint8Array, deviceId: string): Uint8Array {
  return Buffer.concat([head, Buffer.from(`|${deviceId}`, 'utf8')]);
}

type Decoded = { ok: true; plaintext: Uint8Array } | { ok: false; why: string };

function seal(magic: Buffer, key: Uint8Array, plaintext: Uint8Array, deviceId: string): Uint8Array {
  const head = header(magic, STORE_FORMAT_VERSION);
  return Buffer.concat([head, sealAesGcm(key, plaintext, aad(head, deviceId))]);
}

function open(magic: Buffer, key: Uint8Array, file: Uint8Array, deviceId: string): Decoded {
  if (file.length < HEADER_BYTES + AES_GCM_OVERHEAD) return { ok: false, why: 'file is truncated' };
  const head = file.subarray(0, HEADER_BYTES);
  if (!Buffer.from(head.subarray(0, 4)).equals(magic)) return { ok: false, why: 'file has the wrong magic' };
  // The version byte is authenticated too (AAD); reading it first only gives a clearer reason.
  if (head[4] !== STORE_FORMAT_VERSION) return { ok: false, why: `file format version ${head[4]} is not ${STORE_FORMAT_VERSION}` };
  const plaintext = openAesGcm(key, file.subarray(HEADER_BYTES), aad(head, deviceId));
  return plaintext ? { ok: true, plaintext } : { ok: false, why: 'authentication failed (tampered, torn, or another key/unit)' };
}

export function wrapDataKey(kek: Uint8Array, dek: Uint8Array, deviceId: string): Uint8Array {
  return seal(KEY_MAGIC, kek, dek, deviceId);
}

export function unwrapDataKey(kek: Uint8Array, file: Uint8Array, deviceId: string): Decoded {
  const r = open(KEY_MAGIC, kek, file, deviceId);
  if (r.ok && r.plaintext.length !== DEK_BYTES) return { ok: false, why: 'wrapped key has the wrong length' };
  return r;
}

export function sealDocument(dek: Uint8Array, json: string, deviceId: string): Uint8Array {
  return seal(STORE_MAGIC, dek, Buffer.from(json, 'utf8'), deviceId);
}

export function openDocument(dek: Uint8Array, file: Uint8Array, deviceId: string): Decoded {
  return open(STORE_MAGIC, dek, file, deviceId);
}
