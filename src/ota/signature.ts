import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Signatures over the canonical firmware manifest (ota-job.ts). Pure apart
 * from node:crypto.
 *
 * Two algorithms only, both with small keys and signatures and no
 * parameter choices to get wrong: Ed25519 (pure, RFC 8032) and ECDSA P-256
 * with SHA-256, DER-encoded (what `openssl dgst -sha256 -sign` writes).
 * The keyring is a list, as Mender's ArtifactVerifyKeys, so a signing key
 * can be rotated: ship the new public key in one firmware, sign with it in
 * the next.
 */

export type KeyAlg = 'ed25519' | 'ecdsa-p256';

export interface TrustedKey {
  /** keyIdOf(key). */
  id: string;
  /** Where it came from (file name), for logs. */
  name: string;
  key: KeyObject;
  alg: KeyAlg;
}

export interface Keyring {
  keys: TrustedKey[];
  rejected: Array<{ name: string; reason: string }>;
}

export type VerifyErrorCode = 'unknown_signing_key' | 'signature_invalid' | 'no_trusted_keys' | 'signature_malformed';

export type VerifyResult = { ok: true; keyId: string } | { ok: false; code: VerifyErrorCode; message: string };

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** As the job schema's limit. */
const MAX_SIGNATURE_CHARS = 512;

/** Hex SHA-256 of the SPKI DER, first 16 characters (64 bits: enough to pick a key from a handful, not a security boundary). */
export function keyIdOf(key: KeyObject): string {
  const spki = (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('hex').slice(0, 16);
}

function algOf(key: KeyObject): KeyAlg | null {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa-p256';
  return null;
}

/**
 * Builds the keyring from PEM texts. Never throws: each unusable entry is
 * listed with a reason (which never quotes the PEM), so a bad file in the
 * key directory is reported and the others still work.
 */
export function trustedKeys(pems: Array<{ name: string; pem: string }>): Keyring {
  const keys: TrustedKey[] = [];
  const rejected: Keyring['rejected'] = [];
  for (const { name, pem } of pems) {
    const reason = problemOf(pem);
    if (typeof reason === 'string') {
      rejected.push({ name, reason });
      continue;
    }
    const id = keyIdOf(reason.key);
    const twin = keys.find((k) => k.id === id);
    if (twin) {
      rejected.push({ name, reason: `the same key as ${twin.name}` });
      continue;
    }
    keys.push({ id, name, key: reason.key, alg: reason.alg });
  }
  return { keys, rejected };
}

function problemOf(pem: string): string | { key: KeyObject; alg: KeyAlg } {
  if (typeof pem !== 'string') return 'not a PEM text';
  const blocks = pem.match(/-----BEGIN [A-Z0-9 ]+-----/g) ?? [];
  if (blocks.length === 0) return 'not a PEM text';
  if (blocks.length > 1) return 'more than one PEM block (one key per file)';
  // createPublicKey() happily derives a public key from a private one or a certificate: refuse both explicitly.
  // A private key has no business on the device, and a certificate's validity period and chain would be silently ignored.
  if (/PRIVATE KEY-----/.test(blocks[0]!)) return 'a private key (the device needs only the public key)';
  if (/CERTIFICATE-----/.test(blocks[0]!)) return 'a certificate (give the public key: openssl x509 -pubkey -noout)';
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    return 'not a readable public key';
  }
  if (key.type !== 'public') return 'not a public key';
  const alg = algOf(key);
  if (!alg) {
    const what = key.asymmetricKeyType === 'ec' ? `an EC key on ${key.asymmetricKeyDetails?.namedCurve ?? 'an unknown curve'}` : `a ${key.asymmetricKeyType ?? 'unknown'} key`;
    return `${what}; only Ed25519 and EC P-256 keys are accepted`;
  }
  return { key, alg };
}

function verifyWith(k: TrustedKey, manifest: Uint8Array, signature: Buffer): boolean {
  try {
    return k.alg === 'ed25519' ? verify(null, manifest, k.key, signature) : verify('sha256', manifest, { key: k.key, dsaEncoding: 'der' }, signature);
  } catch {
    // OpenSSL may throw instead of returning false on a signature that cannot be decoded for this algorithm.
    return false;
  }
}

/**
 * Verifies `signatureB64` over `manifest`. With `keyId`, only that key is
 * used, and a keyId not in the keyring is unknown_signing_key: "signed with
 * a key this device does not trust" (a rotation problem) is reported apart
 * from "the manifest or signature was changed" (signature_invalid). Without
 * it, every trusted key is tried.
 */
export function verifyManifest(manifest: Uint8Array, signatureB64: string, keys: readonly TrustedKey[], keyId?: string): VerifyResult {
  if (keys.length === 0) return { ok: false, code: 'no_trusted_keys', message: 'no trusted signing key is installed' };
  if (typeof signatureB64 !== 'string' || signatureB64.length === 0 || signatureB64.length > MAX_SIGNATURE_CHARS || !BASE64.test(signatureB64)) {
    return { ok: false, code: 'signature_malformed', message: 'signature: is not base64 of at most 512 characters' };
  }
  const signature = Buffer.from(signatureB64, 'base64');
  let candidates: readonly TrustedKey[] = keys;
  if (keyId !== undefined) {
    const k = keys.find((c) => c.id === keyId);
    if (!k) return { ok: false, code: 'unknown_signing_key', message: `keyId ${String(keyId).slice(0, 16)} is not a trusted key (trusted: ${keys.map((c) => c.id).join(', ')})` };
    candidates = [k];
  }
  for (const k of candidates) {
    if (verifyWith(k, manifest, signature)) return { ok: true, keyId: k.id };
  }
  return {
    ok: false,
    code: 'signature_invalid',
    message: keyId !== undefined ? `the signature does not match the manifest for key ${keyId}` : `the signature does not match the manifest for any of ${keys.length} trusted keys`,
  };
}

/**
 * Signs a manifest (vendor-side CLI and tests; the device never holds a
 * private key). ECDSA signatures are randomised and malleable, so a
 * signature is not an identifier: two valid signatures over one manifest
 * differ. Throws RangeError for key types other than Ed25519 / P-256.
 */
export function signManifest(manifest: Uint8Array, privateKey: KeyObject): string {
  if (privateKey.type !== 'private') throw new RangeError('signManifest needs a private key');
  const alg = algOf(privateKey);
  if (alg === 'ed25519') return sign(null, manifest, privateKey).toString('base64');
  if (alg === 'ecdsa-p256') return sign('sha256', manifest, { key: privateKey, dsaEncoding: 'der' }).toString('base64');
  throw new RangeError(`cannot sign with a ${privateKey.asymmetricKeyType ?? 'unknown'} key; use Ed25519 or EC P-256`);
}

