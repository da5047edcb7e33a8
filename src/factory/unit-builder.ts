import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { FactoryIdentity, SrpVerifierFile } from '../identity/factory-layout.js';
import { FACTORY_FILES } from '../identity/factory-layout.js';
import { generateApPassphrase } from './ap-passphrase.js';
import { encodeCrockford, type RandomBytes } from './crockford.js';
import { generateDeviceId } from './device-id.js';
import { FactoryError } from './factory-error.js';
import type { FactoryCa } from './factory-ca.js';
import { encodeLabelPayload, LABEL_FORMAT, type LabelPayload } from './label-payload.js';
import { labelSvg, labelZpl } from './label-layout.js';
import { labelQr } from './label-qr.js';
import { labelLines } from './label-text.js';
import { generateLocalMac } from './mac-address.js';
import type { ManifestRecord } from './manifest-record.js';
import { generateVerificationCode } from './verification-code.js';
import { buildCertificate, buildCsr, toPem } from './x509-builder.js';

/**
 * Everything one unit consists of, built in memory: the factory partition
 * files with their modes, the label artwork and the manifest record. No file
 * I/O here (unit-writer.ts owns that), so the batch can check uniqueness
 * and retry before anything touches the disk.
 */
export interface UnitSpec {
  serial: string;
  model: string;
  hardwareRevision: string;
  /** Normalised MAC, or undefined to generate a locally administered one. */
  mac?: string;
  labelHost?: string;
  zpl: boolean;
}

/** The values that must be unique across units (station uniqueness index). */
export interface UnitUniques {
  code: string;
  passphrase: string;
  deviceId: string;
  publicKeyFingerprint: string;
  mac: string;
}

export interface UnitDeps {
  random: RandomBytes;
  now: () => Date;
  ca: FactoryCa | null;
  computeSrpVerifier: (identity: string, password: string, salt: Uint8Array) => Uint8Array;
  srpSuiteId: string;
  hashCode: (code: string) => Promise<string>;
  renderPng: (svgPx: string) => Promise<Buffer>;
  /** Claims the values for this unit; names the first one already taken (then everything is redrawn), or null. */
  claim: (values: UnitUniques) => keyof UnitUniques | null;
}

export interface UnitFile {
  /** Path relative to the unit folder. */
  path: string;
  data: string | Uint8Array;
  mode: number;
}

export interface BuiltUnit {
  files: UnitFile[];
  record: ManifestRecord;
  identity: FactoryIdentity;
  labelFingerprint: string;
  uniques: UnitUniques;
  qrVersion: number;
}

/** Certificates live 20 years: the camera's service life, and no renewal path exists offline. */
export const CERT_VALIDITY_YEARS = 20;
const MAX_CLAIM_ATTEMPTS = 8;

interface Draw {
  uniques: UnitUniques;
  publicKey: KeyObject;
  privateKey: KeyObject;
  spki: Buffer;
}

function draw(spec: UnitSpec, deps: UnitDeps): Draw {
  for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const uniques: UnitUniques = {
      code: generateVerificationCode(deps.random),
      passphrase: generateApPassphrase(deps.random),
      deviceId: generateDeviceId(deps.random),
      publicKeyFingerprint: createHash('sha256').update(spki).digest('hex'),
      mac: spec.mac ?? generateLocalMac(deps.random),
    };
    const taken = deps.claim(uniques);
    if (taken === null) return { uniques, publicKey, privateKey, spki };
    if (taken === 'mac' && spec.mac) throw new FactoryError('bad_mac', 'this MAC is already in the manifest or the station index');
  }
  // Eight collisions in a row means a broken RNG or a fixed --mac reused, never bad luck.
  throw new FactoryError('uniqueness_exhausted', `no unique values for ${spec.serial} after ${MAX_CLAIM_ATTEMPTS} draws (fixed --mac already used?)`);
}

/** Label F: the first 80 bits of SHA-256(SPKI) in Crockford base32 (provisioning.md §6.3). */
export function labelFingerprint(publicKeyFingerprintHex: string): string {
  return encodeCrockford(Buffer.from(publicKeyFingerprintHex, 'hex'), 16);
}

/** Positive 128-bit serial whose first byte is 0x10–0x7f: no sign padding and no leading zero, so every tool prints it alike. */
function certificateSerial(random: RandomBytes): Buffer {
  const bytes = Buffer.from(random(16));
  bytes[0] = 0x10 + (bytes[0]! % 0x70);
  return bytes;
}

