import t from 'tap';
import { randomBytes } from 'node:crypto';
import {
  bigIntToBytes,
  completeSrpClient,
  computeSrpServerPremaster,
  computeSrpVerifier,
  createSrpClientHello,
  createSrpServerChallenge,
  modPow,
  SRP_SUITE_1024_SHA1,
  SRP_SUITE_3072_SHA512,
  verifySrpClient,
} from '../../../../src/crypto/srp.js';
import {
  computeVerifierNative,
  createNativeChallenge,
  dhBase,
  dhPow,
  nativeModPowAvailable,
  srpServerKeys,
  verifyClientNative,
} from '../../../../src/provisioning/ap/srp-native.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 5054 Appendix B (also pinned against srp.ts in test/unit/crypto/srp.test.ts).
const I = 'alice';
const P = 'password123';
const s = hex('BEB25379D1A8581EB5A727673A2441EE');
const a = hex('60975527035CF2AD1989806F0407210BC81EDC04E2762A56AFD529DDDA2D4393');
const b = hex('E487CB59D31AC550471E81F00F6928E01DDA08E974A004F49E61F5D105284D20');
const B = hex(`BD0C61512C692C0CB6D041FA01BB152D4916A1E77AF46AE105393011BAF38964DC46A0670DD125B95A981652
  236F99D9B681CBF87837EC996C6DA04453728610D0C6DDB58B318885D7D82C7F8DEB75CE7BD4FBAA37
  089E6F9C6059F388838E7A00030B331EB76840910440B1B27AAEAEEB4012B7D7665238A8E3FB004B11 7B58`);

t.test('OpenSSL modexp through DH key import is available and agrees with BigInt', async (t) => {
  const group = SRP_SUITE_3072_SHA512.group;
  t.ok(nativeModPowAvailable(group));
  const base = 0x1234567890abcdefn;
  const exp = BigInt(`0x${randomBytes(64).toString('hex')}`);
  t.equal(dhPow(group, dhBase(group, base)!, exp), modPow(base, exp, group.N));
  t.equal(dhBase(group, 1n), null, 'OpenSSL refuses 1 as a base');
  t.equal(dhBase(group, group.N - 1n), null, 'and N - 1');
});

t.test('RFC 5054 Appendix B: the native server derives the same B, and accepts the client of srp.ts', async (t) => {
  const suite = SRP_SUITE_1024_SHA1;
  const verifier = computeSrpVerifier(I, P, s, suite);
  const keys = srpServerKeys({ suite, identity: I, salt: s, verifier });
  const challenge = createNativeChallenge(keys, b);
  t.same(Buffer.from(challenge.serverPublic), B, 'B = k*v + g^b mod N');
  const hello = createSrpClientHello(suite, a);
  const client = completeSrpClient({ hello, identity: I, password: P, salt: s, serverPublic: challenge.serverPublic });
  if (!client.ok) throw new Error(client.code);
  const result = verifyClientNative(keys, challenge, hello.clientPublic, client.clientProof);
  t.ok(result.ok);
  if (result.ok) {
    t.same(Buffer.from(result.sessionKey), Buffer.from(client.sessionKey));
    t.same(Buffer.from(result.serverProof), Buffer.from(client.expectedServerProof));
  }
});

t.test('srp6a-3072-sha512: native and BigInt servers agree bit for bit on the same b', async (t) => {
  const suite = SRP_SUITE_3072_SHA512;
  const salt = randomBytes(16);
  const verifier = computeSrpVerifier('AC1234567890', '7KQ2M9XWF', salt);
  const keys = srpServerKeys({ suite, identity: 'AC1234567890', salt, verifier });
  const secret = randomBytes(32);
  const native = createNativeChallenge(keys, secret);
  const bigint = createSrpServerChallenge(verifier, suite, secret);
  t.same(Buffer.from(native.serverPublic), Buffer.from(bigint.serverPublic));

  const hello = createSrpClientHello(suite);
  const client = completeSrpClient({ hello, identity: 'AC1234567890', password: '7KQ2M9XWF', salt, serverPublic: native.serverPublic });
  if (!client.ok) throw new Error(client.code);
  const premaster = computeSrpServerPremaster({ verifier, clientPublic: hello.clientPublic, challenge: bigint });
  t.ok(premaster.ok);
  const viaNative = verifyClientNative(keys, native, hello.clientPublic, client.clientProof);
  const viaBigInt = verifySrpClient({ identity: 'AC1234567890', salt, verifier, challenge: bigint, clientPublic: hello.clientPublic, clientProof: client.clientProof });
  t.ok(viaNative.ok && viaBigInt.ok);
  if (viaNative.ok && viaBigInt.ok) {
    t.same(Buffer.from(viaNative.sessionKey), Buffer.from(viaBigInt.sessionKey));
    t.same(Buffer.from(viaNative.serverProof), Buffer.from(viaBigInt.serverProof));
  }
});

t.test('a wrong code is a proof mismatch; degenerate A is refused', async (t) => {
  const suite = SRP_SUITE_3072_SHA512;
  const salt = randomBytes(16);
  const keys = srpServerKeys({ suite, identity: 'AC1234567890', salt, verifier: computeSrpVerifier('AC1234567890', '7KQ2M9XWF', salt) });
  const challenge = createNativeChallenge(keys);
  const hello = createSrpClientHello(suite);
  const wrong = completeSrpClient({ hello, identity: 'AC1234567890', password: '7KQ2M9XWG', salt, serverPublic: challenge.serverPublic });
  if (!wrong.ok) throw new Error(wrong.code);
  t.same(verifyClientNative(keys, challenge, hello.clientPublic, wrong.clientProof), { ok: false, code: 'srp_proof_mismatch' });
  t.same(verifyClientNative(keys, challenge, hello.clientPublic, wrong.clientProof.subarray(0, 8)), { ok: false, code: 'srp_proof_mismatch' }, 'short proof');
  const N = suite.group.N;
  for (const [name, A] of [
    ['A = 0', bigIntToBytes(0n, 384)],
    ['A = N', bigIntToBytes(N, 384)],
    ['A wider than N', Buffer.alloc(385, 1)],
    ['empty A', Buffer.alloc(0)],
  ] as const) {
    t.same(verifyClientNative(keys, challenge, A, wrong.clientProof), { ok: false, code: 'srp_invalid_public_key' }, name);
  }
});

t.test('the verifier recomputed natively from a code equals the factory one', async (t) => {
  const salt = randomBytes(16);
  t.same(
    Buffer.from(computeVerifierNative('AC1234567890', '7KQ2M9XWF', salt, SRP_SUITE_3072_SHA512)),
    Buffer.from(computeSrpVerifier('AC1234567890', '7KQ2M9XWF', salt)),
  );
  t.same(
    Buffer.from(computeVerifierNative(I, P, s, SRP_SUITE_1024_SHA1)),
    Buffer.from(computeSrpVerifier(I, P, s, SRP_SUITE_1024_SHA1)),
    'RFC 5054 Appendix B v',
  );
});
