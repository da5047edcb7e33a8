import type { OpHandler } from '../../cloud/ops.js';
import type { FieldProblem } from '../../cloud/payloads.js';
import type { JsonSchema } from '../../cloud/json-check.js';
import { ROLES, isRole, type Role } from './roles.js';
import type { TokenAuthority } from './token-authority.js';
import { MAX_TOKEN_TTL_S, MIN_TOKEN_TTL_S, SUBJECT_PATTERN } from './token-codec.js';

/**
 * The cloud's `api.token` request op: "mint a local-API token for this
 * technician". The cloud has already decided the technician may work on
 * this camera (its own account checks); the camera only bounds what it
 * mints. MQTT delivery is authenticated by the broker policy, and the
 * request handler drops stale and duplicate requests (REQ-S12).
 */
export const API_TOKEN_OP = 'api.token';
export const DEFAULT_TOKEN_TTL_S = 3600;

/** For OP_ARG_SCHEMAS (src/cloud/payload-schemas.ts), so the published request-args schema matches. */
export const API_TOKEN_ARGS_SCHEMA = {
  type: 'object',
  required: ['role', 'subject'],
  additionalProperties: false,
  description: 'mint a local API token for a field technician; the response carries the token (a secret: show it to the technician only)',
  properties: {
    role: { type: 'string', enum: ROLES },
    subject: { type: 'string', pattern: SUBJECT_PATTERN.source, maxLength: 64, description: 'technician id, for the audit log' },
    ttlS: { type: 'integer', minimum: MIN_TOKEN_TTL_S, maximum: MAX_TOKEN_TTL_S, description: `lifetime in seconds; default ${DEFAULT_TOKEN_TTL_S}` },
  },
} as const satisfies JsonSchema;

export interface TokenRequestArgs {
  role: Role;
  subject: string;
  ttlS: number;
}

export type TokenArgsResult = { ok: true; value: TokenRequestArgs } | { ok: false; problems: FieldProblem[] };

/** Pure; the same rules as the schema, usable without the schema checker (and by the tests). */
export function parseTokenRequestArgs(args: unknown): TokenArgsResult {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    return { ok: false, problems: [{ path: 'args', code: 'invalid_value', rule: 'type' }] };
  }
  const o = args as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  for (const k of Object.keys(o)) {
    if (k !== 'role' && k !== 'subject' && k !== 'ttlS') problems.push({ path: `args.${k.slice(0, 64)}`, code: 'invalid_value', rule: 'additionalProperties' });
  }
  if (!Object.prototype.hasOwnProperty.call(o, 'role')) problems.push({ path: 'args.role', code: 'invalid_value', rule: 'required' });
  else if (!isRole(o.role)) problems.push({ path: 'args.role', code: 'invalid_value', rule: 'enum' });
  if (!Object.prototype.hasOwnProperty.call(o, 'subject')) problems.push({ path: 'args.subject', code: 'invalid_value', rule: 'required' });
  else if (typeof o.subject !== 'string' || !SUBJECT_PATTERN.test(o.subject)) problems.push({ path: 'args.subject', code: 'invalid_value', rule: 'pattern' });
  const ttl = o.ttlS;
  if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isSafeInteger(ttl) || ttl < MIN_TOKEN_TTL_S || ttl > MAX_TOKEN_TTL_S)) {
    problems.push({ path: 'args.ttlS', code: 'invalid_value', rule: typeof ttl === 'number' && Number.isSafeInteger(ttl) ? 'range' : 'type' });
  }
  if (problems.length) return { ok: false, problems };
  return { ok: true, value: { role: o.role as Role, subject: o.subject as string, ttlS: (ttl as number | undefined) ?? DEFAULT_TOKEN_TTL_S } };
}

/** The op's data on success. `token` is the secret; the rest is for the app's display. */
export interface TokenOpData {
  token: string;
  tokenId: string;
  deviceId: string;
  role: Role;
  subject: string;
  iat: number;
  exp: number;
}

/** The handler to register under `api.token`. */
export function apiTokenOpHandler(authority: Pick<TokenAuthority, 'mint'>): OpHandler {
  return (args) => {
    const parsed = parseTokenRequestArgs(args);
    if (!parsed.ok) {
      return { ok: false, error: { code: 'invalid_args', message: parsed.problems.map((p) => `${p.path} ${p.rule}`).join('; '), fields: parsed.problems } };
    }
    const { token, claims } = authority.mint({ ...parsed.value, via: 'cloud' });
    const data: TokenOpData = { token, tokenId: claims.tokenId, deviceId: claims.deviceId, role: claims.role, subject: claims.subject, iat: claims.iat, exp: claims.exp };
    return { ok: true, data };
  };
}