export async function buildUnit(spec: UnitSpec, deps: UnitDeps): Promise<BuiltUnit> {
  const { uniques, publicKey, privateKey } = draw(spec, deps);
  const now = deps.now();
  const subject = { deviceId: uniques.deviceId, serial: spec.serial };
  const f = (name: keyof typeof FACTORY_FILES) => `factory/${FACTORY_FILES[name]}`;
  const files: UnitFile[] = [];

  let certSerialHex: string | null = null;
  if (deps.ca) {
    const serialBytes = certificateSerial(deps.random);
    certSerialHex = serialBytes.toString('hex').toUpperCase();
    const notAfter = new Date(now);
    notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CERT_VALIDITY_YEARS);
    // A certificate outliving its issuer fails validation anyway; say so in the cert.
    const caEnd = new Date(deps.ca.cert.validTo);
    const der = buildCertificate({
      subject, publicKey, ca: deps.ca.facts, caKey: deps.ca.key, serialNumber: serialBytes,
      notBefore: now, notAfter: caEnd < notAfter ? caEnd : notAfter,
    });
    files.push({ path: f('certificate'), data: toPem('CERTIFICATE', der), mode: 0o444 });
    files.push({ path: f('caChain'), data: deps.ca.chainPem, mode: 0o444 });
  } else {
    files.push({ path: f('csr'), data: toPem('CERTIFICATE REQUEST', buildCsr(subject, publicKey, privateKey)), mode: 0o444 });
  }

  const salt = deps.random(16);
  const srp: SrpVerifierFile = {
    suite: deps.srpSuiteId,
    salt: Buffer.from(salt).toString('base64'),
    verifier: Buffer.from(deps.computeSrpVerifier(spec.serial, uniques.code, salt)).toString('base64'),
  };
  const identity: FactoryIdentity = {
    formatVersion: 1,
    deviceId: uniques.deviceId,
    serial: spec.serial,
    model: spec.model,
    hardwareRevision: spec.hardwareRevision,
    mac: uniques.mac,
    labelFormat: LABEL_FORMAT,
    publicKeyFingerprint: uniques.publicKeyFingerprint,
    certificateSerial: certSerialHex,
    manufacturedAt: now.toISOString().slice(0, 10),
  };
  files.push(
    { path: f('identity'), data: `${JSON.stringify(identity, null, 2)}\n`, mode: 0o444 },
    { path: f('privateKey'), data: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, mode: 0o600 },
    { path: f('apPassphrase'), data: `${uniques.passphrase}\n`, mode: 0o600 },
    { path: f('srpVerifier'), data: `${JSON.stringify(srp, null, 2)}\n`, mode: 0o444 },
    { path: f('deviceSecret'), data: deps.random(32), mode: 0o600 },
  );

  const payload: LabelPayload = {
    model: spec.model,
    serial: spec.serial,
    code: uniques.code,
    passphrase: uniques.passphrase,
    fingerprint: labelFingerprint(uniques.publicKeyFingerprint),
  };
  const text = encodeLabelPayload(payload, spec.labelHost ? { host: spec.labelHost } : {});
  const artwork = { qr: labelQr(text), model: spec.model, lines: labelLines(payload) };
  const [png, codeHash] = await Promise.all([deps.renderPng(labelSvg(artwork, 'px')), deps.hashCode(uniques.code)]);
  files.push({ path: 'label.svg', data: labelSvg(artwork, 'mm'), mode: 0o644 }, { path: 'label.png', data: png, mode: 0o644 });
  if (spec.zpl) files.push({ path: 'label.zpl', data: labelZpl(artwork, text), mode: 0o644 });

  const record: ManifestRecord = {
    serial: spec.serial,
    model: spec.model,
    hardwareRevision: spec.hardwareRevision,
    mac: uniques.mac,
    deviceId: uniques.deviceId,
    publicKeyFingerprint: uniques.publicKeyFingerprint,
    certificateSerial: certSerialHex ?? '',
    codeHash,
    labelFormat: LABEL_FORMAT,
    manufacturedAt: identity.manufacturedAt,
  };
  return { files, record, identity, labelFingerprint: payload.fingerprint, uniques, qrVersion: artwork.qr.version };
}
