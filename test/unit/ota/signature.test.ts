import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import t from 'tap';
import { canonicalManifest } from '../../../src/ota/ota-job.js';
import { keyIdOf, signManifest, trustedKeys, verifyManifest } from '../../../src/ota/signature.js';

const ed = generateKeyPairSync('ed25519');
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ed25519');
const otherEc = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const pem = (k: KeyObject): string => k.export({ type: 'spki', format: 'pem' }) as string;
const FIELDS = { version: '1.4.0', size: 10_000_000, sha256: 'ab'.repeat(32), compatible: ['CAM-100'], downgrade: false };
const MANIFEST = canonicalManifest(FIELDS);

const ring = trustedKeys([
  { name: 'vendor-ed25519.pem', pem: pem(ed.publicKey) },
  { name: 'vendor-p256.pem', pem: pem(ec.publicKey) },
]);

/** Flip one bit of the manifest byte at the first occurrence of `marker`. */
function tamper(manifest: Uint8Array, marker: string): Uint8Array {
  const text = Buffer.from(manifest);
  const i = text.indexOf(marker);
  if (i < 0) throw new Error(`marker ${marker} not in manifest`);
  const copy = Buffer.from(text);
  copy[i + marker.length] = copy[i + marker.length]! ^ 0x01;
  return copy;
}

t.test('keyIdOf is the first 16 hex characters of SHA-256 over the SPKI DER, the same for private and public halves', async (t) => {
  const id = keyIdOf(ed.publicKey);
  t.match(id, /^[0-9a-f]{16}$/);
  t.equal(keyIdOf(ed.privateKey), id);
  t.equal(keyIdOf(createPublicKey(pem(ed.publicKey))), id, 'stable across PEM round trips');
  t.not(keyIdOf(other.publicKey), id);
  const { createHash } = await import('node:crypto');
  t.equal(id, createHash('sha256').update(ed.publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16));
});

t.test('the keyring takes Ed25519 and P-256 public keys', async (t) => {
  t.same(ring.rejected, []);
  t.same(ring.keys.map((k) => [k.name, k.alg, k.id]), [
    ['vendor-ed25519.pem', 'ed25519', keyIdOf(ed.publicKey)],
    ['vendor-p256.pem', 'ecdsa-p256', keyIdOf(ec.publicKey)],
  ]);
  t.ok(ring.keys.every((k) => k.key.type === 'public'));
});

