import { createCipheriv, createDecipheriv } from 'node:crypto';
import { hkdfSha256 } from '../../crypto/aes-gcm.js';

/**
 * The encrypted body of every session call (provisioning.md §6.5), pure:
 *
 *   envelope = {"seq": n, "ct": base64(AES-256-GCM(key, nonce, aad, json) ‖ tag16)}
 *   key      = k_c2d for requests, k_d2c for responses;
 *              k_x = HKDF-SHA256(ikm = K, salt = sid bytes, info = "prov1 c2d" | "prov1 d2c")
 *   nonce    = direction (4 bytes, big-endian: c2d = 1, d2c = 2) ‖ seq (8 bytes, big-endian)
 *   aad      = UTF-8 of `${METHOD} ${path} ${sid} ${seq}`, sid in its base64 form as sent,
 *              path without query, e.g. "POST /prov/v1/wifi/config q9…== 3"
 *
 * A response carries the seq of the request it answers, sealed in the d2c
 * direction with k_d2c. Since the device accepts each request seq once
 * (strictly increasing), no (key, nonce) pair is ever used twice, and a
 * response cannot be replayed as the answer to another request. The AAD
 * binds method, path and session, so an envelope sealed for /wifi/config
 * does not open at /bind (test vector A5).
 *
 * aes-gcm.ts's sealAesGcm uses random nonces stored with the ciphertext; this
 * format fixes the nonce by direction and sequence, so it has its own seal.
 */
export type Direction = 'c2d' | 'd2c';

const DIRECTION_TAG: Record<Direction, number> = { c2d: 1, d2c: 2 };
const TAG_BYTES = 16;
/** seq rides in JSON: keep it an exact integer. */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER;

export interface SessionKeys {
  c2d: Uint8Array;
  d2c: Uint8Array;
}

export interface Envelope {
  seq: number;
  ct: string;
}

/** What the AAD binds besides seq. */
export interface EnvelopeContext {
  method: string;
  path: string;
  /** Session id, base64 as on the wire. */
  sid: string;
}

export function deriveSessionKeys(sessionKey: Uint8Array, sid: Uint8Array): SessionKeys {
  return { c2d: hkdfSha256(sessionKey, sid, 'prov1 c2d'), d2c: hkdfSha256(sessionKey, sid, 'prov1 d2c') };
}

export function isValidSeq(seq: number): boolean {
  return Number.isSafeInteger(seq) && seq >= 1 && seq <= MAX_SEQ;
}

export function envelopeNonce(direction: Direction, seq: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32BE(DIRECTION_TAG[direction], 0);
  nonce.writeBigUInt64BE(BigInt(seq), 4);
  return nonce;
}

export function envelopeAad(ctx: EnvelopeContext, seq: number): Buffer {
  return Buffer.from(`${ctx.method.toUpperCase()} ${ctx.path} ${ctx.sid} ${seq}`, 'utf8');
}

export function sealEnvelope(key: Uint8Array, direction: Direction, ctx: EnvelopeContext, seq: number, plaintext: Uint8Array): Envelope {
  if (!isValidSeq(seq)) throw new RangeError('seq must be an integer from 1 to 2^53 - 1');
  const cipher = createCipheriv('aes-256-gcm', key, envelopeNonce(direction, seq));
  cipher.setAAD(envelopeAad(ctx, seq));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { seq, ct: ct.toString('base64') };
}

/** The plaintext, or null when anything (key, direction, context, seq, a byte of ct or tag) is wrong. */
export function openEnvelope(key: Uint8Array, direction: Direction, ctx: EnvelopeContext, seq: number, ct: Uint8Array): Uint8Array | null {
  if (!isValidSeq(seq) || ct.length < TAG_BYTES) return null;
  const buf = Buffer.from(ct.buffer, ct.byteOffset, ct.byteLength);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, envelopeNonce(direction, seq));
    decipher.setAAD(envelopeAad(ctx, seq));
    decipher.setAuthTag(buf.subarray(buf.length - TAG_BYTES));
    return Buffer.concat([decipher.update(buf.subarray(0, buf.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return null;
  }
}

/** Strict base64 (standard alphabet, padded, canonical): the only form accepted for binary fields. */
export function decodeBase64Strict(text: string): Buffer | null {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}
