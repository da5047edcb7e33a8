import { timingSafeEqual } from 'node:crypto';
import type { FactoryIdentity, SrpVerifierFile } from '../identity/factory-layout.js';
import type { LabelPayload } from './label-payload.js';
import { labelFingerprint } from './unit-builder.js';

/**
 * End-of-line label check (provisioning.md §6.3): does the scanned label
 * belong to this unit? Catches swapped or duplicated labels before shipping.
 * The code is checked by recomputing the SRP verifier from it and the stored
 * salt, so the unit never needs the code in clear.
 */
export type LabelField = 'model' | 'serial' | 'fingerprint' | 'code' | 'passphrase';

export interface UnitRecords {
  identity: FactoryIdentity;
  srp: SrpVerifierFile;
  apPassphrase: string;
}

export interface LabelCheck {
  pass: boolean;
  mismatched: LabelField[];
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function checkLabel(
  label: LabelPayload,
  unit: UnitRecords,
  computeVerifier: (identity: string, password: string, salt: Uint8Array) => Uint8Array,
): LabelCheck {
  const mismatched: LabelField[] = [];
  if (label.model !== unit.identity.model) mismatched.push('model');
  if (label.serial !== unit.identity.serial) mismatched.push('serial');
  if (label.fingerprint !== labelFingerprint(unit.identity.publicKeyFingerprint)) mismatched.push('fingerprint');
  const verifier = Buffer.from(computeVerifier(unit.identity.serial, label.code, Buffer.from(unit.srp.salt, 'base64')));
  const stored = Buffer.from(unit.srp.verifier, 'base64');
  if (verifier.length !== stored.length || !timingSafeEqual(verifier, stored)) mismatched.push('code');
  if (!sameText(label.passphrase, unit.apPassphrase)) mismatched.push('passphrase');
  return { pass: mismatched.length === 0, mismatched };
}
