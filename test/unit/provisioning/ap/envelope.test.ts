import t from 'tap';
import { createCipheriv, hkdfSync } from 'node:crypto';
import {
  decodeBase64Strict,
  deriveSessionKeys,
  envelopeAad,
  envelopeNonce,
  MAX_SEQ,
  openEnvelope,
  sealEnvelope,
  type EnvelopeContext,
} from '../../../../src/provisioning/ap/envelope.js';

const K = Buffer.alloc(64, 0x4b); // a SHA-512 session key
const sidBytes = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const sid = sidBytes.toString('base64');
const ctx: EnvelopeContext = { method: 'POST', path: '/prov/v1/wifi/config', sid };
const body = Buffer.from('{"ssid":"TXlOZXR3b3Jr","password":"correct horse","auth":"WPA"}');

t.test('keys are HKDF-SHA256(K, salt = sid, info = "prov1 c2d" / "prov1 d2c"), one per direction', async (t) => {
  const keys = deriveSessionKeys(K, sidBytes);
  t.same(Buffer.from(keys.c2d), Buffer.from(hkdfSync('sha256', K, sidBytes, 'prov1 c2d', 32)));
  t.same(Buffer.from(keys.d2c), Buffer.from(hkdfSync('sha256', K, sidBytes, 'prov1 d2c', 32)));
  t.notSame(Buffer.from(keys.c2d), Buffer.from(keys.d2c));
  t.notSame(Buffer.from(deriveSessionKeys(K, Buffer.alloc(16)).c2d), Buffer.from(keys.c2d), 'another sid, other keys');
});

t.test('nonce = 4-byte direction ‖ 8-byte seq, big-endian; AAD = "METHOD path sid seq"', async (t) => {
  t.equal(envelopeNonce('c2d', 1).toString('hex'), '00000001' + '0000000000000001');
  t.equal(envelopeNonce('d2c', 258).toString('hex'), '00000002' + '0000000000000102');
  t.equal(envelopeNonce('c2d', MAX_SEQ).toString('hex'), '00000001' + '001fffffffffffff');
  t.equal(envelopeAad(ctx, 7).toString(), `POST /prov/v1/wifi/config ${sid} 7`);
});

t.test('a sealed envelope is AES-256-GCM(json) ‖ tag under that nonce and AAD (known answer by hand)', async (t) => {
  const keys = deriveSessionKeys(K, sidBytes);
  const env = sealEnvelope(keys.c2d, 'c2d', ctx, 3, body);
  const cipher = createCipheriv('aes-256-gcm', keys.c2d, Buffer.from('000000010000000000000003', 'hex'));
  cipher.setAAD(Buffer.from(`POST /prov/v1/wifi/config ${sid} 3`));
  const expected = Buffer.concat([cipher.update(body), cipher.final(), cipher.getAuthTag()]);
  t.same(env, { seq: 3, ct: expected.toString('base64') });
  t.equal(Buffer.from(env.ct, 'base64').length, body.length + 16, 'no nonce on the wire: it is implied by direction and seq');
  t.same(openEnvelope(keys.c2d, 'c2d', ctx, 3, Buffer.from(env.ct, 'base64')), body);
});

t.test('anything wrong makes open return null: byte of ct or tag, method, path, sid, seq, direction, key', async (t) => {
  const keys = deriveSessionKeys(K, sidBytes);
  const env = sealEnvelope(keys.c2d, 'c2d', ctx, 5, body);
  const ct = Buffer.from(env.ct, 'base64');
  const flip = (i: number): Buffer => {
    const c = Buffer.from(ct);
    c[i]! ^= 0x01;
    return c;
  };
  t.equal(openEnvelope(keys.c2d, 'c2d', ctx, 5, flip(0)), null, 'first ciphertext byte');
  t.equal(openEnvelope(keys.c2d, 'c2d', ctx, 5, flip(ct.length - 1)), null, 'last tag byte');
  t.equal(openEnvelope(keys.c2d, 'c2d', ctx, 5, ct.subarray(0, ct.length - 1)), null, 'truncated');
  t.equal(openEnvelope(keys.c2d, 'c2d', ctx, 5, Buffer.alloc(8)), null, 'shorter than a tag');
  t.equal(openEnvelope(keys.c2d, 'c2d', { ...ctx, path: '/prov/v1/bind' }, 5, ct), null, 'other path (A5)');
  t.equal(openEnvelope(keys.c2d, 'c2d', { ...ctx, method: 'PUT' }, 5, ct), null, 'other method');
  t.equal(openEnvelope(keys.c2d, 'c2d', { ...ctx, sid: Buffer.alloc(16).toString('base64') }, 5, ct), null, 'other session');
  t.equal(openEnvelope(keys.c2d, 'c2d', ctx, 6, ct), null, 'other seq');
  t.equal(openEnvelope(keys.c2d, 'd2c', ctx, 5, ct), null, 'other direction');
  t.equal(openEnvelope(keys.d2c, 'c2d', ctx, 5, ct), null, 'other key');
  t.equal(openEnvelope(keys.c2d, 'c2d', ctx, 0, ct), null, 'seq 0 is never valid');
  t.ok(openEnvelope(keys.c2d, 'c2d', ctx, 5, ct), 'the original still opens');
});

t.test('seq must be a safe integer from 1', async (t) => {
  const keys = deriveSessionKeys(K, sidBytes);
  for (const seq of [0, -1, 1.5, MAX_SEQ + 1, Number.NaN]) {
    t.throws(() => sealEnvelope(keys.c2d, 'c2d', ctx, seq, body), RangeError, `seal refuses ${seq}`);
  }
});

t.test('base64 fields are accepted only in canonical padded form', async (t) => {
  t.same(decodeBase64Strict('AAEC'), Buffer.from([0, 1, 2]));
  t.same(decodeBase64Strict(''), Buffer.alloc(0));
  t.equal(decodeBase64Strict('AAE'), null, 'missing padding');
  t.equal(decodeBase64Strict('AAF='), null, 'non-zero trailing bits');
  t.equal(decodeBase64Strict('AA-_'), null, 'base64url alphabet');
  t.equal(decodeBase64Strict('AA E'), null, 'space');
  t.equal(decodeBase64Strict('A==='), null);
});
