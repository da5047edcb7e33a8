import { readFile, stat } from 'node:fs/promises';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { factoryPath, type FactoryFile, type FactoryIdentity } from './factory-layout.js';
import { checkCertificate, parseCertificateBundle } from './certificate-checks.js';
import { identityError, type IdentityError } from './identity-error.js';
import { parseFactoryIdentity } from './identity-schema.js';
import { parseSrpVerifierFile, type SrpVerifierRecord } from './srp-verifier-file.js';

/** Everything the agent needs from the factory partition, checked for consistency. */
export interface LoadedIdentity {
  identity: FactoryIdentity;
  /** Never exported or logged; use it for mTLS and transcript signatures only. */
  privateKey: KeyObject;
  certificate: X509Certificate;
  certificatePem: string;
  /** ca-chain.pem as read: what mTLS presents after the device certificate. */
  caChainPem: string;
  /** Soft-AP WPA2 passphrase (secret: hostapd needs it in clear). */
  apPassphrase: string;
  srpVerifier: SrpVerifierRecord;
}

export type IdentityCheck = { ok: true; loaded: LoadedIdentity } | { ok: false; error: IdentityError };

/**
 * Read and check the factory partition at agent start. Checks run in the
 * order a technician would fix things (identity.json, key, certificate,
 * chain, validity, AP/SRP material) and the first failure is returned.
 * Nothing here writes: the partition is read-only on the camera.
 *
 * `clock` decides certificate validity. A camera without RTC boots in 1970,
 * so before NTP the result is certificate_not_yet_valid: callers should
 * treat that code as "retry once the clock is set", not as a broken unit.
 */
export async function loadFactoryIdentity(dir: string, deps: { clock: Pick<Clock, 'now'> }): Promise<IdentityCheck> {
  const fail = (error: IdentityError): IdentityCheck => ({ ok: false, error });
  const path = (f: FactoryFile): string => factoryPath(dir, f);

  const identityText = await readOptional(path('identity'));
  if (identityText === null) return fail(identityError('identity_missing', `no identity.json in ${dir}`));
  let identityJson: unknown;
  try {
    identityJson = JSON.parse(identityText);
  } catch {
    return fail(identityError('identity_invalid', 'identity.json is not valid JSON'));
  }
  const parsed = parseFactoryIdentity(identityJson);
  if (!parsed.ok) return fail(parsed.error);
  const { identity } = parsed;

  const keyMode = await modeOf(path('privateKey'));
  if (keyMode === null) return fail(identityError('key_missing', `no device.key in ${dir}`));
  // 0600 is the contract; anything readable by group/others has leaked the key to every process on the box.
  if ((keyMode & 0o077) !== 0) {
    return fail(identityError('key_permissions', `device.key has mode ${(keyMode & 0o777).toString(8)}, must not be readable by group or others`));
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: (await readFile(path('privateKey'))) as Buffer, format: 'pem' });
  } catch {
    return fail(identityError('key_invalid', 'device.key is not a readable PEM private key'));
  }
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    return fail(identityError('key_invalid', 'device.key is not an EC P-256 key'));
  }

  const certificatePem = await readOptional(path('certificate'));
  if (certificatePem === null) {
    const csr = await readOptional(path('csr'));
    return fail(
      identityError(
        'certificate_missing',
        csr === null ? `no device.crt in ${dir}` : `no device.crt in ${dir}: only device.csr, waiting to be signed by the factory CA`,
      ),
    );
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch {
    return fail(identityError('certificate_invalid', 'device.crt is not a readable PEM certificate'));
  }

  const caChainPem = await readOptional(path('caChain'));
  if (caChainPem === null) return fail(identityError('chain_invalid', `no ca-chain.pem in ${dir}`));
  let chain: X509Certificate[];
  try {
    chain = parseCertificateBundle(caChainPem);
  } catch {
    return fail(identityError('chain_invalid', 'ca-chain.pem holds a certificate that does not parse'));
  }

  const certError = checkCertificate({ identity, privateKey, certificate, chain, now: deps.clock.now() });
  if (certError) return fail(certError);

  const apPassphrase = (await readOptional(path('apPassphrase')))?.replace(/\r?\n$/, '') ?? '';
  if (apPassphrase === '') return fail(identityError('ap_passphrase_missing', `no ap-passphrase in ${dir}`));

  const srpText = await readOptional(path('srpVerifier'));
  if (srpText === null) return fail(identityError('srp_verifier_missing', `no srp-verifier.json in ${dir}`));
  let srpJson: unknown;
  try {
    srpJson = JSON.parse(srpText);
  } catch {
    return fail(identityError('srp_verifier_invalid', 'srp-verifier.json is not valid JSON'));
  }
  const srp = parseSrpVerifierFile(srpJson);
  if (!srp.ok) return fail(srp.error);

  return { ok: true, loaded: { identity, privateKey, certificate, certificatePem, caChainPem, apPassphrase, srpVerifier: srp.record } };
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function modeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
