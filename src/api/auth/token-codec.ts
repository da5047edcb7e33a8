import { createHmac, timingSafeEqual } from 'node:crypto';
import { hkdfSha256 } from '../../crypto/aes-gcm.js';
import type { AuthErrorCode } from './auth-error.js';
import { isRole, type Role } from './roles.js';

/**
 * The local API's bearer token, pure: encode, and decode-and-check. No I/O,
 * no clock of its own (the caller passes `nowMs`), no logging.
 *
 * Format (compact, like a JWS without a header: there is exactly one
 * algorithm, so there is no `alg` to confuse — security.md §5.2 "JWT alg=none"):
 *
 *   base64url(JSON claims) "." base64url(HMAC-SHA256(key, "cat1." ‖ first part))
 *
 * The MAC input carries a "cat1." domain prefix so a MAC made with the same
 * key for anything else can never pass as a token MAC.
 */
export const TOKEN_VERSION = 1;
/** Eight hours: a working day on site. The cloud may ask for less, never more. */
export const MAX_TOKEN_TTL_S = 8 * 3600;
export const MIN_TOKEN_TTL_S = 60;
/** Well above a real token (~230 chars), far below anything a header limit would let through. */
export const MAX_TOKEN_CHARS = 512;
/** Allowed difference between the device clock and a token's times (the device minted it, so small). */
export const DEFAULT_SKEW_MS = 30_000;

const MAC_DOMAIN = 'cat1.';
const MAC_BYTES = 32;
const MAC_B64_CHARS = 43;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{1,460}\.[A-Za-z0-9_-]{43}$/;
export const TOKEN_ID_PATTERN = /^[A-Za-z0-9_-]{16}$/;
/** Technician ids: printable, no spaces or separators that could forge an audit line. */
export const SUBJECT_PATTERN = /^[A-Za-z0-9._@:+-]{1,64}$/;
/** Device ids as the cloud topics accept them (security.md §5.2 "MQTT topic / ID injection"). */
const DEVICE_ID_PATTERN = /^[A-Za-z0-9:_-]{1,128}$/;

export interface TokenClaims {
  v: typeof TOKEN_VERSION;
  /** 96 random bits, base64url (16 chars). The only part of a token that may be logged. */
  tokenId: string;
  deviceId: string;
  role: Role;
  subject: string;
  via: 'cloud' | 'button';
  /** Unix seconds. */
  iat: number;
  exp: number;
}

/** The MAC key: never the device secret itself, and changed by a new salt (revokeAll). */
export function deriveTokenKey(deviceSecret: Uint8Array, keySalt: Uint8Array, deviceId: string): Uint8Array {
  return hkdfSha256(deviceSecret, keySalt, `camera-agent api-token v${TOKEN_VERSION} deviceId=${deviceId}`);
}

function mac(key: Uint8Array, payloadPart: string): Buffer {
  return createHmac('sha256', key).update(MAC_DOMAIN).update(payloadPart).digest();
}

export function encodeToken(claims: TokenClaims, key: Uint8Array): string {
  // Field order fixed by construction, so equal claims give equal tokens.
  const body = {
    v: claims.v,
    tokenId: claims.tokenId,
    deviceId: claims.deviceId,
    role: claims.role,
    subject: claims.subject,
    via: claims.via,
    iat: claims.iat,
    exp: claims.exp,
  };
  const payloadPart = Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
  return `${payloadPart}.${mac(key, payloadPart).toString('base64url')}`;
}

/** Strict claims check: exactly these keys, these types. Anything else is not one of our tokens. */
export function parseClaims(value: unknown): TokenClaims | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  const expected = ['v', 'tokenId', 'deviceId', 'role', 'subject', 'via', 'iat', 'exp'];
  if (keys.length !== expected.length || !expected.every((k) => Object.prototype.hasOwnProperty.call(o, k))) return null;
  const secs = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (o.v !== TOKEN_VERSION) return null;
  if (typeof o.tokenId !== 'string' || !TOKEN_ID_PATTERN.test(o.tokenId)) return null;
  if (typeof o.deviceId !== 'string' || !DEVICE_ID_PATTERN.test(o.deviceId)) return null;
  if (!isRole(o.role)) return null;
  if (typeof o.subject !== 'string' || !SUBJECT_PATTERN.test(o.subject)) return null;
  if (o.via !== 'cloud' && o.via !== 'button') return null;
  if (!secs(o.iat) || !secs(o.exp) || o.exp <= o.iat || o.exp - o.iat > MAX_TOKEN_TTL_S) return null;
  // Offline login never yields admin (issue 9 §2); a token saying otherwise was not minted by us.
  if (o.via === 'button' && o.role === 'admin') return null;
  return { v: TOKEN_VERSION, tokenId: o.tokenId, deviceId: o.deviceId, role: o.role, subject: o.subject, via: o.via, iat: o.iat, exp: o.exp };
}

export type MacCompare = (a: Uint8Array, b: Uint8Array) => boolean;

export interface VerifyOptions {
  key: Uint8Array;
  deviceId: string;
  nowMs: number;
  skewMs?: number;
  /** Injected only so a test can see it is the constant-time one; defaults to crypto.timingSafeEqual. */
  compare?: MacCompare;
}

export type VerifyResult = { ok: true; claims: TokenClaims } | { ok: false; code: Exclude<AuthErrorCode, 'token_missing' | 'forbidden' | 'token_revoked'> };

function decodePayload(payloadPart: string): TokenClaims | null {
  try {
    return parseClaims(JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8')));
  } catch {
    return null;
  }
}

/**
 * Format → MAC (constant time, always computed once the format is right) →
 * device → time. Claims are parsed before the MAC check only to tell a
 * technician "this token is for another camera" (that token cannot pass our
 * MAC anyway, the key is per device); they are trusted only after it.
 */
export function verifyToken(token: string, opts: VerifyOptions): VerifyResult {
  if (token.length > MAX_TOKEN_CHARS || !TOKEN_SHAPE.test(token)) return { ok: false, code: 'token_invalid' };
  const dot = token.indexOf('.');
  const payloadPart = token.slice(0, dot);
  const macPart = token.slice(dot + 1);
  const given = Buffer.from(macPart, 'base64url');
  // 43 base64url chars decode to 32 bytes, but the last char carries 2 spare bits: reject non-canonical forms.
  if (given.length !== MAC_BYTES || given.toString('base64url') !== macPart || macPart.length !== MAC_B64_CHARS) {
    return { ok: false, code: 'token_invalid' };
  }
  const expected = mac(opts.key, payloadPart);
  const compare = opts.compare ?? timingSafeEqual;
  const macOk = compare(expected, given);
  const claims = decodePayload(payloadPart);
  if (!macOk) {
    return claims && claims.deviceId !== opts.deviceId ? { ok: false, code: 'token_wrong_device' } : { ok: false, code: 'token_invalid' };
  }
  if (!claims) return { ok: false, code: 'token_invalid' };
  if (claims.deviceId !== opts.deviceId) return { ok: false, code: 'token_wrong_device' };
  const skew = opts.skewMs ?? DEFAULT_SKEW_MS;
  if (claims.iat * 1000 > opts.nowMs + skew) return { ok: false, code: 'token_invalid' };
  if (opts.nowMs > claims.exp * 1000 + skew) return { ok: false, code: 'token_expired' };
  return { ok: true, claims };
}
