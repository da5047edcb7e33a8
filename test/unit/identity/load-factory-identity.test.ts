import t from 'tap';
import { chmod, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { loadFactoryIdentity, type IdentityCheck } from '../../../src/identity/load-factory-identity.js';
import { factoryPath } from '../../../src/identity/factory-layout.js';
import { tempDir } from '../../helpers/tmp.js';
import {
  DEVICE_ID,
  SERIAL,
  issueDeviceCert,
  keyPem,
  makeCa,
  makeFactoryUnit,
  newKey,
  type Ca,
  type FactoryUnit,
} from './factory-fixture.js';

const clock = { now: () => Date.now() };
const DAY = 86_400_000;

let work: string;
let root: Ca;
let intermediate: Ca;

t.before(async () => {
  // tempDir needs a Test for teardown; use the root tap instance.
  work = await tempDir(t, 'identity-');
  root = await makeCa(work, 'Acme Factory Root CA');
  intermediate = await makeCa(work, 'Acme Factory Line 3 CA', root);
});

async function unit(opts: Parameters<typeof makeFactoryUnit>[2] = {}, chain?: Ca[]): Promise<FactoryUnit> {
  return makeFactoryUnit(work, chain ?? [intermediate, root], opts);
}

function codeOf(r: IdentityCheck): string {
  return r.ok ? 'ok' : r.error.code;
}

async function editIdentity(u: FactoryUnit, patch: Record<string, unknown>): Promise<void> {
  await writeFile(factoryPath(u.dir, 'identity'), JSON.stringify({ ...u.identity, ...patch }));
}

t.test('a consistent factory partition loads with key, certificate, chain, AP passphrase and SRP verifier', async (t) => {
  const u = await unit();
  const r = await loadFactoryIdentity(u.dir, { clock });
  t.equal(codeOf(r), 'ok');
  if (!r.ok) return;
  t.same(r.loaded.identity, u.identity);
  t.equal(r.loaded.privateKey.type, 'private');
  t.equal(r.loaded.certificate.subject.split('\n')[0], `CN=${DEVICE_ID}`);
  t.equal(new X509Certificate(r.loaded.certificatePem).serialNumber, r.loaded.certificate.serialNumber);
  t.match(r.loaded.caChainPem, /BEGIN CERTIFICATE[\s\S]+BEGIN CERTIFICATE/);
  t.equal(r.loaded.apPassphrase, u.apPassphrase, 'trailing newline stripped');
  t.equal(r.loaded.srpVerifier.suite.id, 'srp6a-3072-sha512');
  t.equal(r.loaded.srpVerifier.verifier.length, 384);
});

t.test('a chain of just the issuing root also loads; so does a certificate without serialNumber in the subject', async (t) => {
  const u = await unit({ serialInSubject: null }, [root]);
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'ok');
});

t.test('identity_missing when identity.json is absent', async (t) => {
  const u = await unit();
  await unlink(factoryPath(u.dir, 'identity'));
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'identity_missing');
  t.equal(codeOf(await loadFactoryIdentity(`${u.dir}-nowhere`, { clock })), 'identity_missing');
});

t.test('identity_invalid names the bad field', async (t) => {
  const u = await unit();
  const cases: [Record<string, unknown>, string][] = [
    [{ formatVersion: 2 }, 'formatVersion'],
    [{ deviceId: 'cam-0123456789ABCDEF' }, 'deviceId'],
    [{ deviceId: 'cam-0123456789abcdeu' }, 'deviceId'],
    [{ serial: 'ac1234567890' }, 'serial'],
    [{ serial: 'AC-1234' }, 'serial'],
    [{ mac: '02:11:22:33:44' }, 'mac'],
    [{ mac: '02:11:22:33:44:GG' }, 'mac'],
    [{ publicKeyFingerprint: 'abc' }, 'publicKeyFingerprint'],
    [{ labelFormat: 0 }, 'labelFormat'],
    [{ certificateSerial: 'not-hex' }, 'certificateSerial'],
    [{ manufacturedAt: '2025-02-30' }, 'manufacturedAt'],
    [{ model: '' }, 'model'],
  ];
  for (const [patch, field] of cases) {
    await editIdentity(u, patch);
    const r = await loadFactoryIdentity(u.dir, { clock });
    t.equal(codeOf(r), 'identity_invalid', JSON.stringify(patch));
    if (!r.ok) t.equal(r.error.field, field);
  }
  await writeFile(factoryPath(u.dir, 'identity'), '{"formatVersion":1,');
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'identity_invalid', 'truncated JSON');
  await editIdentity(u, { addedByNewerStation: true });
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'ok', 'an extra key from a newer factory station is tolerated');
});

