import { execFile, execFileSync, spawn } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import t from 'tap';
import { verifyCodeHash } from '../../../src/factory/code-hash.js';
import { factoryCommand } from '../../../src/factory/factory-command.js';
import { decodeLabelPayload } from '../../../src/factory/label-payload.js';
import { makeOpensslCa } from '../../helpers/factory-ca.js';
import { tempDir } from '../../helpers/tmp.js';

const run = promisify(execFile);
const CLI = new URL('../../helpers/factory-cli.ts', import.meta.url).pathname;

async function factory(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await factoryCommand(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function zbar(png: string): string {
  return execFileSync('zbarimg', ['--nodbus', '-q', '--raw', '-Sdisable', '-Sqrcode.enable', png], { encoding: 'utf8' }).trim();
}

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await allFiles(p)));
    else out.push(p);
  }
  return out;
}

t.test('provision with an openssl-made CA: chain verifies, label decodes with zbarimg, verify-label accepts it', async (t) => {
  const dir = await tempDir(t, 'factory-');
  const ca = makeOpensslCa(dir);
  const unit = join(dir, 'unit');
  const r = await factory(['provision', '--serial', 'AC1234567890', '--model', 'CAM100', '--out', unit, '--ca-key', ca.key, '--ca-cert', ca.cert, '--zpl', '--mac', '02:11:22:33:44:55']);
  t.equal(r.code, 0, r.err);
  const summary = JSON.parse(r.out);
  const f = join(unit, 'factory');
  execFileSync('openssl', ['verify', '-CAfile', join(f, 'ca-chain.pem'), join(f, 'device.crt')]);
  const subject = execFileSync('openssl', ['x509', '-in', join(f, 'device.crt'), '-noout', '-subject'], { encoding: 'utf8' });
  t.match(subject, `CN = ${summary.deviceId}, serialNumber = AC1234567890`);
  const identity = JSON.parse(await readFile(join(f, 'identity.json'), 'utf8'));
  t.equal(identity.certificateSerial, execFileSync('openssl', ['x509', '-in', join(f, 'device.crt'), '-noout', '-serial'], { encoding: 'utf8' }).trim().split('=')[1]);
  t.equal(identity.mac, '02:11:22:33:44:55');
  // Key and certificate belong together.
  const keyPub = execFileSync('openssl', ['pkey', '-in', join(f, 'device.key'), '-pubout']);
  const certPub = execFileSync('openssl', ['x509', '-in', join(f, 'device.crt'), '-noout', '-pubkey']);
  t.equal(keyPub.toString(), certPub.toString());

  const text = zbar(join(unit, 'label.png'));
  const decoded = decodeLabelPayload(text);
  t.ok(decoded.ok, text);
  if (decoded.ok) {
    t.equal(decoded.payload.serial, 'AC1234567890');
    t.equal(decoded.payload.passphrase, (await readFile(join(f, 'ap-passphrase'), 'utf8')).trim());
    const record = JSON.parse((await readFile(join(unit, 'manifest.jsonl'), 'utf8')).trim());
    t.ok(await verifyCodeHash(decoded.payload.code, record.codeHash), 'manifest hash matches the label code');
  }
  const meta = await sharp(join(unit, 'label.png')).metadata();
  t.same([meta.width, meta.height, meta.density], [750, 300, 300]);
  t.match(await readFile(join(unit, 'label.zpl'), 'utf8'), /\^BQN,2,6\^FDMA,HTTPS:\/\/Q\.EXAMPLE\.COM/);

  const ok = await factory(['verify-label', join(unit, 'label.png'), '--identity', f]);
  t.equal(ok.code, 0, ok.out);
  t.match(JSON.parse(ok.out), { result: 'pass', mismatched: [] });

  // A phone photo: rotated, blurred, JPEG.
  const photo = join(dir, 'photo.jpg');
  await sharp(join(unit, 'label.png')).rotate(7, { background: '#ddd' }).blur(1).resize({ width: 1100 }).jpeg({ quality: 70 }).toFile(photo);
  t.equal((await factory(['verify-label', photo, '--identity', unit])).code, 0);

  const other = join(dir, 'other');
  t.equal((await factory(['provision', '--serial', 'AC1234567891', '--model', 'CAM100', '--out', other])).code, 0);
  const bad = await factory(['verify-label', join(other, 'label.png'), '--identity', f]);
  t.equal(bad.code, 3);
  t.match(JSON.parse(bad.out), { result: 'fail', mismatched: ['serial', 'fingerprint', 'code', 'passphrase'] });

  const notImage = await factory(['verify-label', join(f, 'identity.json'), '--identity', f]);
  t.equal(notImage.code, 2);

  // Sentinel scan: no secret in the manifest, stdout or stderr.
  if (decoded.ok) {
    const key = await readFile(join(f, 'device.key'), 'utf8');
    const keyBody = key.split('\n')[1]!;
    const haystack = [
      r.out, r.err, ok.out, ok.err, bad.out, bad.err,
      await readFile(join(unit, 'manifest.csv'), 'utf8'), await readFile(join(unit, 'manifest.jsonl'), 'utf8'),
    ].join('\n');
    for (const secret of [decoded.payload.code, decoded.payload.passphrase, keyBody, 'PRIVATE KEY']) t.notOk(haystack.includes(secret), 'secret leaked');
  }
  // Modes: private material 0600, public identity read-only.
  const modes = Object.fromEntries(await Promise.all((await readdir(f)).map(async (n) => [n, (await stat(join(f, n))).mode & 0o777])));
  t.same(modes, {
    'identity.json': 0o444, 'device.key': 0o600, 'device.crt': 0o444, 'ca-chain.pem': 0o444,
    'ap-passphrase': 0o600, 'srp-verifier.json': 0o444, 'device-secret': 0o600,
  });
});

