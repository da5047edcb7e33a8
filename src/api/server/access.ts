/**
 * The two access-control parts the server is given rather than owns: who is
 * asking and may they (src/api/auth/ implements it), and where the record
 * of it goes (src/api/audit/ implements it). Kept as small structural types
 * so the server, its tests and the bench need neither.
 */

export type ApiRole = 'viewer' | 'technician' | 'admin';

export interface ApiPrincipal {
  tokenId: string;
  role: ApiRole;
}

export type AuthOutcome =
  | { ok: true; principal: ApiPrincipal }
  | { ok: false; status: 401 | 403 | 429; code: string; retryAfterMs?: number };

export interface ApiAuth {
  /** Checks the bearer token in `headers`; counts failures per source for the lockout. Never throws on input. */
  authenticate(headers: Record<string, string | string[] | undefined>, remoteAddress: string): AuthOutcome;
  /** Deny unless allowed: an unknown scope must give false. */
  authorize(principal: ApiPrincipal, scope: string): boolean;
}

/** The audited actions the server writes (names as in src/api/audit/audit-entry.ts AUDIT_ACTIONS). */
export type ApiAuditAction =
  | 'login'
  | 'login_failed'
  | 'config_change'
  | 'wifi_change'
  | 'motion_zones_change'
  | 'reset_provisioning'
  | 'factory_reset'
  | 'reboot'
  | 'log_download'
  | 'audit_view'
  | 'talkback_start'
  | 'talkback_stop'
  | 'snapshot_view'
  | 'identify'
  | 'selftest';

export interface ApiAuditEvent {
  who: { type: 'token'; tokenId: string; role: ApiRole } | { type: 'anonymous' };
  action: ApiAuditAction;
  /** Remote address as the socket reports it; the audit log masks it. */
  from: string;
  result: { status: 'ok' } | { status: 'denied' | 'failed'; code: string };
  /** Short code-like facts only (keys from audit-entry.ts DETAIL_KEYS), never values sent by the client. */
  details?: Record<string, unknown>;
}

export interface ApiAudit {
  /** Must not throw; a slow store must not hold the request (fire and forget). */
  record(event: ApiAuditEvent): void;
}
