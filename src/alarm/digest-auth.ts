import { createHash } from 'node:crypto';

/**
 * HTTP Digest access authentication (RFC 7616), the pure part: parsing a
 * `WWW-Authenticate` challenge and computing the `Authorization` answer.
 * ONVIF snapshot URIs sit behind Digest (ONVIF Core §5.9.1 requires it; the
 * streamers we target — Majestic, prudynt, go2rtc — offer MD5, a few also
 * SHA-256), so this is all we need; Basic is never sent (it would put the
 * password on the wire in clear).
 *
 * Only qop=auth (or the RFC 2069 no-qop form) is supported: auth-int would
 * hash the request body, and a GET has none worth protecting.
 */

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm: DigestAlgorithm;
  /** 'auth' when the server offers it; null for the legacy RFC 2069 form. */
  qop: 'auth' | null;
  /** The server says our nonce expired but the credentials were right: retry with the new one. */
  stale: boolean;
}

export interface DigestCredentials {
  username: string;
  password: string;
}

export interface DigestRequest {
  method: string;
  /** The request-target exactly as sent: path and query. */
  uri: string;
  /** Nonce count: how many requests this client has sent with this nonce, starting at 1. */
  nc: number;
  /** Client nonce, fresh random per request. */
  cnonce: string;
}

const ALGORITHMS: Record<string, DigestAlgorithm> = {
  'md5': 'MD5',
  'md5-sess': 'MD5-sess',
  'sha-256': 'SHA-256',
  'sha-256-sess': 'SHA-256-sess',
};

/** Stronger first: when a server offers both (RFC 7616 §3.7), we answer the SHA-256 one. */
const PREFERENCE: DigestAlgorithm[] = ['SHA-256', 'SHA-256-sess', 'MD5', 'MD5-sess'];

/**
 * Splits one or more `WWW-Authenticate` header values into challenges of
 * the form `{scheme, params}`. A header may carry several challenges
 * separated by commas (`Digest a=1, b=2, Digest …` or `Basic realm=x, Digest …`),
 * and quoted strings may contain commas and escaped quotes.
 */
export function parseAuthenticate(headers: readonly string[]): Array<{ scheme: string; params: Record<string, string> }> {
  const out: Array<{ scheme: string; params: Record<string, string> }> = [];
  for (const header of headers) {
    let i = 0;
    const n = header.length;
    let current: { scheme: string; params: Record<string, string> } | null = null;
    while (i < n) {
      while (i < n && (header[i] === ' ' || header[i] === ',' || header[i] === '\t')) i++;
      const tokenStart = i;
      while (i < n && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(header[i]!)) i++;
      const token = header.slice(tokenStart, i);
      if (token === '') {
        i++; // stray character: skip it rather than loop forever
        continue;
      }
      let j = i;
      while (j < n && (header[j] === ' ' || header[j] === '\t')) j++;
      if (header[j] === '=' ) {
        // auth-param: token = token / quoted-string
        i = j + 1;
        while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
        let value = '';
        if (header[i] === '"') {
          i++;
          while (i < n && header[i] !== '"') {
            if (header[i] === '\\' && i + 1 < n) i++;
            value += header[i];
            i++;
          }
          i++; // closing quote
        } else {
          const vs = i;
          while (i < n && header[i] !== ',' && header[i] !== ' ') i++;
          value = header.slice(vs, i);
        }
        if (current) current.params[token.toLowerCase()] = value;
      } else {
        // A token not followed by '=' starts a new challenge (its scheme).
        current = { scheme: token.toLowerCase(), params: {} };
        out.push(current);
      }
    }
  }
  return out;
}

/**
 * The Digest challenge we will answer, or null when the server offers none
 * we support (no Digest, only auth-int, unknown algorithm).
 */
export function pickDigestChallenge(headers: readonly string[]): DigestChallenge | null {
  const candidates: DigestChallenge[] = [];
  for (const c of parseAuthenticate(headers)) {
    if (c.scheme !== 'digest') continue;
    const { realm, nonce } = c.params;
    if (realm === undefined || nonce === undefined || nonce === '') continue;
    const algorithm = ALGORITHMS[(c.params.algorithm ?? 'MD5').toLowerCase()];
    if (algorithm === undefined) continue;
    let qop: 'auth' | null = null;
    if (c.params.qop !== undefined) {
      const offered = c.params.qop.split(',').map((q) => q.trim().toLowerCase());
      if (!offered.includes('auth')) continue;
      qop = 'auth';
    }
    candidates.push({
      realm,
      nonce,
      ...(c.params.opaque !== undefined ? { opaque: c.params.opaque } : {}),
      algorithm,
      qop,
      stale: (c.params.stale ?? '').toLowerCase() === 'true',
    });
  }
  candidates.sort((a, b) => PREFERENCE.indexOf(a.algorithm) - PREFERENCE.indexOf(b.algorithm));
  return candidates[0] ?? null;
}

function hasher(algorithm: DigestAlgorithm): (s: string) => string {
  const name = algorithm.startsWith('SHA-256') ? 'sha256' : 'md5';
  return (s) => createHash(name).update(s, 'utf8').digest('hex');
}

/** The 8-hex-digit nonce count (RFC 7616 §3.4: "nc-value = 8LHEX"). */
export function formatNonceCount(nc: number): string {
  return nc.toString(16).padStart(8, '0');
}

/** The `response` value of RFC 7616 §3.4.1. */
export function digestResponse(ch: DigestChallenge, cred: DigestCredentials, req: DigestRequest): string {
  const H = hasher(ch.algorithm);
  let ha1 = H(`${cred.username}:${ch.realm}:${cred.password}`);
  if (ch.algorithm.endsWith('-sess')) ha1 = H(`${ha1}:${ch.nonce}:${req.cnonce}`);
  const ha2 = H(`${req.method}:${req.uri}`);
  if (ch.qop === null) return H(`${ha1}:${ch.nonce}:${ha2}`);
  return H(`${ha1}:${ch.nonce}:${formatNonceCount(req.nc)}:${req.cnonce}:${ch.qop}:${ha2}`);
}

function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The full `Authorization` header value answering `ch`. */
export function digestAuthorization(ch: DigestChallenge, cred: DigestCredentials, req: DigestRequest): string {
  const parts = [
    `username=${quote(cred.username)}`,
    `realm=${quote(ch.realm)}`,
    `nonce=${quote(ch.nonce)}`,
    `uri=${quote(req.uri)}`,
    `algorithm=${ch.algorithm}`,
    `response=${quote(digestResponse(ch, cred, req))}`,
  ];
  if (ch.qop !== null) parts.push(`qop=${ch.qop}`, `nc=${formatNonceCount(req.nc)}`, `cnonce=${quote(req.cnonce)}`);
  if (ch.opaque !== undefined) parts.push(`opaque=${quote(ch.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}
