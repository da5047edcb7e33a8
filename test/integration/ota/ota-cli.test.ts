/** `camera-agent ota keygen|sign|verify`: the vendor's signing round trip, checked with the agent's own verification. */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { otaCommand } from '../../../src/cli/ota-command.js';
import { canonicalManifest, parseOtaJob } from '../../../src/ota/ota-job.js';
import { keyIdOf, trustedKeys, verifyManifest } from '../../../src/ota/signature.js';
import type { OtaJob } from '../../../src/ota/types.js';
import { writeTestFirmwareImage } from '../../helpers/ota-fixtures.js';
import { tempDir } from '../../helpers/tmp.js';

const execFileP = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

async function ota(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await otaCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

/** A vendor key folder plus the device's key folder holding only the public half. */
async function vendor(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t, 'ota-cli-');
  const keysOut = join(dir, 'signing');
  const gen = await ota('keygen', '--out', keysOut);
  if (gen.code !== 0) throw new Error(gen.err.join('\n'));
  const deviceKeys = join(dir, 'ota-keys');
  await mkdir(deviceKeys);
  await writeFile(join(deviceKeys, 'vendor.pem'), await readFile(join(keysOut, 'vendor-public.pem')));
  const image = await writeTestFirmwareImage(join(dir, 'fw.img'), '1.2.0', 200_000);
  return { dir, keysOut, deviceKeys, image, privateKey: join(keysOut, 'vendor-private.pem'), keyId: JSON.parse(gen.out[0]!).keyId as string };
}

async function sign(v: Awaited<ReturnType<typeof vendor>>, ...extra: string[]) {
  const r = await ota('sign', '--key', v.privateKey, '--image', v.image.path, '--version', '1.2.0', '--compatible', 'CAM-1,CAM-2', '--url', 'https://updates.example.com/fw.img?sig=abc', ...extra);
  return { ...r, job: r.code === 0 ? (JSON.parse(r.out.join('\n')) as OtaJob) : null };
}

