import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * SRP-6a (RFC 5054 §2.5–2.6, proofs from RFC 2945 §3) — the math only, no
 * I/O and no session state. The factory computes the verifier for
 * I = serial, P = label verification code; AP-mode pairing (provisioning.md
 * §6.5) runs the server side against it, and tests run the client side.
 *
 * Byte conventions, pinned by the RFC 5054 Appendix B vectors in the tests:
 *   x  = H(s | H(I | ":" | P))
 *   v  = g^x mod N                       (sent/stored left-padded to |N|)
 *   k  = H(N | PAD(g))
 *   u  = H(PAD(A) | PAD(B))
 *   B  = (k·v + g^b) mod N
 *   S  = (A·v^u)^b mod N  =  (B − k·g^x)^(a + u·x) mod N
 *   K  = H(PAD(S))                       (provisioning.md §6.5: pad S before hashing)
 *   M1 = H(H(N) xor H(g) | H(I) | s | PAD(A) | PAD(B) | K)   (RFC 2945; g unpadded)
 *   M2 = H(PAD(A) | M1 | K)
 * RFC 5054 itself leaves M1/M2 to TLS Finished; the RFC 2945 form is what
 * ESP-IDF "Security 2" and most SRP libraries use, so a phone app can reuse one.
 */

export type SrpHash = 'sha1' | 'sha256' | 'sha512';

export interface SrpGroup {
  readonly name: string;
  readonly N: bigint;
  readonly g: bigint;
  /** Byte length of N: the width of every padded value on the wire. */
  readonly length: number;
}

export interface SrpSuite {
  /** Name used in srp-verifier.json and `/prov/v1/info` "sec". */
  readonly id: string;
  readonly group: SrpGroup;
  readonly hash: SrpHash;
}

function group(name: string, hex: string, g: bigint): SrpGroup {
  const clean = hex.replace(/\s+/g, '');
  return { name, N: BigInt(`0x${clean}`), g, length: clean.length / 2 };
}

/** RFC 5054 Appendix A 1024-bit group: only for the Appendix B test vectors — too small for real use. */
export const SRP_GROUP_1024 = group(
  'rfc5054-1024',
  `EEAF0AB9ADB38DD69C33F80AFA8FC5E86072618775FF3C0B9EA2314C9C256576
   D674DF7496EA81D3383B4813D692C6E0E0D5D8E250B98BE48E495C1D6089DAD1
   5DC7D7B46154D6B6CE8EF4AD69B15D4982559B297BCF1885C529F566660E57EC
   68EDBC3C05726CC02FD4CBF4976EAA9AFD5138FE8376435B9FC61D2FC0EB06E3`,
  2n,
);

/** RFC 5054 Appendix A 3072-bit group: the RFC 3526 group 15 (OpenSSL "modp15") prime, with g = 5. */
export const SRP_GROUP_3072 = group(
  'rfc5054-3072',
  `FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74
   020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437
   4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED
   EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05
   98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB
   9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B
   E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718
   3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33
   A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7
   ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864
   D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2
   08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF`,
  5n,
);

/** Test-vector suite (RFC 5054 Appendix B). Never used for real pairing. */
export const SRP_SUITE_1024_SHA1: SrpSuite = { id: 'srp6a-1024-sha1', group: SRP_GROUP_1024, hash: 'sha1' };

/** Our pairing suite (provisioning.md §6.5). */
export const SRP_SUITE_3072_SHA512: SrpSuite = { id: 'srp6a-3072-sha512', group: SRP_GROUP_3072, hash: 'sha512' };

const SUITES: readonly SrpSuite[] = [SRP_SUITE_3072_SHA512, SRP_SUITE_1024_SHA1];

/** The suite named in an srp-verifier.json, or undefined for one we do not speak. */
export function srpSuiteById(id: string): SrpSuite | undefined {
  return SUITES.find((s) => s.id === id);
}

export type SrpErrorCode =
  /** A or B is zero mod N, out of range or longer than the group (RFC 5054 §2.5.4: abort). */
  | 'srp_invalid_public_key'
  /** u = 0 (RFC 5054 §2.5.3/2.6: abort). */
  | 'srp_invalid_scrambler'
  /** The peer's proof does not match: wrong code, or a tampered exchange. */
  | 'srp_proof_mismatch';

export type SrpFailure = { ok: false; code: SrpErrorCode };

// ---------------------------------------------------------------- encoding

export function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

/** Big-endian, left-padded with zeros to `length` bytes (RFC 5054 PAD()). */
export function bigIntToBytes(value: bigint, length: number): Uint8Array {
  const hex = value.toString(16);
  if (hex.length > length * 2) throw new RangeError('value wider than the requested length');
  return Buffer.from(hex.padStart(length * 2, '0'), 'hex');
}

/** Minimal big-endian bytes (how RFC 2945 hashes g). */
function minimalBytes(value: bigint): Uint8Array {
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
}

