import { createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { bigIntToBytes, bytesToBigInt, type SrpServerChallenge, type SrpSuite } from '../../crypto/srp.js';
import type { Logger } from '../../log/logger.js';
import type { LockoutStore } from './code-lockout.js';
import { deriveSessionKeys, openEnvelope, sealEnvelope, type Envelope, type EnvelopeContext, type SessionKeys } from './envelope.js';
import { checkLabelCode, type LabelCodeResult } from './label-code-check.js';
import { createNativeChallenge, srpServerKeys, validClientPublic, verifyClientNative, type SrpServerKeys } from './srp-native.js';

/**
 * The protected local session of AP mode and LAN bind (provisioning.md §6.5,
 * §6.6), without HTTP: SRP-6a (srp6a-3072-sha512) against the factory
 * verifier for I = serial, p = label code; then per-direction AES-256-GCM
 * keys and sequence-numbered envelopes (envelope.ts).
 *
 *   init(I, A)        → sid, s, B          (refused while the code lockout holds)
 *   verify(sid, M1)   → M2 [, signature]   (a wrong M1 is a counted failure and ends the handshake)
 *   openRequest(...)  → plaintext + seal() for the answer
 *
 * Limits: at most `maxSessions` sessions (handshakes included). A new
 * handshake may push out the oldest unfinished one, never an established
 * session: nobody without the code can take a phone's session away. An
 * established session dies after `idleMs` without an authentic request; a
 * handshake after `handshakeMs`. Sessions live in memory only.
 */
export interface SessionLimits {
  /** Sessions at once, handshakes included (hostapd max_num_sta is 2 as well). */
  maxSessions: number;
  /** Idle time after which an established session is forgotten (provisioning.md §6.7: 5 min). */
  idleMs: number;
  /** Time allowed between session/init and session/verify. */
  handshakeMs: number;
}

export const SESSION_DEFAULTS: SessionLimits = { maxSessions: 2, idleMs: 5 * 60_000, handshakeMs: 30_000 };

export type SessionErrorCode =
  /** Too many wrong codes: no code checks until `retryAfterMs` has passed. */
  | 'locked_out'
  /** session/init named another identity than this camera's serial (wrong camera). */
  | 'identity_mismatch'
  /** A is 0 mod N, too long, or (with the server's values) degenerate: RFC 5054 §2.5.4 abort. */
  | 'srp_invalid_public_key'
  /** u = 0: RFC 5054 abort. */
  | 'srp_invalid_scrambler'
  /** M1 is wrong: wrong code (counted towards the lockout). */
  | 'srp_proof_mismatch'
  /** All session slots hold established sessions. */
  | 'too_many_sessions'
  /** No such session: never was, expired, closed, or its handshake failed. */
  | 'session_unknown'
  /** The session's handshake is not finished (verify first). */
  | 'session_not_verified'
  /** seq not above the last one accepted in this session. */
  | 'envelope_replayed'
  /** The envelope does not open: wrong key, tampered ct/tag, or AAD of another method/path/session/seq. */
  | 'envelope_auth_failed';

export interface SessionError {
  code: SessionErrorCode;
  /** For logs and developers; never carries a code, key or plaintext. */
  message: string;
  retryAfterMs?: number;
}

export type SessionResult<T> = { ok: true; value: T } | { ok: false; error: SessionError };

export interface InitReply {
  /** 16 random bytes, base64: names the session in AAD and the Authorization header. */
  sid: string;
  salt: Uint8Array;
  serverPublic: Uint8Array;
}

export interface VerifyReply {
  serverProof: Uint8Array;
  /**
   * ECDSA P-256/SHA-256 (DER) by the factory device key over the transcript
   * (transcriptToSign), or null without a device key. The app checks it
   * with `publicKey` and checks SHA-256(publicKey) against label field F.
   */
  signature: Uint8Array | null;
  /** The device public key, SPKI DER. */
  publicKey: Uint8Array | null;
}

export interface OpenedRequest {
  plaintext: Uint8Array;
  seq: number;
  /** Seal the answer to this request (direction d2c, same seq). */
  seal(plaintext: Uint8Array): Envelope;
}

export interface ProvisioningSessionsDeps {
  /** SRP identity I: the serial from identity.json. */
  serial: string;
  /** srp-verifier.json as loaded (LoadedIdentity.srpVerifier fits). */
  srp: { suite: SrpSuite; salt: Uint8Array; verifier: Uint8Array };
  /** The factory key (LoadedIdentity.privateKey); when set, verify signs the transcript. */
  deviceKey?: KeyObject | null;
  lockout: LockoutStore;
  clock: Clock;
  logger?: Logger;
  limits?: Partial<SessionLimits>;
}

interface SessionRecord {
  sid: string;
  sidBytes: Buffer;
  peer: string | null;
  state: 'pending' | 'verifying' | 'verified';
  challenge: SrpServerChallenge | null;
  clientPublic: Uint8Array | null;
  keys: SessionKeys | null;
  lastSeq: number;
  createdMono: number;
  lastUsedMono: number;
}

const TRANSCRIPT_LABEL = Buffer.from('prov1 transcript\0', 'utf8');

/**
 * What the device signs: a fixed label, then sid ‖ PAD(A) ‖ B ‖ M1 ‖ M2,
 * all fixed-width, so the concatenation is unambiguous. M1 covers I, s and
 * K, so the signature binds this very key exchange to the factory key.
 */
export function transcriptToSign(input: { sid: Uint8Array; clientPublic: Uint8Array; serverPublic: Uint8Array; clientProof: Uint8Array; serverProof: Uint8Array }, suite: SrpSuite): Buffer {
  return Buffer.concat([
    TRANSCRIPT_LABEL,
    input.sid,
    bigIntToBytes(bytesToBigInt(input.clientPublic), suite.group.length),
    input.serverPublic,
    input.clientProof,
    input.serverProof,
  ]);
}

export class ProvisioningSessions {
  readonly #deps: ProvisioningSessionsDeps;
  readonly #limits: SessionLimits;
  readonly #sessions = new Map<string, SessionRecord>();
  #keys: SrpServerKeys | null = null;
  #publicKey: Uint8Array | null | undefined;

  constructor(deps: ProvisioningSessionsDeps) {
    this.#deps = deps;
    this.#limits = { ...SESSION_DEFAULTS, ...deps.limits };
  }

  /** The suite name for `/prov/v1/info` "sec". */
  get suiteId(): string {
    return this.#deps.srp.suite.id;
  }

  /** session/init: one SRP challenge for the client's A. Synchronous: ~2 ms of OpenSSL on the dev host. */
  init(input: { identity: string; clientPublic: Uint8Array; peer?: string | null }): SessionResult<InitReply> {
    this.#sweep();
    const gate = this.#deps.lockout.check();
    if (gate.locked) return fail('locked_out', 'too many wrong codes; try again later', gate.retryAfterMs);
    if (input.identity !== this.#deps.serial) return fail('identity_mismatch', 'I is not the serial of this camera');
    const { suite } = this.#deps.srp;
    if (!validClientPublic(input.clientPublic, suite)) return fail('srp_invalid_public_key', 'A must be in (0, N) and at most the group size');

    if (this.#sessions.size >= this.#limits.maxSessions) {
      const oldestPending = [...this.#sessions.values()].filter((s) => s.state === 'pending').sort((a, b) => a.createdMono - b.createdMono)[0];
      if (!oldestPending) {
        const now = this.#deps.clock.monotonic();
        const freeIn = Math.min(...[...this.#sessions.values()].map((s) => this.#expiresAt(s) - now));
        return fail('too_many_sessions', `at most ${this.#limits.maxSessions} sessions at once`, Math.max(1, Math.ceil(freeIn)));
      }
      this.#remove(oldestPending);
    }

    const challenge = createNativeChallenge(this.#serverKeys());
    const sidBytes = randomBytes(16);
    const sid = sidBytes.toString('base64');
    const now = this.#deps.clock.monotonic();
    this.#sessions.set(sid, {
      sid,
      sidBytes,
      peer: input.peer ?? null,
      state: 'pending',
      challenge,
      clientPublic: Uint8Array.from(input.clientPublic),
      keys: null,
      lastSeq: 0,
      createdMono: now,
      lastUsedMono: now,
    });
    return { ok: true, value: { sid, salt: this.#deps.srp.salt, serverPublic: challenge.serverPublic } };
  }

  /**
   * session/verify: check M1. Right: the session is established and M2 (and
   * the signature) go back. Wrong: counted, persisted, and the handshake is
   * over — one guess per handshake.
   */
  async verify(input: { sid: string; clientProof: Uint8Array }): Promise<SessionResult<VerifyReply>> {
    this.#sweep();
    const record = this.#sessions.get(input.sid);
    if (!record || record.state !== 'pending' || !record.challenge || !record.clientPublic) {
      return fail('session_unknown', 'no handshake waiting for this sid');
    }
    const gate = this.#deps.lockout.check();
    if (gate.locked) {
      this.#remove(record);
      return fail('locked_out', 'too many wrong codes; try again later', gate.retryAfterMs);
    }
    record.state = 'verifying';
    try {
      return await this.#verifyPending(record, record.challenge, record.clientPublic, input.clientProof);
    } finally {
      // Whatever happened (a throw included), a handshake never stays half-verified holding a slot.
      if (record.state === 'verifying') this.#remove(record);
    }
  }

  async #verifyPending(record: SessionRecord, challenge: SrpServerChallenge, clientPublic: Uint8Array, clientProof: Uint8Array): Promise<SessionResult<VerifyReply>> {
    const serverPublic = challenge.serverPublic;
    const result = verifyClientNative(this.#serverKeys(), challenge, clientPublic, clientProof);
    if (!result.ok) {
      this.#remove(record);
      if (result.code !== 'srp_proof_mismatch') return fail(result.code, 'the key exchange was aborted');
      const after = await this.#deps.lockout.fail();
      this.#deps.logger?.warn({ locked: after.locked }, 'provisioning session: wrong verification code');
      return after.locked
        ? fail('srp_proof_mismatch', 'wrong code', after.retryAfterMs)
        : fail('srp_proof_mismatch', 'wrong code');
    }
    await this.#deps.lockout.succeed();
    const { suite } = this.#deps.srp;
    let signature: Uint8Array | null = null;
    const key = this.#deps.deviceKey ?? null;
    if (key) {
      const transcript = transcriptToSign(
        { sid: record.sidBytes, clientPublic, serverPublic, clientProof, serverProof: result.serverProof },
        suite,
      );
      signature = sign('sha256', transcript, { key, dsaEncoding: 'der' });
    }
    if (this.#sessions.get(record.sid) !== record) {
      result.sessionKey.fill(0);
      return fail('session_unknown', 'the session was closed during the handshake');
    }
    record.keys = deriveSessionKeys(result.sessionKey, record.sidBytes);
    result.sessionKey.fill(0);
    challenge.secret.fill(0);
    record.challenge = null;
    record.state = 'verified';
    record.lastUsedMono = this.#deps.clock.monotonic();
    this.#deps.logger?.info({ sessions: this.#sessions.size }, 'provisioning session established');
    return { ok: true, value: { serverProof: result.serverProof, signature, publicKey: key ? this.#devicePublicKey(key) : null } };
  }

  /** Whether `sid` names an established, live session (for a cheap 401 before any body is read). */
  authenticate(sid: string): SessionResult<void> {
    this.#sweep();
    const record = this.#sessions.get(sid);
    if (!record) return fail('session_unknown', 'no such session (expired, closed or never opened)');
    if (record.state !== 'verified') return fail('session_not_verified', 'finish session/verify first');
    return { ok: true, value: undefined };
  }

  /**
   * Open a request envelope. A replay (seq ≤ last accepted) or an envelope
   * that does not authenticate is refused and leaves the session as it was
   * — neither counts as activity — so forged traffic cannot keep it alive.
   */
  openRequest(input: { sid: string; method: string; path: string; seq: number; ct: Uint8Array }): SessionResult<OpenedRequest> {
    const auth = this.authenticate(input.sid);
    if (!auth.ok) return auth;
    const record = this.#sessions.get(input.sid)!;
    const keys = record.keys!;
    if (input.seq <= record.lastSeq) return fail('envelope_replayed', `seq must be above ${record.lastSeq}`);
    const ctx: EnvelopeContext = { method: input.method, path: input.path, sid: record.sid };
    const plaintext = openEnvelope(keys.c2d, 'c2d', ctx, input.seq, input.ct);
    if (!plaintext) return fail('envelope_auth_failed', 'the envelope does not authenticate for this session, method, path and seq');
    record.lastSeq = input.seq;
    record.lastUsedMono = this.#deps.clock.monotonic();
    const seq = input.seq;
    return { ok: true, value: { plaintext, seq, seal: (answer) => sealEnvelope(keys.d2c, 'd2c', ctx, seq, answer) } };
  }

  /** The captive portal's code field: same verifier, same lockout. */
  checkLabelCode(code: string): Promise<LabelCodeResult> {
    return checkLabelCode(code, { serial: this.#deps.serial, srp: this.#deps.srp, lockout: this.#deps.lockout });
  }

  /** Whether a client address holds an established session (the portal answers its OS probes as "online"). */
  isAuthenticatedPeer(address: string): boolean {
    this.#sweep();
    return [...this.#sessions.values()].some((s) => s.state === 'verified' && s.peer === address);
  }

  /** Sessions (handshakes included) currently held. */
  get size(): number {
    this.#sweep();
    return this.#sessions.size;
  }

  /** Forget every session and wipe its keys (AP stopped, agent stopping). */
  closeAll(): void {
    for (const record of [...this.#sessions.values()]) this.#remove(record);
  }

  #serverKeys(): SrpServerKeys {
    this.#keys ??= srpServerKeys({ ...this.#deps.srp, identity: this.#deps.serial });
    return this.#keys;
  }

  #devicePublicKey(key: KeyObject): Uint8Array {
    this.#publicKey ??= new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }));
    return this.#publicKey;
  }

  #expiresAt(record: SessionRecord): number {
    return record.state === 'verified' ? record.lastUsedMono + this.#limits.idleMs : record.createdMono + this.#limits.handshakeMs;
  }

  #sweep(): void {
    const now = this.#deps.clock.monotonic();
    for (const record of [...this.#sessions.values()]) {
      if (record.state !== 'verifying' && now >= this.#expiresAt(record)) this.#remove(record);
    }
  }

  #remove(record: SessionRecord): void {
    this.#sessions.delete(record.sid);
    record.challenge?.secret.fill(0);
    record.challenge = null;
    record.keys?.c2d.fill(0);
    record.keys?.d2c.fill(0);
    record.keys = null;
  }
}

function fail(code: SessionErrorCode, message: string, retryAfterMs?: number): { ok: false; error: SessionError } {
  return { ok: false, error: retryAfterMs === undefined ? { code, message } : { code, message, retryAfterMs } };
}
