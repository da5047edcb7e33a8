import { bytesToBigInt, srpSuiteById, type SrpSuite } from '../crypto/srp.js';
import type { SrpVerifierFile } from './factory-layout.js';
import { identityError, type IdentityError } from './identity-error.js';

export interface SrpVerifierRecord {
  file: SrpVerifierFile;
  suite: SrpSuite;
  salt: Uint8Array;
  verifier: Uint8Array;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Check srp-verifier.json: a suite we speak, a salt of at least 16 bytes, a verifier in (0, N) at the group width. Pure. */
export function parseSrpVerifierFile(value: unknown): { ok: true; record: SrpVerifierRecord } | { ok: false; error: IdentityError } {
  const bad = (field: string, why: string) =>
    ({ ok: false, error: identityError('srp_verifier_invalid', `srp-verifier.json: ${field} ${why}`, field) }) as const;
  if (typeof value !== 'object' || value === null) return bad('(root)', 'is not an object');
  const o = value as Record<string, unknown>;
  const suite = typeof o.suite === 'string' ? srpSuiteById(o.suite) : undefined;
  if (!suite) return bad('suite', 'is not a supported SRP suite');
  if (typeof o.salt !== 'string' || !BASE64.test(o.salt)) return bad('salt', 'is not base64');
  const salt = Buffer.from(o.salt, 'base64');
  if (salt.length < 16) return bad('salt', 'is shorter than 16 bytes');
  if (typeof o.verifier !== 'string' || !BASE64.test(o.verifier)) return bad('verifier', 'is not base64');
  const verifier = Buffer.from(o.verifier, 'base64');
  const v = bytesToBigInt(verifier);
  if (verifier.length !== suite.group.length || v === 0n || v >= suite.group.N) {
    return bad('verifier', `is not a ${suite.group.length}-byte value below N`);
  }
  return {
    ok: true,
    record: { file: { suite: suite.id, salt: o.salt, verifier: o.verifier }, suite, salt: new Uint8Array(salt), verifier: new Uint8Array(verifier) },
  };
}
