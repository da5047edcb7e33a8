import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** A factory CA made by openssl (independent of our DER code): EC P-256, CA:TRUE, with SKI. */
export function makeOpensslCa(dir: string, name = 'ca'): { key: string; cert: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key], { stdio: 'pipe' });
  execFileSync('openssl', [
    'req', '-x509', '-new', '-key', key, '-out', cert, '-days', '9000', '-subj', `/O=Example Cameras/CN=Factory CA ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ], { stdio: 'pipe' });
  return { key, cert };
}
