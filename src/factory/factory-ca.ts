import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { FactoryError } from './factory-error.js';
import { caFacts, signatureScheme, type CaFacts } from './x509-builder.js';

/** The factory CA a station signs device certificates with. */
export interface FactoryCa {
  key: KeyObject;
  cert: X509Certificate;
  facts: CaFacts;
  /** The --ca-cert file as given (issuing CA first, then any intermediates): copied to ca-chain.pem. */
  chainPem: string;
}

export async function loadFactoryCa(keyPath: string, certPath: string): Promise<FactoryCa> {
  let key: KeyObject;
  let cert: X509Certificate;
  let chainPem: string;
  try {
    key = createPrivateKey(await readFile(keyPath));
  } catch {
    throw new FactoryError('ca_unreadable', `cannot read a private key from --ca-key ${keyPath}`);
  }
  try {
    chainPem = await readFile(certPath, 'utf8');
    cert = new X509Certificate(chainPem);
  } catch {
    throw new FactoryError('ca_unreadable', `cannot read a certificate from --ca-cert ${certPath}`);
  }
  if (!cert.ca) throw new FactoryError('ca_mismatch', '--ca-cert is not a CA certificate (basicConstraints CA:FALSE)');
  if (!cert.checkPrivateKey(key)) throw new FactoryError('ca_mismatch', '--ca-key does not belong to --ca-cert');
  if (!signatureScheme(key)) throw new FactoryError('ca_unsupported_key', 'CA key must be EC P-256/P-384, RSA or Ed25519');
  if (!chainPem.endsWith('\n')) chainPem += '\n';
  return { key, cert, facts: caFacts(cert.raw), chainPem };
}