t.test('provision without a CA leaves a CSR that openssl verifies', async (t) => {
  const dir = await tempDir(t, 'factory-');
  const unit = join(dir, 'unit');
  t.equal((await factory(['provision', '--serial', 'XY000001', '--model', 'CAM-2', '--out', unit])).code, 0);
  const out = execFileSync('openssl', ['req', '-in', join(unit, 'factory', 'device.csr'), '-noout', '-verify', '-subject'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  t.match(out, /serialNumber = XY000001/);
  const identity = JSON.parse(await readFile(join(unit, 'factory', 'identity.json'), 'utf8'));
  t.equal(identity.certificateSerial, null);
  t.match(identity.mac, /^[0-9a-f][26ae]:/);
  t.equal(zbar(join(unit, 'label.png')).split('#')[0], 'HTTPS://Q.EXAMPLE.COM/D/CAM-2');
});

t.test('validation errors exit 2 with a code', async (t) => {
  const dir = await tempDir(t, 'factory-');
  const ca = makeOpensslCa(dir, 'a');
  const other = makeOpensslCa(dir, 'b');
  const base = ['provision', '--model', 'CAM100', '--out', join(dir, 'u')];
  const cases: [string[], string][] = [
    [['provision', '--serial', 'ac123456', '--model', 'CAM100', '--out', join(dir, 'u')], 'bad_serial'],
    [['provision', '--serial', 'AC123456', '--model', 'cam_1', '--out', join(dir, 'u')], 'bad_model'],
    [[...base, '--serial', 'AC123456', '--ca-key', ca.key, '--ca-cert', other.cert], 'ca_mismatch'],
    [[...base, '--serial', 'AC123456', '--mac', 'nope'], 'bad_mac'],
    [[...base, '--serial', 'AC123456', '--bogus'], 'usage'],
    [['provision', '--serial', 'AC123456', '--model', 'CAM100', '--out', dir], 'output_exists'],
  ];
  for (const [args, code] of cases) {
    const r = await factory(args);
    t.equal(r.code, 2, code);
    t.match(JSON.parse(r.err), { error: code });
  }
  t.equal((await factory(['self-test'])).code, 2);
  t.equal((await factory(['provision', '--help'])).code, 0);
});

// FACTORY_BATCH_UNITS=1000 for the full-size check (about 60 s here); npm test runs 200.
const UNITS = Number(process.env.FACTORY_BATCH_UNITS ?? 200);

t.test(`a ${UNITS}-unit batch has unique codes, passphrases, device ids and keys`, async (t) => {
  const dir = await tempDir(t, 'factory-');
  const started = performance.now();
  const r = await factory(['batch', '--from', 'BT00000001', '--count', String(UNITS), '--model', 'CAM100', '--out', dir]);
  t.equal(r.code, 0, r.err);
  t.comment(`units in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const records = (await readFile(join(dir, 'manifest.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  t.equal(records.length, UNITS);
  const codes = new Set<string>();
  const passphrases = new Set<string>();
  for (const rec of records) {
    const f = join(dir, rec.serial, 'factory');
    passphrases.add(await readFile(join(f, 'ap-passphrase'), 'utf8'));
    const svg = await readFile(join(dir, rec.serial, 'label.svg'), 'utf8');
    t.notOk(svg.includes('PRIVATE'));
    const line = /Setup code ([0-9A-Z-]+)/.exec(svg)![1]!;
    codes.add(line);
  }
  for (const key of ['serial', 'deviceId', 'publicKeyFingerprint', 'mac']) t.equal(new Set(records.map((x) => x[key])).size, UNITS, key);
  t.equal(codes.size, UNITS);
  t.equal(passphrases.size, UNITS);
  const index = (await readFile(join(dir, '.uniqueness.jsonl'), 'utf8')).trim().split('\n');
  t.equal(index.length, UNITS);
  t.equal((await stat(join(dir, '.station-secret'))).mode & 0o777, 0o600);
});

t.test('a batch killed with SIGKILL at several points resumes with no duplicate and no missing serial', async (t) => {
  const dir = await tempDir(t, 'factory-');
  const args = ['--import', 'tsx', CLI, 'batch', '--from', 'KL0001', '--count', '60', '--model', 'CAM100', '--out', dir];
  for (const killAt of [3, 17, 31, 46]) {
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const lines = (await readFile(join(dir, 'manifest.jsonl'), 'utf8').catch(() => '')).split('\n').length - 1;
      if (lines >= killAt || Date.now() > deadline) break;
      await new Promise((r) => setImmediate(r));
    }
    child.kill('SIGKILL');
    await exited;
  }
  const { stdout } = await run(process.execPath, args);
  t.match(JSON.parse(stdout), { to: 'KL0060' });
  const expected = Array.from({ length: 60 }, (_, i) => `KL${String(i + 1).padStart(4, '0')}`);
  const csv = (await readFile(join(dir, 'manifest.csv'), 'utf8')).trim().split('\n').slice(1).map((l) => l.split(',')[0]);
  const jsonl = (await readFile(join(dir, 'manifest.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l).serial);
  t.same([...csv].sort(), expected);
  t.same([...jsonl].sort(), expected);
  const dirs = (await readdir(dir)).filter((n) => !n.startsWith('.') && !n.startsWith('manifest'));
  t.same(dirs.sort(), expected);
  t.same((await readdir(dir)).filter((n) => n.includes('.partial-')), []);
  for (const serial of expected) t.equal((await allFiles(join(dir, serial, 'factory'))).length, 6, serial);
  // Running it once more changes nothing.
  await run(process.execPath, args);
  t.equal((await readFile(join(dir, 'manifest.jsonl'), 'utf8')).trim().split('\n').length, 60);
});
