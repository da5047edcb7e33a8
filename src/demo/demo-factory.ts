import { execFile } from 'node:child_process';
import { access, mkdir } from 'node:fs/promises';
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
    created: false,
  };
  if (await exists(join(result.factoryDir, 'identity.json'))) return result;

  await mkdir(pki, { recursive: true, mode: 0o700 });
  if (!(await exists(caCert))) {
    await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', caKey]);
    await run('openssl', ['req', '-x509', '-new', '-key', caKey, '-sha256', '-days', '3650', '-subj', '/CN=camera-agent demo factory CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', caCert]);
  }
  const errors: string[] = [];
  const code = await factoryCommand(
    ['provision', '--serial', 'DEMO00000001', '--model', 'CAM100', '--out', unit, '--ca-key', caKey, '--ca-cert', caCert],
    { out: () => undefined, err: (line) => void errors.push(line) },
  );
  if (code !== 0) throw new Error(`factory provision failed: ${errors.join(' ')}`);
  return { ...result, created: true };
}