function pad(value: bigint, suite: SrpSuite): Uint8Array {
  return bigIntToBytes(value, suite.group.length);
}

function hash(suite: SrpSuite, ...parts: (Uint8Array | string)[]): Uint8Array {
  const h = createHash(suite.hash);
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * base^exp mod m, square-and-multiply on BigInt. Measured on the x86 dev
 * host: ~9 ms for a 3072-bit modulus with a 512-bit exponent. The
 * createDiffieHellman(prime, g) shortcut from provisioning.md §6.5 is not
 * used: Node runs DH_check on a custom prime at construction (1.8 s for
 * 3072 bits here), and the fast named group "modp15" fixes g = 2 and has no
 * setPrivateKey.
 */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = base % m;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** Constant-time equality for proofs (length is public: it is the hash size). */
export function proofsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function validPublic(bytes: Uint8Array, suite: SrpSuite): bigint | undefined {
  if (bytes.length === 0 || bytes.length > suite.group.length) return undefined;
  const value = bytesToBigInt(bytes);
  if (value === 0n || value >= suite.group.N) return undefined;
  return value;
}

// ---------------------------------------------------------------- shared values

/** x = H(s | H(I | ":" | P)) — RFC 5054 §2.4 (not the simplified H(s|I|P) from the ESP docs). */
export function computeSrpX(identity: string, password: string, salt: Uint8Array, suite: SrpSuite): Uint8Array {
  const inner = hash(suite, Buffer.from(identity, 'utf8'), ':', Buffer.from(password, 'utf8'));
  return hash(suite, salt, inner);
}

/** v = g^x mod N, left-padded to the group length (the srp-verifier.json "verifier"). */
export function computeSrpVerifier(
  identity: string,
  password: string,
  salt: Uint8Array,
  suite: SrpSuite = SRP_SUITE_3072_SHA512,
): Uint8Array {
  const x = bytesToBigInt(computeSrpX(identity, password, salt, suite));
  return pad(modPow(suite.group.g, x, suite.group.N), suite);
}

/** k = H(N | PAD(g)). */
export function computeSrpMultiplier(suite: SrpSuite): Uint8Array {
  return hash(suite, pad(suite.group.N, suite), pad(suite.group.g, suite));
}

/** u = H(PAD(A) | PAD(B)). */
export function computeSrpScrambler(clientPublic: Uint8Array, serverPublic: Uint8Array, suite: SrpSuite): Uint8Array {
  return hash(suite, pad(bytesToBigInt(clientPublic), suite), pad(bytesToBigInt(serverPublic), suite));
}

/** K = H(PAD(S)). */
export function computeSrpSessionKey(premaster: Uint8Array, suite: SrpSuite): Uint8Array {
  return hash(suite, pad(bytesToBigInt(premaster), suite));
}

/** M1 = H(H(N) xor H(g) | H(I) | s | PAD(A) | PAD(B) | K). */
export function computeSrpClientProof(
  input: { identity: string; salt: Uint8Array; clientPublic: Uint8Array; serverPublic: Uint8Array; sessionKey: Uint8Array },
  suite: SrpSuite,
): Uint8Array {
  const hN = hash(suite, minimalBytes(suite.group.N));
  const hg = hash(suite, minimalBytes(suite.group.g));
  const xor = Buffer.alloc(hN.length);
  for (let i = 0; i < hN.length; i++) xor[i] = hN[i]! ^ hg[i]!;
  return hash(
    suite,
    xor,
    hash(suite, Buffer.from(input.identity, 'utf8')),
    input.salt,
    pad(bytesToBigInt(input.clientPublic), suite),
    pad(bytesToBigInt(input.serverPublic), suite),
    input.sessionKey,
  );
}

/** M2 = H(PAD(A) | M1 | K). */
export function computeSrpServerProof(
  input: { clientPublic: Uint8Array; clientProof: Uint8Array; sessionKey: Uint8Array },
  suite: SrpSuite,
): Uint8Array {
  return hash(suite, pad(bytesToBigInt(input.clientPublic), suite), input.clientProof, input.sessionKey);
}

// ---------------------------------------------------------------- server (the camera)

/** What the server keeps between session/init and session/verify. `secret` (b) never leaves memory. */
export interface SrpServerChallenge {
  readonly suite: SrpSuite;
  /** B, padded to the group length: sent to the client. */
  readonly serverPublic: Uint8Array;
  readonly secret: Uint8Array;
}

/**
 * B = (k·v + g^b) mod N with a fresh 256-bit b (RFC 5054 §2.5.3 asks for at
 * least 256 bits). `secret` is injectable only for the RFC test vectors.
 */
export function createSrpServerChallenge(
  verifier: Uint8Array,
  suite: SrpSuite = SRP_SUITE_3072_SHA512,
  secret: Uint8Array = randomBytes(32),
): SrpServerChallenge {
  const { N, g } = suite.group;
  const k = bytesToBigInt(computeSrpMultiplier(suite));
  const v = bytesToBigInt(verifier);
  const b = bytesToBigInt(secret);
  const B = mod(k * v + modPow(g, b, N), N);
  return { suite, serverPublic: pad(B, suite), secret: Uint8Array.from(secret) };
}

/** S = (A·v^u)^b mod N, padded. Exposed for the test vectors; pairing uses verifySrpClient. */
export function computeSrpServerPremaster(
  input: { verifier: Uint8Array; clientPublic: Uint8Array; challenge: SrpServerChallenge },
): { ok: true; premaster: Uint8Array } | SrpFailure {
  const { suite } = input.challenge;
  const { N } = suite.group;
  const A = validPublic(input.clientPublic, suite);
  if (A === undefined) return { ok: false, code: 'srp_invalid_public_key' };
  const u = bytesToBigInt(computeSrpScrambler(input.clientPublic, input.challenge.serverPublic, suite));
  if (u === 0n) return { ok: false, code: 'srp_invalid_scrambler' };
  const v = bytesToBigInt(input.verifier);
  const b = bytesToBigInt(input.challenge.secret);
  const S = modPow((A * modPow(v, u, N)) % N, b, N);
  return { ok: true, premaster: pad(S, suite) };
}

export type SrpServerResult = { ok: true; sessionKey: Uint8Array; serverProof: Uint8Array } | SrpFailure;

/**
 * Check the client's M1 (constant time) and, when it is right, return the
 * session key K and M2 to send back. A wrong M1 is `srp_proof_mismatch`:
 * the caller counts it towards the lockout (provisioning.md §6.5).
 */
export function verifySrpClient(input: {
  identity: string;
  salt: Uint8Array;
  verifier: Uint8Array;
  challenge: SrpServerChallenge;
  clientPublic: Uint8Array;
  clientProof: Uint8Array;
}): SrpServerResult {
  const { suite } = input.challenge;
  const premaster = computeSrpServerPremaster(input);
  if (!premaster.ok) return premaster;
  const sessionKey = computeSrpSessionKey(premaster.premaster, suite);
  const expected = computeSrpClientProof(
    {
      identity: input.identity,
      salt: input.salt,
      clientPublic: input.clientPublic,
      serverPublic: input.challenge.serverPublic,
      sessionKey,
    },
    suite,
  );
  if (!proofsEqual(expected, input.clientProof)) return { ok: false, code: 'srp_proof_mismatch' };
  const serverProof = computeSrpServerProof({ clientPublic: input.clientPublic, clientProof: expected, sessionKey }, suite);
  return { ok: true, sessionKey, serverProof };
}

// ---------------------------------------------------------------- client (phone app; used by tests and tools)

export interface SrpClientHello {
  readonly suite: SrpSuite;
  /** A = g^a mod N, padded. */
  readonly clientPublic: Uint8Array;
  readonly secret: Uint8Array;
}

export function createSrpClientHello(
  suite: SrpSuite = SRP_SUITE_3072_SHA512,
  secret: Uint8Array = randomBytes(32),
): SrpClientHello {
  const A = modPow(suite.group.g, bytesToBigInt(secret), suite.group.N);
  return { suite, clientPublic: pad(A, suite), secret: Uint8Array.from(secret) };
}

export type SrpClientResult =
  | { ok: true; premaster: Uint8Array; sessionKey: Uint8Array; clientProof: Uint8Array; expectedServerProof: Uint8Array }
  | SrpFailure;

/** Client side after receiving (s, B): S = (B − k·g^x)^(a + u·x) mod N, then K, M1 and the M2 to expect. */
export function completeSrpClient(input: {
  hello: SrpClientHello;
  identity: string;
  password: string;
  salt: Uint8Array;
  serverPublic: Uint8Array;
}): SrpClientResult {
  const { suite } = input.hello;
  const { N, g } = suite.group;
  const B = validPublic(input.serverPublic, suite);
  if (B === undefined) return { ok: false, code: 'srp_invalid_public_key' };
  const u = bytesToBigInt(computeSrpScrambler(input.hello.clientPublic, input.serverPublic, suite));
  if (u === 0n) return { ok: false, code: 'srp_invalid_scrambler' };
  const k = bytesToBigInt(computeSrpMultiplier(suite));
  const x = bytesToBigInt(computeSrpX(input.identity, input.password, input.salt, suite));
  const a = bytesToBigInt(input.hello.secret);
  const S = modPow(mod(B - k * modPow(g, x, N), N), a + u * x, N);
  const premaster = pad(S, suite);
  const sessionKey = computeSrpSessionKey(premaster, suite);
  const clientProof = computeSrpClientProof(
    { identity: input.identity, salt: input.salt, clientPublic: input.hello.clientPublic, serverPublic: input.serverPublic, sessionKey },
    suite,
  );
  const expectedServerProof = computeSrpServerProof({ clientPublic: input.hello.clientPublic, clientProof, sessionKey }, suite);
  return { ok: true, premaster, sessionKey, clientProof, expectedServerProof };
}
