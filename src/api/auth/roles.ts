import { authFailure, type AuthFailure } from './auth-error.js';

/**
 * Roles and scopes of the local API (issue 9 §2, security.md REQ-S03). Roles
 * are ordered: a role holds every scope of the roles below it. A route names
 * ONE scope; the table below says which role first holds it. Anything not in
 * the table is denied, so a route added without a policy cannot be reached.
 */
export const ROLES = ['viewer', 'technician', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const ROLE_RANK: Readonly<Record<Role, number>> = { viewer: 1, technician: 2, admin: 3 };

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ROLE_RANK, value);
}

/**
 * Scope → the lowest role that holds it. Kept as data so the OpenAPI
 * generator and the console can show it, and the tests can walk it.
 *
 * Choices beyond the list: the live snapshot, Wi-Fi scan results,
 * motion zones and the audit log are technician (they show the customer's
 * home and neighbourhood: personal data); config and event reads are viewer
 * (secrets never appear in them, and `device:read` is masked for viewers).
 */
export const SCOPE_MIN_ROLE = {
  'health:read': 'viewer',
  'device:read': 'viewer',
  'config:read': 'viewer',
  'events:read': 'viewer',
  'config:write': 'technician',
  'wifi:scan': 'technician',
  'wifi:write': 'technician',
  'snapshot:read': 'technician',
  'motion:read': 'technician',
  'motion:write': 'technician',
  'identify:run': 'technician',
  'logs:read': 'technician',
  'audit:read': 'technician',
  'reboot:run': 'technician',
  'selftest:run': 'technician',
  'talkback:tone': 'technician',
  /** Speak through the camera (GET /v1/talkback/ws): as intrusive as the live picture, so technician. */
  'talkback:talk': 'technician',
  'provisioning:reset': 'admin',
  'factory:reset': 'admin',
} as const satisfies Record<string, Role>;

export type Scope = keyof typeof SCOPE_MIN_ROLE;
export const SCOPES = Object.keys(SCOPE_MIN_ROLE) as Scope[];

/** The one route-level marker that needs no token (issue 9 contract: `GET /ping`). */
export const PUBLIC = 'public' as const;
export type RouteScope = Scope | typeof PUBLIC;

export interface RoutePolicy {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The route as registered with the router (no trailing slash, no normalisation here). */
  path: string;
  scope: RouteScope;
  /** The handler must also see a button press before acting (issue 9: factory reset). */
  physicalConfirm?: true;
}

/** Every route of issue 9 §4 and its scope. The server registers exactly these. */
export const ROUTE_POLICIES: readonly RoutePolicy[] = [
  { method: 'GET', path: '/ping', scope: PUBLIC },
  { method: 'GET', path: '/v1/health', scope: 'health:read' },
  { method: 'GET', path: '/v1/device', scope: 'device:read' },
  { method: 'GET', path: '/v1/config', scope: 'config:read' },
  { method: 'PATCH', path: '/v1/config', scope: 'config:write' },
  { method: 'GET', path: '/v1/wifi/scan', scope: 'wifi:scan' },
  { method: 'PUT', path: '/v1/wifi', scope: 'wifi:write' },
  { method: 'GET', path: '/v1/snapshot.jpg', scope: 'snapshot:read' },
  { method: 'GET', path: '/v1/motion/zones', scope: 'motion:read' },
  { method: 'PUT', path: '/v1/motion/zones', scope: 'motion:write' },
  { method: 'POST', path: '/v1/identify', scope: 'identify:run' },
  { method: 'GET', path: '/v1/logs', scope: 'logs:read' },
  { method: 'GET', path: '/v1/audit', scope: 'audit:read' },
  { method: 'GET', path: '/v1/events', scope: 'events:read' },
  { method: 'POST', path: '/v1/reboot', scope: 'reboot:run' },
  { method: 'POST', path: '/v1/selftest', scope: 'selftest:run' },
  { method: 'POST', path: '/v1/talkback/test-tone', scope: 'talkback:tone' },
  { method: 'GET', path: '/v1/talkback/ws', scope: 'talkback:talk' },
  { method: 'POST', path: '/v1/provisioning/reset', scope: 'provisioning:reset' },
  { method: 'POST', path: '/v1/factory-reset', scope: 'factory:reset', physicalConfirm: true },
];

/** Exact lookup; no policy means the router must answer 404 (or 405), never serve. */
export function findRoutePolicy(method: string, path: string): RoutePolicy | undefined {
  return ROUTE_POLICIES.find((r) => r.method === method && r.path === path);
}

/** Who is asking, once a token checked out. Carries no token text. */
export interface Principal {
  tokenId: string;
  role: Role;
  /** Technician id from the cloud, or the offline login's name. */
  subject: string;
  /** How the token was obtained: minted on the cloud's request, or offline with code + button. */
  via: 'cloud' | 'button';
  /** Wall-clock ms. */
  expiresAt: number;
}

export type AuthzDecision = { allowed: true } | { allowed: false; failure: AuthFailure };

function isScope(value: string): value is Scope {
  return Object.prototype.hasOwnProperty.call(SCOPE_MIN_ROLE, value);
}

/**
 * Deny unless explicitly allowed: an unknown scope, an unknown role or a
 * missing principal is never let through. `public` needs no principal.
 */
export function authorize(principal: Principal | null, requiredScope: string): AuthzDecision {
  if (requiredScope === PUBLIC) return { allowed: true };
  if (!principal) return { allowed: false, failure: authFailure('token_missing') };
  if (!isScope(requiredScope) || !isRole(principal.role)) return { allowed: false, failure: authFailure('forbidden') };
  const need = ROLE_RANK[SCOPE_MIN_ROLE[requiredScope]];
  return ROLE_RANK[principal.role] >= need ? { allowed: true } : { allowed: false, failure: authFailure('forbidden') };
}

/** The scopes a role holds, for the console (hide buttons that would 403) and the docs. */
export function scopesOf(role: Role): Scope[] {
  return SCOPES.filter((s) => ROLE_RANK[role] >= ROLE_RANK[SCOPE_MIN_ROLE[s]]);
}
