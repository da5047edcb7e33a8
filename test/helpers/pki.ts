import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

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
  return {
    dir,
    caPath,
    ca: await readFile(caPath),
    server,
    client: (cn) => issue(`client-${cn.replace(/[^A-Za-z0-9_-]/g, '_')}`, cn, 'extendedKeyUsage=clientAuth\n'),
  };
}

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args, { timeout: 20_000 });
}
