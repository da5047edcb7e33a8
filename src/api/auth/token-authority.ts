import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock } from '../../core/clock.js';
import { DEVICE_SECRET_MIN_BYTES } from '../../crypto/device-key-error.js';
import type { Logger } from '../../log/logger.js';
import { maskPersonId } from '../../log/mask.js';
import { writeFileAtomic } from '../../storage/atomic-file.js';
import type { AuthErrorCode } from './auth-error.js';
import { RevocationList, DEFAULT_MAX_REVOKED } from './revocation-list.js';
import type { Principal, Role } from './roles.js';
import {
  DEFAULT_SKEW_MS,
  MAX_TOKEN_TTL_S,
  MIN_TOKEN_TTL_S,
  SUBJECT_PATTERN,
  TOKEN_VERSION,
  deriveTokenKey,
  encodeToken,
  verifyToken,
  type MacCompare,
  type TokenClaims,
} from './token-codec.js';

/**
 * Mints and checks the local API's tokens for this camera, and keeps the
 * two things that must survive a restart in one small file: the key salt
 * (a new salt = a new MAC key = every token revoked, used on unbind and
 * credential rotation) and the bounded list of individually revoked ids.
 *
 * Never logs a token: log lines carry its id under `tid` (the logger
 * redacts any key containing "token", which would hide the id too).
 */
export interface TokenAuthorityDeps {
  deviceId: string;
  /** ≥ 32 bytes from the device key source (hal.keys.keyMaterial()); the MAC key is derived from it. */
  deviceSecret: Uint8Array;
  /** The state file on the writable data partition (the integrator picks it). */
  statePath: string;
  clock: Clock;
  logger?: Logger;
  skewMs?: number;
  maxRevoked?: number;
  /** Tests only: observe the MAC comparison. */
  compare?: MacCompare;
}

/** The state file, as written (JSON, one object). */
export interface TokenStateFile {
  v: 1;
  /** base64url, 16 random bytes. */
  keySalt: string;
  revoked: { tokenId: string; exp: number }[];
}

export interface MintRequest {
  role: Role;
  subject: string;
  ttlS: number;
  via: 'cloud' | 'button';
}

export interface MintedToken {
  /** The bearer secret. Hand it to the requester and nowhere else. */
  token: string;
  claims: TokenClaims;
}

export type TokenCheck = { ok: true; principal: Principal } | { ok: false; code: Exclude<AuthErrorCode, 'token_missing' | 'forbidden'> };

/** What authenticate() needs; the HTTP layer depends on this, not the class. */
export interface TokenVerifier {
  verify(token: string): TokenCheck;
}

const SALT_BYTES = 16;

export class TokenAuthority implements TokenVerifier {
  readonly #deps: TokenAuthorityDeps;
  readonly #skewMs: number;
  #salt: Buffer | null = null;
  #key: Uint8Array | null = null;
  #revoked: RevocationList;
  #writes: Promise<void> = Promise.resolve();

  constructor(deps: TokenAuthorityDeps) {
    this.#deps = deps;
    this.#skewMs = deps.skewMs ?? DEFAULT_SKEW_MS;
    this.#revoked = new RevocationList(deps.maxRevoked ?? DEFAULT_MAX_REVOKED);
  }

