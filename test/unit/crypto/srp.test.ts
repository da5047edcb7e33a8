import t from 'tap';
import { getDiffieHellman } from 'node:crypto';
import {
  SRP_GROUP_3072,
  SRP_SUITE_1024_SHA1,
  SRP_SUITE_3072_SHA512,
  bigIntToBytes,
  bytesToBigInt,
  completeSrpClient,
  computeSrpMultiplier,
  computeSrpScrambler,
  computeSrpServerPremaster,
  computeSrpVerifier,
  computeSrpX,
  createSrpClientHello,
  createSrpServerChallenge,
  modPow,
  proofsEqual,
  srpSuiteById,
  verifySrpClient,
} from '../../../src/crypto/srp.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

// RFC 5054 Appendix B (1024-bit group, SHA-1).
const I = 'alice';
const P = 'password123';
const s = hex('BEB25379D1A8581EB5A727673A2441EE');
const a = hex('60975527035CF2AD1989806F0407210BC81EDC04E2762A56AFD529DDDA2D4393');
const b = hex('E487CB59D31AC550471E81F00F6928E01DDA08E974A004F49E61F5D105284D20');
const K_MULT = '7556AA045AEF2CDD07ABAF0F665C3E818913186F';
const X = '94B7555AABE9127CC58CCF4993DB6CF84D16C124';
const V = `7E273DE8696FFC4F4E337D05B4B375BEB0DDE1569E8FA00A9886D8129BADA1F1822223CA1A605B530E379BA4
  729FDC59F105B4787E5186F5C671085A1447B52A48CF1970B4FB6F8400BBF4CEBFBB168152E08AB5EA
  53D15C1AFF87B2B9DA6E04E058AD51CC72BFC9033B564E26480D78E955A5E29E7AB245DB2BE315E209 9AFB`;
const A = `61D5E490F6F1B79547B0704C436F523DD0E560F0C64115BB72557EC44352E8903211C04692272D8B2D1A5358
  A2CF1B6E0BFCF99F921530EC8E39356179EAE45E42BA92AEACED825171E1E8B9AF6D9C03E1327F44BE
  087EF06530E69F66615261EEF54073CA11CF5858F0EDFDFE15EFEAB349EF5D76988A3672FAC47B0769 447B`;
const B = `BD0C61512C692C0CB6D041FA01BB152D4916A1E77AF46AE105393011BAF38964DC46A0670DD125B95A981652
  236F99D9B681CBF87837EC996C6DA04453728610D0C6DDB58B318885D7D82C7F8DEB75CE7BD4FBAA37
  089E6F9C6059F388838E7A00030B331EB76840910440B1B27AAEAEEB4012B7D7665238A8E3FB004B11 7B58`;
const U = 'CE38B9593487DA98554ED47D70A7AE5F462EF019';
const S = `B0DC82BABCF30674AE450C0287745E7990A3381F63B387AAF271A10D233861E359B48220F7C4693C9AE12B0A
  6F67809F0876E2D013800D6C41BB59B6D5979B5C00A172B4A2A5903A0BDCAF8A709585EB2AFAFA8F34
  99B200210DCC1F10EB33943CD67FC88A2F39A4BE5BEC4EC0A3212DC346D7E474B29EDE8A469FFECA68 6E5A`;
const clean = (x: string): string => x.replace(/\s+/g, '');

const suite = SRP_SUITE_1024_SHA1;

t.test('RFC 5054 Appendix B: k, x and v', async (t) => {
  t.equal(toHex(computeSrpMultiplier(suite)), K_MULT, 'k = H(N | PAD(g))');
  t.equal(toHex(computeSrpX(I, P, s, suite)), X, 'x = H(s | H(I | ":" | P))');
  t.equal(toHex(computeSrpVerifier(I, P, s, suite)), clean(V), 'v = g^x mod N');
});

t.test('RFC 5054 Appendix B: A, B, u and the premaster secret on both sides', async (t) => {
  const hello = createSrpClientHello(suite, a);
  t.equal(toHex(hello.clientPublic), clean(A), 'A = g^a mod N');
  const challenge = createSrpServerChallenge(hex(V), suite, b);
  t.equal(toHex(challenge.serverPublic), clean(B), 'B = k*v + g^b mod N');
  t.equal(toHex(computeSrpScrambler(hello.clientPublic, challenge.serverPublic, suite)), U, 'u = H(PAD(A) | PAD(B))');

  const server = computeSrpServerPremaster({ verifier: hex(V), clientPublic: hello.clientPublic, challenge });
  t.ok(server.ok);
  if (server.ok) t.equal(toHex(server.premaster), clean(S), 'server S = (A * v^u)^b mod N');

  const client = completeSrpClient({ hello, identity: I, password: P, salt: s, serverPublic: challenge.serverPublic });
  t.ok(client.ok);
  if (!client.ok) return;
  t.equal(toHex(client.premaster), clean(S), 'client S = (B - k*g^x)^(a + u*x) mod N');

  const verified = verifySrpClient({
    identity: I, salt: s, verifier: hex(V), challenge, clientPublic: hello.clientPublic, clientProof: client.clientProof,
  });
  t.ok(verified.ok, 'server accepts the client proof M1');
  if (!verified.ok) return;
  t.same(Buffer.from(verified.sessionKey), Buffer.from(client.sessionKey), 'both sides derive the same K');
  t.ok(proofsEqual(verified.serverProof, client.expectedServerProof), 'client accepts the server proof M2');
});

