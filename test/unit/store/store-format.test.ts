import t from 'tap';
import { randomBytes } from 'node:crypto';
import {
  deriveStoreKek,
  openDocument,
  sealDocument,
  unwrapDataKey,
  wrapDataKey,
} from '../../../src/store/store-format.js';

const A = 'cam-0123456789abcdef';
const B = 'cam-zzzzzzzzzzzzzzzz';

t.test('the KEK depends on the key material and on the deviceId', async (t) => {
  const m = randomBytes(32);
  t.same(deriveStoreKek(m, A), deriveStoreKek(m, A));
  t.notSame(Buffer.from(deriveStoreKek(m, A)), Buffer.from(deriveStoreKek(m, B)));
  t.notSame(Buffer.from(deriveStoreKek(m, A)), Buffer.from(deriveStoreKek(randomBytes(32), A)));
  t.equal(deriveStoreKek(m, A).length, 32);
});

t.test('a sealed document opens only with the same DEK and deviceId (AAD)', async (t) => {
  const dek = randomBytes(32);
  const file = sealDocument(dek, '{"deviceName":"x"}', A);
  const ok = openDocument(dek, file, A);
  t.ok(ok.ok);
  if (ok.ok) t.equal(Buffer.from(ok.plaintext).toString(), '{"deviceName":"x"}');
  t.same(openDocument(dek, file, B), { ok: false, why: 'authentication failed (tampered, torn, or another key/unit)' });
  t.equal(openDocument(randomBytes(32), file, A).ok, false);
  t.not(Buffer.from(sealDocument(dek, '{}', A)).toString('hex'), Buffer.from(sealDocument(dek, '{}', A)).toString('hex'), 'fresh nonce per write');
});

t.test('a wrapped key is not accepted as a store and vice versa (magic), and unwraps only to 32 bytes', async (t) => {
  const kek = randomBytes(32);
  const dek = randomBytes(32);
  const wrapped = wrapDataKey(kek, dek, A);
  const un = unwrapDataKey(kek, wrapped, A);
  t.ok(un.ok);
  if (un.ok) t.same(Buffer.from(un.plaintext), dek);
  t.equal(openDocument(kek, wrapped, A).ok, false);
  t.equal(unwrapDataKey(kek, sealDocument(kek, '{}', A), A).ok, false);
  t.equal(unwrapDataKey(kek, wrapped, B).ok, false, 'bound to the deviceId');
  t.equal(unwrapDataKey(kek, wrapDataKey(kek, randomBytes(16), A), A).ok, false, 'wrong DEK length');
});
