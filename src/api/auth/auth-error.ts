/**
 * Why a request to the local API was not let through, as a value the HTTP
 * layer maps to a status and an error envelope. Every 401 carries a
 * `WWW-Authenticate: Bearer` challenge (RFC 6750 §3); the `error` attribute
 * there is the RFC's coarse class, the `code` in the body is ours.
 */
export type AuthErrorCode =
  /** No Authorization header (or an empty one). */
  | 'token_missing'
  /** A header that is not `Bearer <token>`, or a token that fails its format, MAC or claims. */
  | 'token_invalid'
  /** A good token past `exp` (+ the clock-skew allowance). */
  | 'token_expired'
  /** A token minted for another camera. */
  | 'token_wrong_device'
  /** A good token whose id was revoked (or whose key was rotated away by revokeAll: that reads as token_invalid). */
  | 'token_revoked'
  /** A good token whose role does not carry the route's scope, or a scope nobody allowed. */
  | 'forbidden';

export interface AuthFailure {
  code: AuthErrorCode;
  status: 401 | 403;
}

export const AUTH_ERROR_STATUS: Readonly<Record<AuthErrorCode, 401 | 403>> = {
  token_missing: 401,
  token_invalid: 401,
  token_expired: 401,
  token_wrong_device: 401,
  token_revoked: 401,
  forbidden: 403,
};

export function authFailure(code: AuthErrorCode): AuthFailure {
  return { code, status: AUTH_ERROR_STATUS[code] };
}

/**
 * The WWW-Authenticate value for a failure (RFC 6750 §3.1): no `error` when
 * no credentials were sent, `invalid_token` for any bad token,
 * `insufficient_scope` for 403. Never echoes anything from the request.
 */
export function wwwAuthenticate(code: AuthErrorCode): string {
  if (code === 'token_missing') return 'Bearer realm="camera"';
  if (code === 'forbidden') return 'Bearer realm="camera", error="insufficient_scope"';
  return 'Bearer realm="camera", error="invalid_token"';
}
