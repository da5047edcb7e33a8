import { createPrivateKey, createPublicKey, diffieHellman, randomBytes, type KeyObject } from 'node:crypto';
import { bitString, objectIdentifier, octetString, sequence, smallInteger, unsignedInteger } from '../../factory/der.js';
import {
  bigIntToBytes,
  bytesToBigInt,
  computeSrpClientProof,
  computeSrpMultiplier,
  computeSrpScrambler,
  computeSrpServerProof,
  computeSrpSessionKey,
  computeSrpX,
  modPow,
  proofsEqual,
  type SrpGroup,
  type SrpServerChallenge,
  type SrpServerResult,
  type SrpSuite,
} from '../../crypto/srp.js';

/**
 * The camera's side of SRP-6a (src/crypto/srp.ts has the math and the RFC
 * 5054 vectors) with its three big modular exponentiations done by OpenSSL
 * instead of BigInt — provisioning.md §6.5's "native trick", measured:
 *
 *                         BigInt (srp.ts)   OpenSSL (here)   x86 dev host, Node 20
 *   g^b   (256-bit b)          6.1 ms           ~1 ms
 *   v^u   (512-bit u)          7.8 ms           ~2.7 ms
 *   X^b   (256-bit b)          6.1 ms           ~1 ms
 *
 * (`npm run bench prov-session` prints the figures for the whole exchange.)
 * OpenSSL's exponentiation is also constant-time in the exponent, which
 * BigInt square-and-multiply is not; b is the secret here.
 *
 * How: the modexp is a Diffie-Hellman derive, base^exp mod N, with `exp`
 * imported as a DH private key (PKCS#8, PKCS#3 parameters N and g) and
 * `base` as the peer's public key. crypto.createDiffieHellman(N, 5) would
 * be the obvious route but runs a primality test on N at construction
 * (1.5 s for 3072 bits here), and getDiffieHellman('modp15') has no
 * setPrivateKey. A key import does no such check: it costs ~0.1 ms.
 * OpenSSL refuses a public value outside [2, N−2]; such a base yields null
 * and the caller treats it as an invalid public value.
 */

const DH_KEY_AGREEMENT = objectIdentifier('1.2.840.113549.1.3.1'); // PKCS #3 dhKeyAgreement

const algorithms = new WeakMap<SrpGroup, Buffer>();

function algorithm(group: SrpGroup): Buffer {
  let alg = algorithms.get(group);
  if (!alg) {
    alg = sequence(DH_KEY_AGREEMENT, sequence(unsignedInteger(bigIntToBytes(group.N, group.length)), unsignedInteger(bigIntToBytes(group.g, group.length))));
    algorithms.set(group, alg);
  }
  return alg;
}

function magnitude(value: bigint): Buffer {
  const hex = value.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
}

