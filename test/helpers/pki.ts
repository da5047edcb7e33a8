import { execFile } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildCertificate, caFacts, toPem } from '../../src/factory/x509-builder.js';

const run = promisify(execFile);

/** PEM files and their contents for one certificate. */
export interface Issued {
  certPath: string;
  keyPath: string;
  cert: Buffer;
  key: Buffer;
}

export interface TestPki {
  dir: string;
  caPath: string;
  ca: Buffer;
  server: Issued;
  /** A client certificate with this CN (the device id, or `cloud`). */
  client(cn: string): Promise<Issued>;
  /**
   * The same in-process, with node:crypto and the factory's X.509 builder
   * (no openssl fork, about a millisecond): for fleets of hundreds of devices.
   * PEM buffers only, nothing written to disk.
   */
  clientFast(cn: string): { cert: Buffer; key: Buffer };
}

/**
 * A throw-away PKI made with the openssl CLI, so a reader can see exactly
 * what the broker and the link are given: an EC P-256 CA, a server
 * certificate for 127.0.0.1/localhost and client certificates whose CN the
 * broker uses as the MQTT username (use_identity_as_username).
 */
export async function createPki(dir: string): Promise<TestPki> {
  const caKey = join(dir, 'ca.key');
  const caPath = join(dir, 'ca.crt');
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey, '-out', caPath, '-days', '2', '-subj', '/CN=camera-agent test CA']);
  let serial = 1;
  const issue = async (name: string, cn: string, ext: string): Promise<Issued> => {
    const keyPath = join(dir, `${name}.key`);
    const csr = join(dir, `${name}.csr`);
    const certPath = join(dir, `${name}.crt`);
    const extPath = join(dir, `${name}.ext`);
    await writeFile(extPath, ext);
    await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyPath, '-out', csr, '-subj', `/CN=${cn}`]);
    await openssl(['x509', '-req', '-in', csr, '-CA', caPath, '-CAkey', caKey, '-set_serial', String(serial++), '-days', '2', '-out', certPath, '-extfile', extPath]);
    return { certPath, keyPath, cert: await readFile(certPath), key: await readFile(keyPath) };
  };
  const server = await issue('server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  const ca = await readFile(caPath);
  const signer = { key: createPrivateKey(await readFile(caKey)), facts: caFacts(new X509Certificate(ca).raw) };
  return {
    dir,
    caPath,
    ca,
    server,
    client: (cn) => issue(`client-${cn.replace(/[^A-Za-z0-9_-]/g, '_')}`, cn, 'extendedKeyUsage=clientAuth\n'),
    clientFast(cn) {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const serialNumber = randomBytes(12);
      serialNumber[0]! &= 0x7f; // positive
      const now = Date.now();
      const der = buildCertificate({
        subject: { deviceId: cn, serial: 'SIM' },
        publicKey,
        ca: signer.facts,
        caKey: signer.key,
        serialNumber,
        notBefore: new Date(now - 3_600_000),
        notAfter: new Date(now + 2 * 86_400_000),
      });
      return { cert: Buffer.from(toPem('CERTIFICATE', der)), key: Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' })) };
    },
  };
}

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args, { timeout: 20_000 });
}