  /** Read the state file (absent or unreadable: a fresh salt, which revokes nothing that could exist). */
  async load(): Promise<void> {
    if (this.#deps.deviceSecret.byteLength < DEVICE_SECRET_MIN_BYTES) {
      throw new Error(`token key material must be at least ${DEVICE_SECRET_MIN_BYTES} bytes`);
    }
    const capacity = this.#deps.maxRevoked ?? DEFAULT_MAX_REVOKED;
    let text: string | null = null;
    try {
      text = await readFile(this.#deps.statePath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const file = text === null ? null : parseStateFile(text);
    if (file && file.revoked.length <= capacity) {
      this.#setSalt(Buffer.from(file.keySalt, 'base64url'));
      this.#revoked = RevocationList.from(file.revoked, capacity);
      this.#revoked.prune(this.#deps.clock.now(), this.#skewMs);
      return;
    }
    if (text !== null) {
      // Written atomically, so not torn: someone else wrote it. A new salt is the safe reading.
      this.#deps.logger?.warn({ path: this.#deps.statePath }, 'api token state unreadable or over capacity; rotating the token key');
    }
    this.#setSalt(randomBytes(SALT_BYTES));
    this.#revoked.clear();
    await this.#persist();
  }

  mint(req: MintRequest): MintedToken {
    const key = this.#requireKey();
    if (!Number.isSafeInteger(req.ttlS) || req.ttlS < MIN_TOKEN_TTL_S || req.ttlS > MAX_TOKEN_TTL_S) throw new RangeError('ttlS out of range');
    if (!SUBJECT_PATTERN.test(req.subject)) throw new RangeError('subject not allowed');
    if (req.via === 'button' && req.role === 'admin') throw new RangeError('offline login never grants admin');
    const iat = Math.floor(this.#deps.clock.now() / 1000);
    const claims: TokenClaims = {
      v: TOKEN_VERSION,
      tokenId: randomBytes(12).toString('base64url'),
      deviceId: this.#deps.deviceId,
      role: req.role,
      subject: req.subject,
      via: req.via,
      iat,
      exp: iat + req.ttlS,
    };
    const token = encodeToken(claims, key);
    // The subject may be a person's e-mail: masked (log/mask.ts); the token id correlates.
    this.#deps.logger?.info({ tid: claims.tokenId, role: claims.role, subject: maskPersonId(claims.subject), via: claims.via, exp: claims.exp }, 'api token issued');
    return { token, claims };
  }

  verify(token: string): TokenCheck {
    if (!this.#key) return { ok: false, code: 'token_invalid' };
    const result = verifyToken(token, {
      key: this.#key,
      deviceId: this.#deps.deviceId,
      nowMs: this.#deps.clock.now(),
      skewMs: this.#skewMs,
      ...(this.#deps.compare ? { compare: this.#deps.compare } : {}),
    });
    if (!result.ok) return result;
    const c = result.claims;
    if (this.#revoked.has(c.tokenId)) return { ok: false, code: 'token_revoked' };
    return { ok: true, principal: { tokenId: c.tokenId, role: c.role, subject: c.subject, via: c.via, expiresAt: c.exp * 1000 } };
  }

  /** Revoke one token (technician signs out, cloud revokes). Full list → the key is rotated instead. */
  async revoke(tokenId: string, exp: number): Promise<void> {
    this.#requireKey();
    if (this.#revoked.add({ tokenId, exp }, this.#deps.clock.now(), this.#skewMs)) {
      this.#deps.logger?.info({ tid: tokenId }, 'api token revoked');
      await this.#persist();
      return;
    }
    this.#deps.logger?.warn({ tid: tokenId, capacity: this.#revoked.capacity }, 'revocation list full: revoking every api token');
    await this.revokeAll('revocation_list_full');
  }

  /** Every token minted so far stops working: unbind, credential rotation, factory reset. */
  async revokeAll(reason: string): Promise<void> {
    this.#setSalt(randomBytes(SALT_BYTES));
    this.#revoked.clear();
    this.#deps.logger?.warn({ reason }, 'api token key rotated: all tokens revoked');
    await this.#persist();
  }

  /** For tests and diagnostics; carries no secret (the salt alone derives nothing). */
  snapshot(): TokenStateFile {
    return { v: 1, keySalt: this.#salt ? this.#salt.toString('base64url') : '', revoked: this.#revoked.toJSON() };
  }

  #setSalt(salt: Buffer): void {
    this.#salt = salt;
    this.#key = deriveTokenKey(this.#deps.deviceSecret, salt, this.#deps.deviceId);
  }

  #requireKey(): Uint8Array {
    if (!this.#key) throw new Error('TokenAuthority used before load()');
    return this.#key;
  }

  /** Chained; each write stores the state as it is when its turn comes. */
  #persist(): Promise<void> {
    const write = async (): Promise<void> => {
      try {
        await mkdir(dirname(this.#deps.statePath), { recursive: true });
        await writeFileAtomic(this.#deps.statePath, `${JSON.stringify(this.snapshot())}\n`);
      } catch (err) {
        // Revocations still hold in memory; a reboot before the next good write would forget them.
        this.#deps.logger?.error({ err, path: this.#deps.statePath }, 'could not persist api token state');
      }
    };
    this.#writes = this.#writes.then(write);
    return this.#writes;
  }
}

export function parseStateFile(text: string): TokenStateFile | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const o = value as Record<string, unknown>;
  if (o.v !== 1 || typeof o.keySalt !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(o.keySalt) || !Array.isArray(o.revoked)) return null;
  return { v: 1, keySalt: o.keySalt, revoked: o.revoked as TokenStateFile['revoked'] };
}

