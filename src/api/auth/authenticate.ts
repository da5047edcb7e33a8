import { authFailure, type AuthFailure } from './auth-error.js';
import { authorize, PUBLIC, type Principal } from './roles.js';
import type { TokenVerifier } from './token-authority.js';
import { MAX_TOKEN_CHARS } from './token-codec.js';

/**
 * The one way the HTTP layer turns request headers into a principal.
 * Only `Authorization: Bearer <token>` (RFC 6750 §2.1) is read: no query
 * parameter (it would end up in access logs and browser history), no
 * cookie, no Basic. The scheme name is case-insensitive (RFC 9110 §11.1).
 */
export type AuthResult = { ok: true; principal: Principal } | { ok: false; failure: AuthFailure };

/** Node's IncomingHttpHeaders and fastify's request.headers both fit. */
export type RequestHeaders = Record<string, string | string[] | undefined>;

const BEARER = /^bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

export function bearerToken(headers: RequestHeaders): { token: string } | AuthFailure {
  const raw = headers.authorization;
  // A repeated header is an attempt at confusion, not a missing one.
  if (Array.isArray(raw)) return authFailure('token_invalid');
  if (raw === undefined || raw.trim() === '') return authFailure('token_missing');
  if (raw.length > MAX_TOKEN_CHARS + 16) return authFailure('token_invalid');
  const m = BEARER.exec(raw);
  return m ? { token: m[1]! } : authFailure('token_invalid');
}

/** Bearer token → principal, or the reason why not. */
export function authenticate(headers: RequestHeaders, verifier: TokenVerifier): AuthResult {
  const bearer = bearerToken(headers);
  if (!('token' in bearer)) return { ok: false, failure: bearer };
  const checked = verifier.verify(bearer.token);
  return checked.ok ? { ok: true, principal: checked.principal } : { ok: false, failure: authFailure(checked.code) };
}

/**
 * authenticate + authorize for one route: what a route's preHandler calls
 * with the route's scope from ROUTE_POLICIES. A public route ignores any
 * header; `principal` is then null.
 */
export function guard(headers: RequestHeaders, scope: string, verifier: TokenVerifier): { ok: true; principal: Principal | null } | { ok: false; failure: AuthFailure } {
  if (scope === PUBLIC) return { ok: true, principal: null };
  const auth = authenticate(headers, verifier);
  if (!auth.ok) return auth;
  const decision = authorize(auth.principal, scope);
  return decision.allowed ? { ok: true, principal: auth.principal } : { ok: false, failure: decision.failure };
}
