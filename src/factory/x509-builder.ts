import { createHash, sign, type KeyObject } from 'node:crypto';
import {
  bitString, booleanTrue, children, context, nullValue, objectIdentifier, octetString, printableString,
  readTlv, sequence, set, smallInteger, time, unsignedInteger, utf8String,
} from './der.js';

/**
 * CSR (PKCS#10, RFC 2986) and end-entity certificate (RFC 5280) for a device
 * key. Subject: CN = deviceId (the MQTT client id, random so it leaks no
 * serial) and serialNumber = the label serial, so the cloud can check that
 * the serial in the certificate equals the one in the activation body
 * (provisioning.md §6.4 step 2).
 */
const OID = {
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

export interface DeviceSubject {
  deviceId: string;
  serial: string;
}

export function subjectName(s: DeviceSubject): Buffer {
  const rdn = (oid: string, value: Buffer) => set(sequence(objectIdentifier(oid), value));
  return sequence(rdn(OID.commonName, utf8String(s.deviceId)), rdn(OID.serialNumber, printableString(s.serial)));
}

interface SignatureScheme {
  algorithm: Buffer;
  hash: string | null;
}

/** Signature algorithm for a signing key: ECDSA P-256/P-384, RSA (PKCS#1 v1.5) or Ed25519. */
export function signatureScheme(key: KeyObject): SignatureScheme | undefined {
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return { algorithm: sequence(objectIdentifier('1.2.840.10045.4.3.2')), hash: 'sha256' };
    if (curve === 'secp384r1') return { algorithm: sequence(objectIdentifier('1.2.840.10045.4.3.3')), hash: 'sha384' };
    return undefined;
  }
  if (type === 'rsa') return { algorithm: sequence(objectIdentifier('1.2.840.113549.1.1.11'), nullValue()), hash: 'sha256' };
  if (type === 'ed25519') return { algorithm: sequence(objectIdentifier('1.3.101.112')), hash: null };
  return undefined;
}

function signed(tbs: Buffer, key: KeyObject): Buffer {
  const scheme = signatureScheme(key);
  if (!scheme) throw new RangeError('unsupported signing key type');
  return sequence(tbs, scheme.algorithm, bitString(sign(scheme.hash, tbs, key)));
}

/** PKCS#10 request signed by the device key itself (proof of possession). */
export function buildCsr(subject: DeviceSubject, publicKey: KeyObject, privateKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const info = sequence(smallInteger(0), subjectName(subject), spki, context(0));
  return signed(info, privateKey);
}

/** The issuer-side facts lifted from the CA certificate. */
export interface CaFacts {
  /** DER of the CA's subject Name, copied byte for byte into the issuer field. */
  subject: Buffer;
  /** The CA's subjectKeyIdentifier, when it has one (for authorityKeyIdentifier). */
  keyId: Buffer | null;
}

export function caFacts(certDer: Uint8Array): CaFacts {
  const cert = readTlv(certDer, 0);
  const tbs = children(certDer, cert)[0]!;
  const fields = children(certDer, tbs);
  const base = fields[0]!.tag === 0xa0 ? 1 : 0; // [0] version is optional
  const subject = fields[base + 4]!;
  let keyId: Buffer | null = null;
  const ext = fields.find((f) => f.tag === 0xa3);
  if (ext) {
    const list = children(certDer, ext)[0]!;
    for (const e of children(certDer, list)) {
      const [oid, ...rest] = children(certDer, e);
      const value = rest[rest.length - 1]!;
      if (Buffer.from(certDer.subarray(oid!.start, oid!.end)).equals(objectIdentifier(OID.subjectKeyId))) {
        const inner = readTlv(certDer, value.contentStart);
        keyId = Buffer.from(certDer.subarray(inner.contentStart, inner.end));
      }
    }
  }
  return { subject: Buffer.from(certDer.subarray(subject.start, subject.end)), keyId };
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(objectIdentifier(oid), booleanTrue(), octetString(value)) : sequence(objectIdentifier(oid), octetString(value));
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING contents. */
export function keyIdentifier(spkiDer: Uint8Array): Buffer {
  const spki = readTlv(spkiDer, 0);
  const key = children(spkiDer, spki)[1]!;
  return createHash('sha1').update(spkiDer.subarray(key.contentStart + 1, key.end)).digest();
}

export interface CertificateInput {
  subject: DeviceSubject;
  publicKey: KeyObject;
  ca: CaFacts;
  caKey: KeyObject;
  /** Positive serial, big-endian bytes (≤ 20 octets, RFC 5280 §4.1.2.2). */
  serialNumber: Uint8Array;
  notBefore: Date;
  notAfter: Date;
}

/** A TLS-client certificate for the device key, signed by the factory CA. */
export function buildCertificate(input: CertificateInput): Buffer {
  const spki = input.publicKey.export({ type: 'spki', format: 'der' });
  const scheme = signatureScheme(input.caKey);
  if (!scheme) throw new RangeError('unsupported CA key type');
  const extensions = [
    extension(OID.basicConstraints, true, sequence()),
    extension(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)), // digitalSignature only
    extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.clientAuth))),
    extension(OID.subjectKeyId, false, octetString(keyIdentifier(spki))),
  ];
  if (input.ca.keyId) extensions.push(extension(OID.authorityKeyId, false, sequence(Buffer.concat([Buffer.from([0x80]), derLength(input.ca.keyId.length), input.ca.keyId]))));
  const tbs = sequence(
    context(0, smallInteger(2)),
    unsignedInteger(input.serialNumber),
    scheme.algorithm,
    input.ca.subject,
    sequence(time(input.notBefore), time(input.notAfter)),
    subjectName(input.subject),
    spki,
    context(3, sequence(...extensions)),
  );
  return signed(tbs, input.caKey);
}

/**
 * A self-signed TLS-server certificate for the device key, made by the
 * camera at start for its local API. Trust does not come from a chain:
 * clients pin the key's SPKI fingerprint printed on the label (`F:`), so
 * the factory CA's client-only certificate need not double as a server one.
 */
export function buildServingCertificate(input: { subject: DeviceSubject; publicKey: KeyObject; privateKey: KeyObject; serialNumber: Uint8Array; notBefore: Date; notAfter: Date }): Buffer {
  const spki = input.publicKey.export({ type: 'spki', format: 'der' });
  const scheme = signatureScheme(input.privateKey);
  if (!scheme) throw new RangeError('unsupported device key type');
  const name = subjectName(input.subject);
  const tbs = sequence(
    context(0, smallInteger(2)),
    unsignedInteger(input.serialNumber),
    scheme.algorithm,
    name,
    sequence(time(input.notBefore), time(input.notAfter)),
    name,
    spki,
    context(
      3,
      sequence(
        extension(OID.basicConstraints, true, sequence()),
        extension(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)),
        extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth))),
        extension(OID.subjectKeyId, false, octetString(keyIdentifier(spki))),
      ),
    ),
  );
  return signed(tbs, input.privateKey);
}

function derLength(n: number): Buffer {
  return n < 0x80 ? Buffer.from([n]) : Buffer.from([0x81, n]);
}

export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