t.test('the keyring rejects RSA, other curves, private keys, certificates, several blocks, duplicates and garbage, with reasons', async (t) => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const ed448 = generateKeyPairSync('ed448');
  const privatePem = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const secretMarker = privatePem.split('\n')[1]!;
  const r = trustedKeys([
    { name: 'rsa.pem', pem: pem(rsa.publicKey) },
    { name: 'rsa-pkcs1.pem', pem: rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string },
    { name: 'p384.pem', pem: pem(p384.publicKey) },
    { name: 'ed448.pem', pem: pem(ed448.publicKey) },
    { name: 'private.pem', pem: privatePem },
    { name: 'ec-private.pem', pem: ec.privateKey.export({ type: 'sec1', format: 'pem' }) as string },
    { name: 'cert.pem', pem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' },
    { name: 'two.pem', pem: pem(ed.publicKey) + pem(ec.publicKey) },
    { name: 'garbage.pem', pem: 'hello' },
    { name: 'broken.pem', pem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' },
    { name: 'empty.pem', pem: '' },
    { name: 'good.pem', pem: pem(ed.publicKey) },
    { name: 'again.pem', pem: pem(ed.publicKey) },
  ]);
  t.same(r.keys.map((k) => k.name), ['good.pem']);
  const reasons = Object.fromEntries(r.rejected.map((x) => [x.name, x.reason]));
  t.same(Object.keys(reasons), ['rsa.pem', 'rsa-pkcs1.pem', 'p384.pem', 'ed448.pem', 'private.pem', 'ec-private.pem', 'cert.pem', 'two.pem', 'garbage.pem', 'broken.pem', 'empty.pem', 'again.pem']);
  t.match(reasons['rsa.pem'], /rsa key; only Ed25519 and EC P-256/);
  t.match(reasons['rsa-pkcs1.pem'], /rsa key/);
  t.match(reasons['p384.pem'], /secp384r1/);
  t.match(reasons['ed448.pem'], /ed448/);
  t.match(reasons['private.pem'], /private key/);
  t.match(reasons['ec-private.pem'], /private key/);
  t.match(reasons['cert.pem'], /certificate/);
  t.match(reasons['two.pem'], /more than one/);
  t.match(reasons['garbage.pem'], /not a PEM/);
  t.match(reasons['broken.pem'], /not a readable public key/);
  t.match(reasons['again.pem'], /same key as good.pem/);
  t.notOk(r.rejected.some((x) => x.reason.includes(secretMarker)), 'a reason never quotes the key material');
});

for (const [alg, pair] of [['Ed25519', ed], ['P-256', ec]] as const) {
  t.test(`${alg}: a signed manifest verifies, with and without keyId`, async (t) => {
    const sig = signManifest(MANIFEST, pair.privateKey);
    t.match(sig, /^[A-Za-z0-9+/]+={0,2}$/);
    const id = keyIdOf(pair.publicKey);
    t.same(verifyManifest(MANIFEST, sig, ring.keys, id), { ok: true, keyId: id });
    t.same(verifyManifest(MANIFEST, sig, ring.keys), { ok: true, keyId: id }, 'found by trying every key');
  });

  t.test(`${alg}: flipping one byte of version, size or sha256 is signature_invalid`, async (t) => {
    const sig = signManifest(MANIFEST, pair.privateKey);
    const id = keyIdOf(pair.publicKey);
    for (const marker of ['"version":"', '"size":', '"sha256":"', '"compatible":["', '"downgrade":f', '"type":"']) {
      const bad = tamper(MANIFEST, marker);
      for (const withId of [id, undefined]) {
        const r = verifyManifest(bad, sig, ring.keys, withId);
        t.same(r.ok ? null : r.code, 'signature_invalid', `${marker} ${withId ? 'with' : 'without'} keyId`);
      }
    }
    const fields = canonicalManifest({ ...FIELDS, downgrade: true });
    t.same((verifyManifest(fields, sig, ring.keys) as { code?: string }).code, 'signature_invalid', 'a signature for downgrade=false does not allow a downgrade');
  });

  t.test(`${alg}: a flipped signature bit is signature_invalid`, async (t) => {
    const raw = Buffer.from(signManifest(MANIFEST, pair.privateKey), 'base64');
    for (const at of [0, 10, raw.length - 1]) {
      const bad = Buffer.from(raw);
      bad[at] = bad[at]! ^ 0x80;
      const r = verifyManifest(MANIFEST, bad.toString('base64'), ring.keys, keyIdOf(pair.publicKey));
      t.same(r.ok ? null : r.code, 'signature_invalid', `byte ${at}`);
    }
  });
}

t.test('a signature by an untrusted key: unknown_signing_key when it names itself, signature_invalid otherwise', async (t) => {
  for (const pair of [other, otherEc]) {
    const sig = signManifest(MANIFEST, pair.privateKey);
    const named = verifyManifest(MANIFEST, sig, ring.keys, keyIdOf(pair.publicKey));
    t.same(named.ok ? null : named.code, 'unknown_signing_key');
    if (!named.ok) t.match(named.message, keyIdOf(pair.publicKey));
    const anon = verifyManifest(MANIFEST, sig, ring.keys);
    t.same(anon.ok ? null : anon.code, 'signature_invalid');
  }
});

t.test('a trusted key id with another trusted key\'s signature is signature_invalid (only the named key is tried)', async (t) => {
  const sig = signManifest(MANIFEST, ed.privateKey);
  const r = verifyManifest(MANIFEST, sig, ring.keys, keyIdOf(ec.publicKey));
  t.same(r.ok ? null : r.code, 'signature_invalid');
});

t.test('an empty keyring is no_trusted_keys, before anything else', async (t) => {
  const sig = signManifest(MANIFEST, ed.privateKey);
  for (const s of [sig, '!!!']) {
    const r = verifyManifest(MANIFEST, s, []);
    t.same(r.ok ? null : r.code, 'no_trusted_keys');
  }
});

t.test('a signature that is not base64 is signature_malformed', async (t) => {
  for (const s of ['', 'not base64!', 'YWJj ZA==', 'YWJjZA', 'ab-_', 'A'.repeat(516), 'YQ===', 42 as unknown as string]) {
    const r = verifyManifest(MANIFEST, s, ring.keys, keyIdOf(ed.publicKey));
    t.same(r.ok ? null : r.code, 'signature_malformed', JSON.stringify(s).slice(0, 20));
  }
  const short = verifyManifest(MANIFEST, 'YWJj', ring.keys);
  t.same(short.ok ? null : short.code, 'signature_invalid', 'valid base64 of the wrong length is simply invalid');
});

t.test('an Ed25519 signature over a different document by the same key does not verify as a manifest (domain separation)', async (t) => {
  const text = Buffer.from(MANIFEST).toString().replace('"type":"camera-agent-firmware"', '"type":"camera-agent-config"');
  const sig = signManifest(Buffer.from(text), ed.privateKey);
  const r = verifyManifest(MANIFEST, sig, ring.keys);
  t.same(r.ok ? null : r.code, 'signature_invalid');
});

t.test('signManifest refuses public keys and other algorithms', async (t) => {
  t.throws(() => signManifest(MANIFEST, ed.publicKey), RangeError);
  t.throws(() => signManifest(MANIFEST, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey), RangeError);
  t.throws(() => signManifest(MANIFEST, generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey), RangeError);
});

t.test('signatures made with OpenSSL conventions verify (ECDSA DER, Ed25519 raw 64 bytes)', async (t) => {
  t.equal(Buffer.from(signManifest(MANIFEST, ed.privateKey), 'base64').length, 64);
  const der = Buffer.from(signManifest(MANIFEST, ec.privateKey), 'base64');
  t.equal(der[0], 0x30, 'ECDSA signature is a DER SEQUENCE');
  t.ok(der.length >= 8 && der.length <= 72);
});