t.test('key_missing, key_permissions and key_invalid', async (t) => {
  const u = await unit();
  const keyPath = factoryPath(u.dir, 'privateKey');
  await chmod(keyPath, 0o640);
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'key_permissions', 'group-readable');
  await chmod(keyPath, 0o604);
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'key_permissions', 'world-readable');
  await chmod(keyPath, 0o400);
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'ok', '0400 is stricter than 0600: fine');

  await rm(keyPath);
  await writeFile(keyPath, 'not a key', { mode: 0o600 });
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'key_invalid');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
  await writeFile(keyPath, keyPem(rsa), { mode: 0o600 });
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'key_invalid', 'RSA is not the P-256 contract');

  await unlink(keyPath);
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'key_missing');
});

t.test('certificate_missing when only a CSR exists, certificate_invalid on garbage', async (t) => {
  const u = await unit();
  await writeFile(factoryPath(u.dir, 'certificate'), 'garbage');
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'certificate_invalid');
  await unlink(factoryPath(u.dir, 'certificate'));
  await writeFile(factoryPath(u.dir, 'csr'), '-----BEGIN CERTIFICATE REQUEST-----\n');
  const r = await loadFactoryIdentity(u.dir, { clock });
  t.equal(codeOf(r), 'certificate_missing');
  if (!r.ok) t.match(r.error.message, /only device\.csr/);
});

t.test('key_certificate_mismatch when the certificate was issued for another key', async (t) => {
  const u = await unit({ certKey: newKey() });
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'key_certificate_mismatch');
});

t.test('certificate_subject_mismatch when CN is not the deviceId', async (t) => {
  const u = await unit({ subject: `/CN=cam-zzzzzzzzzzzzzzzz/serialNumber=${SERIAL}` });
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'certificate_subject_mismatch');
});

t.test('serial_mismatch: subject serialNumber, key fingerprint, certificate serial', async (t) => {
  const u1 = await unit({ serialInSubject: 'AC0000000000' });
  const r1 = await loadFactoryIdentity(u1.dir, { clock });
  t.equal(codeOf(r1), 'serial_mismatch');
  if (!r1.ok) t.equal(r1.error.field, 'serial');

  const u2 = await unit();
  await editIdentity(u2, { publicKeyFingerprint: 'ab'.repeat(32) });
  const r2 = await loadFactoryIdentity(u2.dir, { clock });
  t.equal(codeOf(r2), 'serial_mismatch');
  if (!r2.ok) t.equal(r2.error.field, 'publicKeyFingerprint');

  await editIdentity(u2, { certificateSerial: '0badc0de' });
  const r3 = await loadFactoryIdentity(u2.dir, { clock });
  t.equal(codeOf(r3), 'serial_mismatch');
  if (!r3.ok) t.equal(r3.error.field, 'certificateSerial');

  await editIdentity(u2, { certificateSerial: null });
  t.equal(codeOf(await loadFactoryIdentity(u2.dir, { clock })), 'ok', 'null certificateSerial is not compared');
});