t.test('keygen writes an Ed25519 pair, the private key readable only by its owner, and never overwrites', async (t) => {
  const dir = await tempDir(t);
  const out = join(dir, 'k');
  const r = await ota('keygen', '--out', out);
  t.equal(r.code, 0, r.err.join('\n'));
  const info = JSON.parse(r.out[0]!);
  t.match(info, { keyId: /^[0-9a-f]{16}$/, alg: 'ed25519', privateKey: join(out, 'vendor-private.pem'), publicKey: join(out, 'vendor-public.pem') });
  t.equal((await stat(join(out, 'vendor-private.pem'))).mode & 0o777, 0o600);
  t.match(await readFile(join(out, 'vendor-private.pem'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
  const pub = await readFile(join(out, 'vendor-public.pem'), 'utf8');
  t.match(pub, /^-----BEGIN PUBLIC KEY-----/);
  const ring = trustedKeys([{ name: 'vendor-public.pem', pem: pub }]);
  t.match(ring, { keys: [{ id: info.keyId, alg: 'ed25519' }], rejected: [] }, 'the device accepts the public key');

  const again = await ota('keygen', '--out', out);
  t.equal(again.code, 1);
  t.match(again.err[0], /exists; keys are never overwritten/);
  t.equal(await readFile(join(out, 'vendor-public.pem'), 'utf8'), pub, 'the old key is untouched');
});

t.test('sign prints a job the agent accepts: size and sha256 of the image, signature over the canonical manifest, keyId', async (t) => {
  const v = await vendor(t);
  const before = Date.now();
  const { code, job, err } = await sign(v, '--job-id', 'rollout-42', '--deadline-hours', '2');
  t.equal(code, 0, err.join('\n'));
  t.match(job, {
    jobId: 'rollout-42',
    version: '1.2.0',
    size: 200_000,
    sha256: v.image.sha256,
    compatible: ['CAM-1', 'CAM-2'],
    downgrade: false,
    url: 'https://updates.example.com/fw.img?sig=abc',
    keyId: v.keyId,
  });
  t.ok(job!.deadline >= before + 2 * 3_600_000 && job!.deadline <= Date.now() + 2 * 3_600_000, 'deadline in 2 h');
  const parsed = parseOtaJob(job, { now: Date.now(), maxImageBytes: 512 * 1024 * 1024 });
  t.ok(parsed.ok, 'parseOtaJob accepts it');
  const ring = trustedKeys([{ name: 'vendor.pem', pem: await readFile(join(v.deviceKeys, 'vendor.pem'), 'utf8') }]);
  t.same(verifyManifest(canonicalManifest(job!), job!.signature, ring.keys, job!.keyId), { ok: true, keyId: v.keyId });

  const defaults = await sign(v);
  t.match(defaults.job, { jobId: /^ota-[0-9a-f]{16}$/, downgrade: false });
  t.ok(defaults.job!.deadline > Date.now() + 71 * 3_600_000, 'default deadline 72 h');
  t.equal((await sign(v, '--downgrade')).job!.downgrade, true);
});

t.test('verify accepts a good job and image, and names the signer', async (t) => {
  const v = await vendor(t);
  const { job } = await sign(v);
  const jobFile = join(v.dir, 'job.json');
  await writeFile(jobFile, JSON.stringify(job));
  const r = await ota('verify', '--keys', v.deviceKeys, '--job', jobFile, '--image', v.image.path, '--model', 'CAM-2', '--running', '1.1.9');
  t.equal(r.code, 0, r.out.join('\n'));
  t.match(JSON.parse(r.out[0]!), { ok: true, jobId: job!.jobId, version: '1.2.0', keyId: v.keyId, signer: 'vendor.pem', imageChecked: true });
});

t.test('verify fails with the agent\'s error codes', async (t) => {
  const v = await vendor(t);
  const { job } = await sign(v);
  const check = async (name: string, patch: Record<string, unknown>, ...extra: string[]) => {
    const file = join(v.dir, `${name}.json`);
    await writeFile(file, JSON.stringify({ ...job, ...patch }));
    const r = await ota('verify', '--keys', v.deviceKeys, '--job', file, ...extra);
    t.equal(r.code, 1, `${name}: exit 1`);
    return JSON.parse(r.out[0]!) as { ok: false; code: string; message: string };
  };
  t.match(await check('tampered-version', { version: '9.9.9' }), { ok: false, code: 'signature_invalid' }, 'a changed manifest field breaks the signature');
  t.match(await check('tampered-models', { compatible: ['CAM-1', 'CAM-2', 'CAM-3'] }), { code: 'signature_invalid' });
  t.match(await check('downgrade-flag', { downgrade: true }), { code: 'signature_invalid' });
  const other = generateKeyPairSync('ed25519').publicKey;
  t.match(await check('other-key', { keyId: keyIdOf(other) }), { code: 'unknown_signing_key' });
  t.match(await check('expired', { deadline: Date.now() - 1000 }), { code: 'job_expired' });
  t.match(await check('http', { url: 'http://updates.example.com/fw.img' }), { code: 'url_not_https' });
  t.match(await check('bad-shape', { size: 'big' }), { code: 'invalid_job' });
  t.match(await check('model', {}, '--model', 'CAM-9'), { code: 'incompatible_model' });
  t.match(await check('same', {}, '--running', '1.2.0'), { code: 'same_version' });
  t.match(await check('older', {}, '--running', '1.10.0'), { code: 'downgrade_refused' });
  t.match(await check('too-large', {}, '--max-image-bytes', '1000'), { code: 'image_too_large' });
});

t.test('the URL, job id and deadline are not signed: a re-issued job for a mirror still verifies', async (t) => {
  const v = await vendor(t);
  const { job } = await sign(v);
  const file = join(v.dir, 'mirror.json');
  await writeFile(file, JSON.stringify({ ...job, url: 'https://mirror.example.net/x.img', jobId: 'retry-1', deadline: Date.now() + 60_000 }));
  const r = await ota('verify', '--keys', v.deviceKeys, '--job', file, '--image', v.image.path);
  t.equal(r.code, 0, r.out.join('\n'));
});

t.test('verify checks the image: a changed byte, a truncated or a missing image fail', async (t) => {
  const v = await vendor(t);
  const { job } = await sign(v);
  const jobFile = join(v.dir, 'job.json');
  await writeFile(jobFile, JSON.stringify(job));
  const bytes = await readFile(v.image.path);
  const run = async (image: string) => {
    const r = await ota('verify', '--keys', v.deviceKeys, '--job', jobFile, '--image', image);
    t.equal(r.code, 1);
    return JSON.parse(r.out[0]!) as { code: string };
  };
  const flipped = Buffer.from(bytes);
  flipped[100_000] = flipped[100_000]! ^ 1;
  await writeFile(join(v.dir, 'flipped.img'), flipped);
  t.match(await run(join(v.dir, 'flipped.img')), { code: 'sha256_mismatch' });
  await writeFile(join(v.dir, 'short.img'), bytes.subarray(0, 1000));
  t.match(await run(join(v.dir, 'short.img')), { code: 'size_mismatch' });
  t.match(await run(join(v.dir, 'nope.img')), { code: 'image_missing' });
});

t.test('verify with no usable key fails no_trusted_keys and says why each file was ignored', async (t) => {
  const v = await vendor(t);
  const { job } = await sign(v);
  const jobFile = join(v.dir, 'job.json');
  await writeFile(jobFile, JSON.stringify(job));
  const missing = await ota('verify', '--keys', join(v.dir, 'no-such-dir'), '--job', jobFile);
  t.equal(missing.code, 1);
  t.match(JSON.parse(missing.out[0]!), { code: 'no_trusted_keys' });

  const wrong = join(v.dir, 'wrong-keys');
  await mkdir(wrong);
  await writeFile(join(wrong, 'oops.pem'), await readFile(v.privateKey));
  await writeFile(join(wrong, 'notes.txt'), 'not a key, not read');
  const r = await ota('verify', '--keys', wrong, '--job', jobFile);
  t.equal(r.code, 1);
  t.match(JSON.parse(r.out[0]!), { code: 'no_trusted_keys' });
  t.same(r.err, ['ota verify: key file oops.pem ignored: a private key (the device needs only the public key)']);
  t.notMatch(r.err.join('\n') + r.out.join('\n'), /PRIVATE KEY-----\n/, 'the key itself is never printed');
});

t.test('rotation: a job signed with the new key verifies on a device holding old and new public keys', async (t) => {
  const v = await vendor(t);
  const next = join(v.dir, 'next');
  t.equal((await ota('keygen', '--out', next)).code, 0);
  await writeFile(join(v.deviceKeys, 'vendor-2027.pem'), await readFile(join(next, 'vendor-public.pem')));
  const r = await ota('sign', '--key', join(next, 'vendor-private.pem'), '--image', v.image.path, '--version', '1.2.0', '--compatible', 'CAM-1', '--url', 'https://u.example.com/a');
  t.equal(r.code, 0);
  const jobFile = join(v.dir, 'job.json');
  await writeFile(jobFile, r.out.join('\n'));
  const ok = await ota('verify', '--keys', v.deviceKeys, '--job', jobFile);
  t.match(JSON.parse(ok.out[0]!), { ok: true, signer: 'vendor-2027.pem' });
});

t.test('sign also takes an ECDSA P-256 key', async (t) => {
  const v = await vendor(t);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyFile = join(v.dir, 'p256.pem');
  await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await writeFile(join(v.deviceKeys, 'p256.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
  const r = await ota('sign', '--key', keyFile, '--image', v.image.path, '--version', '1.2.0', '--compatible', 'CAM-1', '--url', 'https://u.example.com/a');
  t.equal(r.code, 0, r.err.join('\n'));
  const jobFile = join(v.dir, 'job.json');
  await writeFile(jobFile, r.out.join('\n'));
  t.match(JSON.parse((await ota('verify', '--keys', v.deviceKeys, '--job', jobFile)).out[0]!), { ok: true, signer: 'p256.pem' });
});

t.test('sign refuses what the agent would refuse, and keys it cannot use', async (t) => {
  const v = await vendor(t);
  const base = ['--key', v.privateKey, '--image', v.image.path, '--compatible', 'CAM-1', '--url', 'https://u.example.com/a'];
  const badVersion = await ota('sign', ...base, '--version', 'v1.2');
  t.equal(badVersion.code, 2);
  t.match(badVersion.err[0], /^ota sign: invalid_job: version/);
  const http = await ota('sign', ...base.slice(0, -2), '--url', 'http://u.example.com/a', '--version', '1.2.0');
  t.match(http, { code: 2, err: [/url_not_https/] });
  t.match(await ota('sign', ...base, '--version', '1.2.0', '--job-id', 'has space'), { code: 2, err: [/invalid_job: jobId/] });
  t.match(await ota('sign', ...base, '--version', '1.2.0', '--deadline-hours', '-1'), { code: 2, err: [/--deadline-hours/] });
  const pub = await ota('sign', ...base.slice(2), '--key', join(v.keysOut, 'vendor-public.pem'), '--version', '1.2.0');
  t.match(pub, { code: 1, err: [/is not an unencrypted PEM private key/] });
  const rsaFile = join(v.dir, 'rsa.pem');
  await writeFile(rsaFile, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  t.match(await ota('sign', ...base.slice(2), '--key', rsaFile, '--version', '1.2.0'), { code: 1, err: [/use Ed25519 or EC P-256/] });
  t.match(await ota('sign', ...base.slice(0, 2), ...base.slice(4), '--image', join(v.dir, 'nope.img'), '--version', '1.2.0'), { code: 1, err: [/cannot read the image/] });
});

t.test('usage: missing options and unknown commands exit 2; the CLI dispatches ota', async (t) => {
  t.match(await ota('sign', '--key', 'k.pem'), { code: 2, err: ['ota sign: --image, --version, --compatible, --url are required'] });
  t.match(await ota('keygen'), { code: 2, err: ['ota keygen: --out is required'] });
  t.match(await ota('verify', '--bogus'), { code: 2 });
  t.match(await ota('frobnicate'), { code: 2, err: [/unknown ota command: frobnicate/] });
  t.match(await ota(), { code: 2, out: [/Usage: camera-agent ota keygen/] });
  t.match(await ota('sign', '--help'), { code: 0, out: [/Usage: camera-agent ota keygen/] });
  // Through the real dispatcher, in a child process: its output goes to the process's stdout.
  const cli = (...args: string[]) =>
    execFileP(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { main } from './src/cli.ts'; process.exitCode = await main(${JSON.stringify(args)});`], { cwd: ROOT });
  const { stdout: printed } = await cli('ota', '--help');
  t.match(printed, /Usage: camera-agent ota keygen/);
  const { stdout: overview } = await cli('--help');
  t.match(overview, /ota keygen\|sign\|verify/);
});
