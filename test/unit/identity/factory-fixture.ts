import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { computeSrpVerifier } from '../../../src/crypto/srp.js';
import { publicKeyFingerprint } from '../../../src/identity/certificate-checks.js';
import { factoryPath, type FactoryIdentity } from '../../../src/identity/factory-layout.js';

/**
 * Builds factory partitions in a temp folder with real keys (node:crypto)
 * and real certificates (the openssl CLI), so each identity check meets the
 * same artefacts a factory station would produce. No binary fixtures.
 */
const run = promisify(execFile);

export async function openssl(cwd: string, ...args: string[]): Promise<void> {
  await run('openssl', args, { cwd });
}

export function newKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}

export function keyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }) as string;
}

export interface Ca {
  keyPath: string;
  certPath: string;
  pem: string;
}

let seq = 0;
function unique(prefix: string): string {
  seq += 1;
  return `${prefix}-${process.pid}-${seq}`;
}

const CA_EXT = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n';

/** A self-signed root, or an intermediate signed by `issuer`. */
export async function makeCa(work: string, name: string, issuer?: Ca): Promise<Ca> {
  const base = join(work, unique('ca'));
  const keyPath = `${base}.key`;
  const certPath = `${base}.crt`;
  await writeFile(keyPath, keyPem(newKey()), { mode: 0o600 });
  if (!issuer) {
    await openssl(work, 'req', '-x509', '-new', '-key', keyPath, '-subj', `/CN=${name}`, '-days', '3650',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', certPath);
  } else {
    await writeFile(`${base}.ext`, CA_EXT);
    await openssl(work, 'req', '-new', '-key', keyPath, '-subj', `/CN=${name}`, '-out', `${base}.csr`);
    await openssl(work, 'x509', '-req', '-in', `${base}.csr`, '-CA', issuer.certPath, '-CAkey', issuer.keyPath,
      '-set_serial', '0x' + randomBytes(8).toString('hex'), '-days', '3650', '-extfile', `${base}.ext`, '-out', certPath);
  }
  return { keyPath, certPath, pem: await readFile(certPath, 'utf8') };
}

/** Sign a certificate for `key` with subject `subject` by `ca`; returns PEM. */
export async function issueDeviceCert(
  work: string,
  ca: Ca,
  opts: { key: KeyObject; subject: string; serialHex: string; days?: number },
): Promise<string> {
  const base = join(work, unique('dev'));
  await writeFile(`${base}.key`, keyPem(opts.key), { mode: 0o600 });
  await openssl(work, 'req', '-new', '-key', `${base}.key`, '-subj', opts.subject, '-out', `${base}.csr`);
  await openssl(work, 'x509', '-req', '-in', `${base}.csr`, '-CA', ca.certPath, '-CAkey', ca.keyPath,
    '-set_serial', `0x${opts.serialHex}`, '-days', String(opts.days ?? 825), '-out', `${base}.crt`);
  return readFile(`${base}.crt`, 'utf8');
}

export interface FactoryUnit {
  dir: string;
  identity: FactoryIdentity;
  key: KeyObject;
  apPassphrase: string;
  verificationCode: string;
}

export const SERIAL = 'AC1234567890';
export const DEVICE_ID = 'cam-0123456789abcdef';

/**
 * A complete, consistent factory folder signed by `chain[0]` (the issuing CA)
 * with ca-chain.pem = all of `chain`. Options break one thing at a time.
 */
export async function makeFactoryUnit(
  work: string,
  chain: Ca[],
  opts: { subject?: string; certKey?: KeyObject; serialInSubject?: string | null } = {},
): Promise<FactoryUnit> {
  const dir = join(work, unique('factory'));
  await mkdir(dir, { recursive: true });
  const key = newKey();
  const serialHex = randomBytes(8).toString('hex').replace(/^0+/, '1');
  const serialAttr = opts.serialInSubject === undefined ? SERIAL : opts.serialInSubject;
  const subject = opts.subject ?? `/CN=${DEVICE_ID}${serialAttr === null ? '' : `/serialNumber=${serialAttr}`}`;
  const issuing = chain[0];
  if (!issuing) throw new Error('need an issuing CA');
  const certPem = await issueDeviceCert(work, issuing, { key: opts.certKey ?? key, subject, serialHex });
  const identity: FactoryIdentity = {
    formatVersion: 1,
    deviceId: DEVICE_ID,
    serial: SERIAL,
    model: 'CAM100',
    hardwareRevision: 'B2',
    mac: '02:11:22:33:44:55',
    labelFormat: 1,
    publicKeyFingerprint: publicKeyFingerprint(key),
    certificateSerial: serialHex,
    manufacturedAt: '2025-03-14',
  };
  const apPassphrase = 'K7Q2M9XW4T8Z';
  const verificationCode = '7KQ2M9XWF';
  const salt = randomBytes(16);
  await writeFile(factoryPath(dir, 'identity'), JSON.stringify(identity, null, 2));
  await writeFile(factoryPath(dir, 'privateKey'), keyPem(key), { mode: 0o600 });
  await chmod(factoryPath(dir, 'privateKey'), 0o600);
  await writeFile(factoryPath(dir, 'certificate'), certPem);
  await writeFile(factoryPath(dir, 'caChain'), chain.map((c) => c.pem).join(''));
  await writeFile(factoryPath(dir, 'apPassphrase'), `${apPassphrase}\n`, { mode: 0o600 });
  await writeFile(
    factoryPath(dir, 'srpVerifier'),
    JSON.stringify({
      suite: 'srp6a-3072-sha512',
      salt: salt.toString('base64'),
      verifier: Buffer.from(computeSrpVerifier(SERIAL, verificationCode, salt)).toString('base64'),
    }),
  );
  await writeFile(factoryPath(dir, 'deviceSecret'), randomBytes(32), { mode: 0o600 });
  return { dir, identity, key, apPassphrase, verificationCode };
}