/** A base for dhPow; null when OpenSSL would refuse it (outside [2, N−2]). Cache it for fixed bases (g, v). */
export function dhBase(group: SrpGroup, value: bigint): KeyObject | null {
  if (value < 2n || value > group.N - 2n) return null;
  try {
    return createPublicKey({ key: sequence(algorithm(group), bitString(unsignedInteger(magnitude(value)))), format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}

function dhPrivate(group: SrpGroup, exp: bigint): KeyObject {
  return createPrivateKey({
    key: sequence(smallInteger(0), algorithm(group), octetString(unsignedInteger(magnitude(exp)))),
    format: 'der',
    type: 'pkcs8',
  });
}

/** base^exp mod N by OpenSSL. `exp` ≥ 1. */
export function dhPow(group: SrpGroup, base: KeyObject, exp: bigint): bigint {
  return bytesToBigInt(diffieHellman({ privateKey: dhPrivate(group, exp), publicKey: base }));
}

let nativeWorks: boolean | undefined;

/**
 * Whether this Node/OpenSSL build does DH derives with imported keys (probed
 * once with a known answer). The camera's Node may link a different OpenSSL
 * than the dev host; if the probe fails, everything falls back to BigInt:
 * slower, never wrong.
 */
export function nativeModPowAvailable(group: SrpGroup): boolean {
  if (nativeWorks === undefined) {
    try {
      const base = dhBase(group, 7n);
      nativeWorks = base !== null && dhPow(group, base, 65537n) === modPow(7n, 65537n, group.N);
    } catch {
      nativeWorks = false;
    }
  }
  return nativeWorks;
}

function pow(group: SrpGroup, base: bigint, baseKey: KeyObject | null, exp: bigint): bigint | null {
  if (nativeModPowAvailable(group)) {
    const key = baseKey ?? dhBase(group, base);
    return key ? dhPow(group, key, exp) : null;
  }
  return modPow(base, exp, group.N);
}

/** v = g^x mod N from a typed code: what the factory stored in srp-verifier.json. */
export function computeVerifierNative(identity: string, password: string, salt: Uint8Array, suite: SrpSuite): Uint8Array {
  const { group } = suite;
  const x = bytesToBigInt(computeSrpX(identity, password, salt, suite));
  const v = pow(group, group.g, null, x) ?? modPow(group.g, x, group.N);
  return bigIntToBytes(v, group.length);
}

/** The fixed inputs of one device's SRP server: k·v and the bases g and v, computed once. */
export interface SrpServerKeys {
  readonly suite: SrpSuite;
  readonly identity: string;
  readonly salt: Uint8Array;
  readonly verifier: Uint8Array;
  readonly kv: bigint;
  readonly v: bigint;
  readonly gKey: KeyObject | null;
  readonly vKey: KeyObject | null;
}

export function srpServerKeys(input: { suite: SrpSuite; identity: string; salt: Uint8Array; verifier: Uint8Array }): SrpServerKeys {
  const { group } = input.suite;
  const v = bytesToBigInt(input.verifier);
  const native = nativeModPowAvailable(group);
  return {
    ...input,
    v,
    kv: (bytesToBigInt(computeSrpMultiplier(input.suite)) * v) % group.N,
    gKey: native ? dhBase(group, group.g) : null,
    vKey: native ? dhBase(group, v) : null,
  };
}

/** B = (k·v + g^b) mod N with a fresh 256-bit b; same result as srp.ts createSrpServerChallenge. */
export function createNativeChallenge(keys: SrpServerKeys, secret: Uint8Array = randomBytes(32)): SrpServerChallenge {
  const { group } = keys.suite;
  const b = bytesToBigInt(secret);
  const gb = pow(group, group.g, keys.gKey, b) ?? modPow(group.g, b, group.N);
  const B = (keys.kv + gb) % group.N;
  return { suite: keys.suite, serverPublic: bigIntToBytes(B, group.length), secret: Uint8Array.from(secret) };
}

/** A in (0, N) at most the group width, as RFC 5054 §2.5.4 requires; checked at session/init. */
export function validClientPublic(clientPublic: Uint8Array, suite: SrpSuite): boolean {
  if (clientPublic.length === 0 || clientPublic.length > suite.group.length) return false;
  const A = bytesToBigInt(clientPublic);
  return A > 0n && A < suite.group.N;
}

/**
 * S = (A·v^u)^b mod N, then K, M1 (compared in constant time) and M2 — the
 * native twin of srp.ts verifySrpClient, with the same result codes.
 */
export function verifyClientNative(
  keys: SrpServerKeys,
  challenge: SrpServerChallenge,
  clientPublic: Uint8Array,
  clientProof: Uint8Array,
): SrpServerResult {
  const { suite } = keys;
  const { N } = suite.group;
  if (!validClientPublic(clientPublic, suite)) return { ok: false, code: 'srp_invalid_public_key' };
  const A = bytesToBigInt(clientPublic);
  const u = bytesToBigInt(computeSrpScrambler(clientPublic, challenge.serverPublic, suite));
  if (u === 0n) return { ok: false, code: 'srp_invalid_scrambler' };
  const vu = pow(suite.group, keys.v, keys.vKey, u);
  if (vu === null) return { ok: false, code: 'srp_invalid_public_key' };
  // A·v^u of 0, 1 or N−1 would make S trivial: only a crafted A gets here.
  const X = (A * vu) % N;
  if (X < 2n || X > N - 2n) return { ok: false, code: 'srp_invalid_public_key' };
  const S = pow(suite.group, X, null, bytesToBigInt(challenge.secret));
  if (S === null) return { ok: false, code: 'srp_invalid_public_key' };
  const sessionKey = computeSrpSessionKey(bigIntToBytes(S, suite.group.length), suite);
  const expected = computeSrpClientProof(
    { identity: keys.identity, salt: keys.salt, clientPublic, serverPublic: challenge.serverPublic, sessionKey },
    suite,
  );
  if (!proofsEqual(expected, clientProof)) return { ok: false, code: 'srp_proof_mismatch' };
  return { ok: true, sessionKey, serverProof: computeSrpServerProof({ clientPublic, clientProof: expected, sessionKey }, suite) };
}