t.test('chain_invalid: foreign CA, missing chain, broken link, stray certificate, not a CA', async (t) => {
  const foreign = await makeCa(work, 'Someone Else CA');
  const u = await unit();
  const chainPath = factoryPath(u.dir, 'caChain');

  await writeFile(chainPath, foreign.pem);
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'chain_invalid', 'device cert not issued by the chain');

  // Same subject name as the real intermediate, different key: names match, signature does not.
  const impostor = await makeCa(work, 'Acme Factory Line 3 CA', root);
  await writeFile(chainPath, impostor.pem + root.pem);
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'chain_invalid', 'look-alike intermediate');

  // Intermediate signed by another root that has the real root's name.
  const otherRoot = await makeCa(work, 'Acme Factory Root CA');
  await writeFile(chainPath, intermediate.pem + otherRoot.pem);
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'chain_invalid', 'broken link above the intermediate');

  await writeFile(chainPath, intermediate.pem + root.pem + foreign.pem);
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'chain_invalid', 'stray certificate');

  await writeFile(chainPath, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'chain_invalid', 'unparseable');

  await writeFile(chainPath, '');
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'chain_invalid', 'empty');

  await unlink(chainPath);
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'chain_invalid', 'missing');

  // A device certificate (no CA:TRUE) used as the issuer of another certificate.
  const leafKey = newKey();
  const leafCa = { keyPath: `${u.dir}/leaf.key`, certPath: `${u.dir}/leaf.crt`, pem: '' };
  await writeFile(leafCa.keyPath, keyPem(leafKey), { mode: 0o600 });
  leafCa.pem = await issueDeviceCert(work, root, { key: leafKey, subject: '/CN=not-a-ca', serialHex: '0a' });
  await writeFile(leafCa.certPath, leafCa.pem);
  const u2 = await makeFactoryUnit(work, [leafCa, root]);
  t.equal(codeOf(await loadFactoryIdentity(u2.dir, { clock })), 'chain_invalid', 'issuer is not a CA');
});

t.test('certificate_expired and certificate_not_yet_valid follow the clock passed in', async (t) => {
  const u = await unit();
  const cert = new X509Certificate(await readFile(factoryPath(u.dir, 'certificate'), 'utf8'));
  const expired = await loadFactoryIdentity(u.dir, { clock: { now: () => Date.parse(cert.validTo) + DAY } });
  t.equal(codeOf(expired), 'certificate_expired');
  const early = await loadFactoryIdentity(u.dir, { clock: { now: () => Date.parse(cert.validFrom) - DAY } });
  t.equal(codeOf(early), 'certificate_not_yet_valid');
  const rtcReset = await loadFactoryIdentity(u.dir, { clock: { now: () => 0 } });
  t.equal(codeOf(rtcReset), 'certificate_not_yet_valid', 'a camera whose RTC reset to 1970 gets the retry-after-NTP code');
});

t.test('ap_passphrase_missing, srp_verifier_missing and srp_verifier_invalid', async (t) => {
  const u = await unit();
  const srpPath = factoryPath(u.dir, 'srpVerifier');
  const good = JSON.parse(await readFile(srpPath, 'utf8')) as Record<string, string>;
  for (const bad of [
    { ...good, suite: 'srp6a-1536-sha1' },
    { ...good, salt: Buffer.alloc(8).toString('base64') },
    { ...good, verifier: Buffer.alloc(384).toString('base64') },
    { ...good, verifier: Buffer.alloc(383, 1).toString('base64') },
  ]) {
    await writeFile(srpPath, JSON.stringify(bad));
    t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'srp_verifier_invalid');
  }
  await writeFile(srpPath, '{');
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'srp_verifier_invalid');
  await unlink(srpPath);
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'srp_verifier_missing');
  await writeFile(factoryPath(u.dir, 'apPassphrase'), '\n');
  t.equal(codeOf(await loadFactoryIdentity(u.dir, { clock })), 'ap_passphrase_missing');
});

t.test('no error message carries a secret', async (t) => {
  const u = await unit({ certKey: newKey() });
  const pem = keyPem(u.key);
  const r = await loadFactoryIdentity(u.dir, { clock });
  t.equal(codeOf(r), 'key_certificate_mismatch');
  const text = JSON.stringify(r);
  t.notOk(text.includes(u.apPassphrase));
  t.notOk(text.includes(pem.split('\n')[1] ?? 'x'));
});
