import { sanitize } from '../../log/logger.js';
import type { SecretRegistry } from '../../log/secret-registry.js';
import { maskSourceAddress } from './source-address.js';

/**
 * One audit record: pure construction, encoding and parsing, no I/O.
 *
 * A record is a fact about an access to the device (who, what, when, from
 * where, result), never a copy of what was sent: details are an allow-list
 * of short, code-like facts, and the encoded line passes the same redaction
 * as a log line (key-based `sanitize`, then the registry of secret values).
 */

/** The closed set of audited actions. Adding one is a code change, on purpose. */
export const AUDIT_ACTIONS = [
  'login',
  'login_failed',
  'token_minted',
  'config_change',
  'wifi_change',
  'motion_zones_change',
  'reset_provisioning',
  'factory_reset',
  'reboot',
  'log_download',
  'audit_view',
  'talkback_start',
  'talkback_stop',
  'snapshot_view',
  'identify',
  'selftest',
  /** Written by erase() itself: the first record of a fresh log. */
  'audit_erased',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * Actions written to flash (fdatasync) before append() resolves: access
 * control and anything that changes or resets the device. A reboot or a
 * reset follows some of them within a second, and a power cut must not lose
 * the record of a login. Any `denied` result is treated the same way.
 */
export const IMMEDIATE_ACTIONS: ReadonlySet<AuditAction> = new Set<AuditAction>([
  'login',
  'login_failed',
  'token_minted',
  'config_change',
  'wifi_change',
  'motion_zones_change',
  'reset_provisioning',
  'factory_reset',
  'reboot',
  'audit_erased',
]);

export const AUDIT_ROLES = ['viewer', 'technician', 'admin'] as const;
export type AuditRole = (typeof AUDIT_ROLES)[number];

/**
 * Who acted. `token` for anything authenticated on the local API (cloud-issued
 * or offline-credential tokens alike); `anonymous` for a request without a
 * valid token; `cloud` for a cloud op (unbind, reboot); `device` for the
 * agent itself or the physical button.
 */
export type AuditActor =
  | { type: 'token'; tokenId: string; role: AuditRole }
  | { type: 'anonymous' }
  | { type: 'cloud' }
  | { type: 'device' };

export type AuditResult = { status: 'ok' } | { status: 'denied' | 'failed'; code: string };

/** What a caller hands to append(). */
export interface AuditInput {
  actor: AuditActor;
  action: AuditAction;
  /** Remote address as the socket reports it; masked here. Omit for cloud/device actions. */
  source?: string | null;
  result: AuditResult;
  details?: Record<string, unknown>;
}

/** A stored record, as list() returns it and as one JSON line holds it. */
export interface AuditEntry {
  /** Format version; also marks the line as an audit record inside a mixed log upload. */
  audit: 1;
  /** Increases by one per record for the life of the device (across restarts and erasure). */
  seq: number;
  /** Wall-clock ms (may jump with NTP; order by seq). */
  ts: number;
  who: { token: string; role: AuditRole } | 'anonymous' | 'cloud' | 'device';
  action: AuditAction;
  /** Masked source address, or null for cloud/device actions. */
  from: string | null;
  result: 'ok' | 'denied' | 'failed';
  code?: string;
  details?: Record<string, unknown>;
}

/**
 * How each allowed detail key is checked. Free text is where secrets leak
 * (a mistyped password pasted into a "reason"), so there is none: strings
 * must look like codes, config key paths or routes.
 */
type DetailKind = 'code' | 'codes' | 'count' | 'flag' | 'ssid' | 'route';
export const DETAIL_KEYS: Readonly<Record<string, DetailKind>> = {
  /** Config key paths changed or rejected: names only, never values. */
  keys: 'codes',
  rejected: 'codes',
  reason: 'code',
  via: 'code',
  /** Talkback codec name (pcmu, opus…). */
  codec: 'code',
  method: 'code',
  route: 'route',
  /** Role requested or minted. */
  role: 'code',
  scope: 'code',
  checks: 'codes',
  failedChecks: 'codes',
  ssid: 'ssid',
  expiresAt: 'count',
  ttlSec: 'count',
  lines: 'count',
  bytes: 'count',
  durationMs: 'count',
  attempts: 'count',
  retryAfterSec: 'count',
  zones: 'count',
  delayMs: 'count',
  erasedEntries: 'count',
  restartRequired: 'flag',
  follow: 'flag',
};

const CODE_RE = /^[A-Za-z0-9_.:/[\]-]{1,96}$/;
const TOKEN_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_CODES = 32;
/** A record longer than this loses its details (it would be a bug in the caller). */
export const MAX_LINE_BYTES = 4096;

export function isAuditAction(v: unknown): v is AuditAction {
  return typeof v === 'string' && (AUDIT_ACTIONS as readonly string[]).includes(v);
}

export function isImmediate(input: Pick<AuditInput, 'action' | 'result'>): boolean {
  return IMMEDIATE_ACTIONS.has(input.action) || input.result.status === 'denied';
}

function checkDetail(kind: DetailKind, value: unknown): unknown {
  switch (kind) {
    case 'code':
      return typeof value === 'string' && CODE_RE.test(value) ? value : '[invalid]';
    case 'codes':
      if (!Array.isArray(value)) return '[invalid]';
      return value.slice(0, MAX_CODES).map((v) => (typeof v === 'string' && CODE_RE.test(v) ? v : '[invalid]'));
    case 'count':
      return typeof value === 'number' && Number.isFinite(value) ? value : '[invalid]';
    case 'flag':
      return typeof value === 'boolean' ? value : '[invalid]';
    case 'ssid':
      // Masked by sanitize() under this key (first two characters and the length).
      return typeof value === 'string' ? value.slice(0, 64) : '[invalid]';
    case 'route': {
      if (typeof value !== 'string') return '[invalid]';
      // The query string can carry a token (`?access_token=`), so it never gets in.
      const path = value.split(/[?#]/, 1)[0]!.slice(0, 128);
      return /^\/[A-Za-z0-9_.\-/]*$/.test(path) ? path : '[invalid]';
    }
  }
}

/** Details reduced to the allow-list, checked per kind, then sanitised like a log object. */
export function cleanDetails(details: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!details || typeof details !== 'object') return undefined;
  const out: Record<string, unknown> = {};
  let dropped = 0;
  for (const [key, value] of Object.entries(details)) {
    const kind = Object.prototype.hasOwnProperty.call(DETAIL_KEYS, key) ? DETAIL_KEYS[key] : undefined;
    if (!kind || value === undefined) {
      if (value !== undefined) dropped++;
      continue;
    }
    out[key] = checkDetail(kind, value);
  }
  // The count, not the names: a key name can be anything a caller built.
  if (dropped) out.droppedKeys = dropped;
  if (!Object.keys(out).length) return undefined;
  return sanitize(out) as Record<string, unknown>;
}

function actorField(actor: AuditActor): AuditEntry['who'] {
  switch (actor.type) {
    case 'token':
      return {
        token: TOKEN_ID_RE.test(actor.tokenId) ? actor.tokenId : '[invalid]',
        role: (AUDIT_ROLES as readonly string[]).includes(actor.role) ? actor.role : 'viewer',
      };
    case 'cloud':
    case 'device':
    case 'anonymous':
      return actor.type;
  }
}

/** The record for an input, given its sequence number and time. */
export function buildEntry(input: AuditInput, seq: number, ts: number): AuditEntry {
  if (!isAuditAction(input.action)) throw new TypeError(`unknown audit action: ${String(input.action)}`);
  const entry: AuditEntry = {
    audit: 1,
    seq,
    ts,
    who: actorField(input.actor),
    action: input.action,
    from: input.source === undefined || input.source === null ? null : maskSourceAddress(input.source),
    result: input.result.status,
  };
  if (input.result.status !== 'ok') entry.code = CODE_RE.test(input.result.code) ? input.result.code : 'invalid_code';
  const details = cleanDetails(input.details);
  if (details) entry.details = details;
  return entry;
}

/**
 * One line with its newline. The registry scrub is the last line of
 * defence, as in the log sink: a registered secret is replaced wherever it
 * turns up. Scrubbing can make a line invalid JSON only if a secret spans
 * JSON syntax, which registered values (≥ 4 chars of a value) cannot do
 * except inside a string — where `[redacted]` keeps it valid.
 */
export function encodeEntry(entry: AuditEntry, secrets?: SecretRegistry): string {
  let line = JSON.stringify(entry);
  if (secrets) line = secrets.scrub(line);
  if (Buffer.byteLength(line) > MAX_LINE_BYTES) {
    const { details: _dropped, ...rest } = entry;
    line = JSON.stringify({ ...rest, details: { truncated: true } });
    if (secrets) line = secrets.scrub(line);
  }
  return `${line}\n`;
}

/** A stored line back to a record, or null when it is not one (torn, zero-filled, foreign). */
export function parseEntry(line: string): AuditEntry | null {
  if (!line.startsWith('{"audit":1,')) return null;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const e = v as Partial<AuditEntry>;
  if (!Number.isSafeInteger(e.seq) || typeof e.ts !== 'number' || !isAuditAction(e.action)) return null;
  if (e.result !== 'ok' && e.result !== 'denied' && e.result !== 'failed') return null;
  if (e.who === undefined || (typeof e.who !== 'string' && typeof e.who !== 'object')) return null;
  return e as AuditEntry;
}
