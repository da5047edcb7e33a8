import { generateKeyPairSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadTrustedKeys } from '../../../src/ota/key-ring.js';
import { captureLogger } from '../hal/fixtures/hal-test-kit.js';
import { tempDir } from '../../helpers/tmp.js';

const SHIPPED = fileURLToPath(new URL('../../../firmware-overlay/etc/camera-agent/ota-keys/', import.meta.url));

const pub = (kind: 'ed25519' | 'p256' | 'rsa') =>
  (kind === 'ed25519'
    ? generateKeyPairSync('ed25519')
    : kind === 'p256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 })
  ).publicKey.export({ type: 'spki', format: 'pem' }) as string;

t.test('the folder shipped in the firmware overlay holds one usable development key; the README is not read', async (t) => {
  const { logger, lines } = captureLogger();
  const ring = await loadTrustedKeys(SHIPPED, logger);
  t.match(ring, { keys: [{ name: 'development.pem', alg: 'ed25519', id: '7e4b851e63ac776f' }], rejected: [] });
  t.ok(lines.some((l) => l.msg === 'ota: trusted update-signing keys loaded' && l.level === 30));
});

t.test('every *.pem is a key, in name order; bad files are logged and skipped, the rest work', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'b-vendor.pem'), pub('ed25519'));
  await writeFile(join(dir, 'a-vendor.pem'), pub('p256'));
  await writeFile(join(dir, 'rsa.pem'), pub('rsa'));
  await writeFile(join(dir, 'empty.pem'), '');
  await writeFile(join(dir, 'huge.pem'), 'x'.repeat(20_000));
  await writeFile(join(dir, 'notes.txt'), pub('ed25519'));
  await mkdir(join(dir, 'dir.pem'));
  const { logger, lines } = captureLogger();
  const ring = await loadTrustedKeys(dir, logger);
  t.same(ring.keys.map((k) => [k.name, k.alg]), [['a-vendor.pem', 'ecdsa-p256'], ['b-vendor.pem', 'ed25519']]);
  t.same(ring.rejected.map((r) => r.name).sort(), ['empty.pem', 'huge.pem', 'rsa.pem'], 'a folder named *.pem is not a key file');
  t.equal(lines.filter((l) => l.msg === 'ota: key file ignored' && l.level === 50).length, 3, 'each logged at error');
});

t.test('a missing folder is an empty keyring, logged at error: no update can be verified', async (t) => {
  const { logger, lines } = captureLogger();
  const ring = await loadTrustedKeys('/nonexistent/ota-keys', logger);
  t.same(ring, { keys: [], rejected: [] });
  t.match(lines, [{ level: 50, code: 'ENOENT', msg: /no firmware update can be verified/ }]);
});

t.test('a folder without any usable key is logged at error too', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'README.md'), 'keys go here');
  const { logger, lines } = captureLogger();
  t.same((await loadTrustedKeys(dir, logger)).keys, []);
  t.ok(lines.some((l) => l.level === 50 && l.msg === 'ota: no usable update-signing key; no firmware update can be verified'));
});
