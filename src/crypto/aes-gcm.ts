import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM sealing with a random 96-bit nonce, laid out as
 * nonce(12) ‖ ciphertext ‖ tag(16). Random nonces are fine here: the store
 * and key files are rewritten at most a few thousand times per unit, far
 * below the 2^32 messages-per-key bound of NIST SP 800-38D §8.3.
 */
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const AES_GCM_OVERHEAD = NONCE_BYTES + TAG_BYTES;

export function sealAesGcm(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/** The plaintext, or null when the key, the AAD or any byte of `sealed` is wrong. */
export function openAesGcm(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null {
  if (sealed.length < AES_GCM_OVERHEAD) return null;
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const nonce = buf.subarray(0, NONCE_BYTES);
  const tag = buf.subarray(buf.length - TAG_BYTES);
  const body = buf.subarray(NONCE_BYTES, buf.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    return null;
  }
}

/** HKDF-SHA256 (RFC 5869) to a 32-byte key. */
export function hkdfSha256(ikm: Uint8Array, salt: string | Uint8Array, info: string | Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, salt, info, 32));
}
