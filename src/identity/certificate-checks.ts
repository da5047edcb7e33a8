import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { FactoryIdentity } from './factory-layout.js';
import { identityError, type IdentityError } from './identity-error.js';

/**
 * Consistency of the device key, its certificate, the CA chain and
 * identity.json — the checks the cloud will also make at activation
 * (provisioning.md §6.4), done at agent start so a bad unit says why locally.
 * Pure: parsed objects in, the first failure (or null) out.
 */
export interface CertificateInputs {
  identity: FactoryIdentity;
  privateKey: KeyObject;
  certificate: X509Certificate;
  chain: X509Certificate[];
  /** Wall-clock milliseconds for the validity window. */
  now: number;
}

/** Hex SHA-256 of the SPKI DER of a key (FactoryIdentity.publicKeyFingerprint, label field F). */
export function publicKeyFingerprint(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** Subject attributes as Node prints them: one "name=value" per line. */
export function subjectAttributes(cert: X509Certificate): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of cert.subject.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const name = line.slice(0, eq);
    out.set(name, [...(out.get(name) ?? []), line.slice(eq + 1)]);
  }
  return out;
}

/** Split a PEM bundle into certificates; throws on a block that does not parse. */
export function parseCertificateBundle(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

export function checkCertificate(input: CertificateInputs): IdentityError | null {
  const { identity, privateKey, certificate: cert, chain, now } = input;

  if (!cert.checkPrivateKey(privateKey)) {
    return identityError('key_certificate_mismatch', 'device.crt does not certify the public key of device.key');
  }

  const subject = subjectAttributes(cert);
  const cn = subject.get('CN') ?? [];
  if (cn.length !== 1 || cn[0] !== identity.deviceId) {
    return identityError('certificate_subject_mismatch', `device.crt subject CN is not identity.json deviceId ${identity.deviceId}`);
  }
  // The factory may put the serial in the subject (serialNumber, 2.5.4.5); if it did, it must agree.
  const serials = subject.get('serialNumber');
  if (serials && (serials.length !== 1 || serials[0] !== identity.serial)) {
    return identityError('serial_mismatch', `device.crt subject serialNumber is not identity.json serial ${identity.serial}`, 'serial');
  }
  if (publicKeyFingerprint(privateKey) !== identity.publicKeyFingerprint) {
    return identityError('serial_mismatch', 'identity.json publicKeyFingerprint is not the SHA-256 of device.key\'s public key', 'publicKeyFingerprint');
  }
  if (identity.certificateSerial !== null && !sameHexSerial(identity.certificateSerial, cert.serialNumber)) {
    return identityError('serial_mismatch', `identity.json certificateSerial is not device.crt's serial ${cert.serialNumber}`, 'certificateSerial');
  }

  // Validity before the chain: with an unset clock (no RTC, before NTP) the
  // answer is then always certificate_not_yet_valid, one code to retry on.
  if (now < Date.parse(cert.validFrom)) {
    return identityError('certificate_not_yet_valid', `device.crt is valid only from ${new Date(cert.validFrom).toISOString()} (clock not set yet?)`);
  }
  if (now > Date.parse(cert.validTo)) {
    return identityError('certificate_expired', `device.crt expired at ${new Date(cert.validTo).toISOString()}`);
  }

  return checkChain(cert, chain, now);
}

function sameHexSerial(a: string, b: string): boolean {
  const norm = (s: string): string => s.toLowerCase().replace(/^0+(?=.)/, '');
  return norm(a) === norm(b);
}

/**
 * Walk from device.crt up through ca-chain.pem: every link must be issued by
 * (name) and signed by (key) the next certificate, which must be a CA. The
 * walk ends at a self-signed root or at a certificate whose issuer is not in
 * the file (the cloud holds the root). Every certificate in the file must be
 * on that path: a stray one means the file is for another batch or CA.
 * CA validity is checked too, but reported as chain_invalid so the
 * expired/not-yet-valid codes always mean the device certificate itself.
 */
function checkChain(cert: X509Certificate, chain: X509Certificate[], now: number): IdentityError | null {
  if (chain.length === 0) return identityError('chain_invalid', 'ca-chain.pem holds no certificate');
  const unused = new Set(chain);
  let current = cert;
  let issuers = 0;
  for (;;) {
    if (current !== cert && current.checkIssued(current) && current.verify(current.publicKey)) break; // root reached
    const issuer = [...unused].find((c) => current.checkIssued(c));
    if (!issuer) {
      if (issuers === 0) return identityError('chain_invalid', 'no certificate in ca-chain.pem issued device.crt');
      break;
    }
    if (!current.verify(issuer.publicKey)) {
      return identityError('chain_invalid', `signature of "${firstLine(current.subject)}" does not verify with "${firstLine(issuer.subject)}"`);
    }
    if (!issuer.ca) return identityError('chain_invalid', `"${firstLine(issuer.subject)}" in ca-chain.pem is not a CA certificate`);
    if (now < Date.parse(issuer.validFrom) || now > Date.parse(issuer.validTo)) {
      return identityError('chain_invalid', `CA certificate "${firstLine(issuer.subject)}" is outside its validity period`);
    }
    unused.delete(issuer);
    issuers++;
    current = issuer;
  }
  if (unused.size > 0) {
    return identityError('chain_invalid', `ca-chain.pem holds ${unused.size} certificate(s) not on the path to device.crt`);
  }
  return null;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? '';
}
