import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FACTORY_FILES, type FactoryIdentity, type SrpVerifierFile } from '../identity/factory-layout.js';
import { checkLabel, type LabelField, type UnitRecords } from './label-check.js';
import { decodeLabelPayload, type LabelPayloadErrorCode, type LabelPayloadOptions } from './label-payload.js';
import { FactoryError } from './factory-error.js';

export interface VerifyLabelReport {
  result: 'pass' | 'fail';
  image: string;
  /** Serial on the label (public); null when no label payload was found. */
  labelSerial: string | null;
  unitSerial: string;
  mismatched: LabelField[];
  /** Why a QR that was found is not a valid label, e.g. code_check_failed. */
  payloadError?: LabelPayloadErrorCode;
}

/** `--identity` may name the factory folder itself or the unit folder holding factory/. */
async function loadUnit(dir: string): Promise<UnitRecords> {
  for (const factory of [dir, join(dir, 'factory')]) {
    let identity: FactoryIdentity;
    try {
      identity = JSON.parse(await readFile(join(factory, FACTORY_FILES.identity), 'utf8')) as FactoryIdentity;
    } catch {
      continue;
    }
    try {
      const srp = JSON.parse(await readFile(join(factory, FACTORY_FILES.srpVerifier), 'utf8')) as SrpVerifierFile;
      const apPassphrase = (await readFile(join(factory, FACTORY_FILES.apPassphrase), 'utf8')).trim();
      return { identity, srp, apPassphrase };
    } catch {
      throw new FactoryError('identity_unreadable', `${factory} lacks a readable ${FACTORY_FILES.srpVerifier} or ${FACTORY_FILES.apPassphrase}`);
    }
  }
  throw new FactoryError('identity_unreadable', `no ${FACTORY_FILES.identity} in ${dir} or ${join(dir, 'factory')}`);
}

export async function verifyLabel(
  image: string,
  identityDir: string,
  deps: {
    readQrTexts: (path: string) => Promise<string[]>;
    computeSrpVerifier: (identity: string, password: string, salt: Uint8Array) => Uint8Array;
    payload?: LabelPayloadOptions;
  },
): Promise<VerifyLabelReport> {
  const unit = await loadUnit(identityDir);
  const texts = await deps.readQrTexts(image);
  if (texts.length === 0) throw new FactoryError('no_qr_found', `no QR code found in ${image}`);
  const decoded = texts.map((t) => decodeLabelPayload(t, deps.payload));
  const label = decoded.find((d) => d.ok);
  if (!label || !label.ok) {
    const first = decoded[0]!;
    return {
      result: 'fail', image, labelSerial: null, unitSerial: unit.identity.serial, mismatched: [],
      ...(first.ok ? {} : { payloadError: first.code }),
    };
  }
  const check = checkLabel(label.payload, unit, deps.computeSrpVerifier);
  return {
    result: check.pass ? 'pass' : 'fail', image, labelSerial: label.payload.serial,
    unitSerial: unit.identity.serial, mismatched: check.mismatched,
  };
}
