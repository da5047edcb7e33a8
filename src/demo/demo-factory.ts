import { execFile } from 'node:child_process';
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { factoryCommand } from '../factory/factory-command.js';

const run = promisify(execFile);

export interface DemoUnit {
  /** The factory partition folder (identity.dir). */
  factoryDir: string;
  labelPng: string;
  labelSvg: string;
  caCert: string;
  caKey: string;
  /** TLS server certificate and key of the stand-in cloud (127.0.0.1), signed by the demo CA. */
  brokerCert: string;
  brokerKey: string;
  created: boolean;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * The demo camera's factory identity, made on first run exactly as a
 * factory station would: a demo CA (openssl), then `factory provision`
 * signing the unit's certificate with it. Later runs reuse it, as a real
 * camera keeps its factory partition for life.
 */
export async function ensureDemoUnit(out: string): Promise<DemoUnit> {
  const pki = join(out, 'pki');
  const unit = join(out, 'unit');
  const caKey = join(pki, 'demo-ca.key');
  const caCert = join(pki, 'demo-ca.crt');
  const result: DemoUnit = {
    factoryDir: join(unit, 'factory'),
    labelPng: join(unit, 'label.png'),
    labelSvg: join(unit, 'label.svg'),
    caCert,
    caKey,
    brokerCert: join(pki, 'broker.crt'),
    brokerKey: join(pki, 'broker.key'),
    created: false,
  };
  if ((await exists(join(result.factoryDir, 'identity.json'))) && (await exists(result.brokerCert))) return result;

  await mkdir(pki, { recursive: true, mode: 0o700 });
  if (!(await exists(caCert))) {
    await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', caKey]);
    await run('openssl', ['req', '-x509', '-new', '-key', caKey, '-sha256', '-days', '3650', '-subj', '/CN=camera-agent demo factory CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', caCert]);
  }
  if (!(await exists(result.brokerCert))) {
    const csr = join(pki, 'broker.csr');
    await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', result.brokerKey]);
    await run('openssl', ['req', '-new', '-key', result.brokerKey, '-subj', '/CN=localhost', '-out', csr]);
    const ext = join(pki, 'broker.ext');
    await writeFile(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    await run('openssl', ['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-days', '825', '-sha256', '-extfile', ext, '-out', result.brokerCert]);
  }
  if (await exists(join(result.factoryDir, 'identity.json'))) return result;
  const errors: string[] = [];
  const code = await factoryCommand(
    ['provision', '--serial', 'DEMO00000001', '--model', 'CAM100', '--out', unit, '--ca-key', caKey, '--ca-cert', caCert],
    { out: () => undefined, err: (line) => void errors.push(line) },
  );
  if (code !== 0) throw new Error(`factory provision failed: ${errors.join(' ')}`);
  return { ...result, created: true };
}