t.test('the 3072-bit group is RFC 3526 group 15 (OpenSSL modp15) with g = 5', async (t) => {
  const modp15 = getDiffieHellman('modp15');
  t.equal(SRP_GROUP_3072.N, bytesToBigInt(modp15.getPrime()));
  t.equal(SRP_GROUP_3072.g, 5n);
  t.equal(SRP_GROUP_3072.length, 384);
  t.equal(srpSuiteById('srp6a-3072-sha512'), SRP_SUITE_3072_SHA512);
  t.equal(srpSuiteById('srp6a-2048-sha256'), undefined);
});

t.test('BigInt modPow agrees with OpenSSL on a 3072-bit modulus', async (t) => {
  const dh = getDiffieHellman('modp15');
  dh.generateKeys();
  const N = bytesToBigInt(dh.getPrime());
  t.equal(modPow(2n, bytesToBigInt(dh.getPrivateKey()), N), bytesToBigInt(dh.getPublicKey()));
});

t.test('srp6a-3072-sha512: verifier is 384 bytes, deterministic, and salt/identity/password all matter', async (t) => {
  const salt = hex('00112233445566778899AABBCCDDEEFF');
  const v = computeSrpVerifier('AC1234567890', '7KQ2M9XWF', salt);
  t.equal(v.length, 384);
  t.same(Buffer.from(computeSrpVerifier('AC1234567890', '7KQ2M9XWF', salt, SRP_SUITE_3072_SHA512)), Buffer.from(v));
  t.notSame(Buffer.from(computeSrpVerifier('AC1234567890', '7KQ2M9XWG', salt)), Buffer.from(v));
  t.notSame(Buffer.from(computeSrpVerifier('AC1234567891', '7KQ2M9XWF', salt)), Buffer.from(v));
  t.notSame(Buffer.from(computeSrpVerifier('AC1234567890', '7KQ2M9XWF', hex('01112233445566778899AABBCCDDEEFF'))), Buffer.from(v));
});

t.test('srp6a-3072-sha512: a full handshake agrees; a wrong code is a proof mismatch', async (t) => {
  const salt = hex('A1A2A3A4A5A6A7A8A9AAABACADAEAFB0');
  const v = computeSrpVerifier('AC1234567890', '7KQ2M9XWF', salt);
  const challenge = createSrpServerChallenge(v);
  t.equal(challenge.serverPublic.length, 384);

  const hello = createSrpClientHello();
  const good = completeSrpClient({ hello, identity: 'AC1234567890', password: '7KQ2M9XWF', salt, serverPublic: challenge.serverPublic });
  t.ok(good.ok);
  if (!good.ok) return;
  t.equal(good.clientProof.length, 64);
  const ok = verifySrpClient({ identity: 'AC1234567890', salt, verifier: v, challenge, clientPublic: hello.clientPublic, clientProof: good.clientProof });
  t.ok(ok.ok);
  if (ok.ok) t.ok(proofsEqual(ok.serverProof, good.expectedServerProof));

  const bad = completeSrpClient({ hello, identity: 'AC1234567890', password: '7KQ2M9XWG', salt, serverPublic: challenge.serverPublic });
  t.ok(bad.ok);
  if (!bad.ok) return;
  t.same(
    verifySrpClient({ identity: 'AC1234567890', salt, verifier: v, challenge, clientPublic: hello.clientPublic, clientProof: bad.clientProof }),
    { ok: false, code: 'srp_proof_mismatch' },
  );
  t.same(
    verifySrpClient({ identity: 'AC1234567890', salt, verifier: v, challenge, clientPublic: hello.clientPublic, clientProof: good.clientProof.subarray(0, 20) }),
    { ok: false, code: 'srp_proof_mismatch' },
    'a truncated proof is a mismatch, not a crash',
  );
});

t.test('degenerate public values are rejected before any secret is used', async (t) => {
  const st = SRP_SUITE_3072_SHA512;
  const N = st.group.N;
  const v = computeSrpVerifier('I', 'P', hex('00'));
  const challenge = createSrpServerChallenge(v);
  const proof = new Uint8Array(64);
  for (const [name, A] of [
    ['A = 0', bigIntToBytes(0n, 384)],
    ['A = N', bigIntToBytes(N, 384)],
    ['A longer than the group', bigIntToBytes(2n * N, 385)],
    ['empty A', new Uint8Array(0)],
  ] as const) {
    t.same(verifySrpClient({ identity: 'I', salt: hex('00'), verifier: v, challenge, clientPublic: A, clientProof: proof }), { ok: false, code: 'srp_invalid_public_key' }, name);
  }
  const hello = createSrpClientHello();
  t.same(
    completeSrpClient({ hello, identity: 'I', password: 'P', salt: hex('00'), serverPublic: bigIntToBytes(N, 384) }),
    { ok: false, code: 'srp_invalid_public_key' },
    'B = N',
  );
});

t.test('cost of one srp6a-3072-sha512 verifier computation', async (t) => {
  const salt = hex('A1A2A3A4A5A6A7A8A9AAABACADAEAFB0');
  computeSrpVerifier('warm', 'up', salt);
  const runs = 10;
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) computeSrpVerifier('AC1234567890', `7KQ2M9XW${i}`, salt);
  const ms = Number(process.hrtime.bigint() - start) / 1e6 / runs;
  t.comment(`computeSrpVerifier (3072/SHA-512): ${ms.toFixed(1)} ms per verifier`);
  t.ok(ms < 500, 'well under the 300 ms factory budget on the dev host');
});
