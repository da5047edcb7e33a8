/**
 * Payload types of every message the cloud link sends or accepts. The JSON
 * Schemas in payload-schemas.ts describe the same shapes for the cloud side
 * (docs/schemas/*.json are generated from them, and a unit test checks the
 * payloads our builders produce against those schemas).
 */

export type LinkState = 'online' | 'offline' | 'stopped';

export interface StatusPayload {
  state: LinkState;
  /** Wall-clock ms when the state was published; absent in the last will (fixed at connect time). */
  ts?: number;
}

/** Device facts; personal values (SSID, MAC, IP) arrive already masked from the provider. */
export interface InfoPayload {
  model: string;
  serial: string;
  firmwareVersion: string;
  agentVersion: string;
  mac?: string;
  ip?: string;
  wifi?: { ssid?: string; rssi?: number };
  uptimeS?: number;
  activatedAt?: number | null;
  capabilities: string[];
  [extra: string]: unknown;
}

export interface HealthPayload {
  ts: number;
  uptimeS: number;
  memory: { rssBytes: number; heapUsedBytes: number; systemFreeBytes?: number };
  /** process.getActiveResourcesInfo().length: open handles and pending requests. */
  handles?: number;
  load?: number[];
  cpuTempC?: number | null;
  storage?: { freeBytes: number; totalBytes: number };
  queues: { outbox: number; outboxBytes: number; outboxDropped: number };
  [extra: string]: unknown;
}

export type EventPriority = 'high' | 'low';

export interface EventPayload {
  /** 16 random bytes, hex: the cloud de-duplicates by it (delivery is at least once). */
  id: string;
  type: string;
  /** Wall-clock ms when the event happened (not when it was sent). */
  ts: number;
  priority: EventPriority;
  data: Record<string, unknown>;
}

export interface RequestEnvelope {
  transaction: string;
  /** Optional: the op is the topic's last level; when given it must agree. */
  op?: string;
  /** Wall-clock ms when the cloud issued the request. */
  ts: number;
  /** The request is rejected (request_expired) when older than this. */
  ttlMs?: number;
  args?: Record<string, unknown>;
}

export interface ErrorBody {
  code: string;
  message: string;
  /** Per-field errors (config.set, invalid_args). */
  fields?: FieldProblem[];
}

export interface FieldProblem {
  path: string;
  code: string;
  rule: string;
}

export type ResponsePayload =
  | { transaction: string; op: string; ts: number; status: 'ok'; data: unknown }
  | { transaction: string; op: string; ts: number; status: 'error'; error: ErrorBody };

export interface ConfigDesiredPayload {
  /** Monotonic version chosen by the cloud; an older one than in force is ignored. */
  version?: number;
  config: Record<string, unknown>;
}

export interface ConfigReportedPayload {
  ts: number;
  /** The desired document this report answers (null before any arrived). */
  desiredVersion: number | null;
  desiredHash: string | null;
  status: 'applied' | 'rejected' | 'none';
  applied: string[];
  restartRequired: string[];
  pinned: string[];
  rejected: FieldProblem[];
  /** The configuration in force, secrets masked. */
  config: Record<string, unknown>;
}

export type HaDiscoveryPayload = Record<string, unknown>;

/**
 * cam/{deviceId}/activate: the device presents the binding token from the
 * provisioning QR (provisioning.md §6.4). Published directly, never through
 * the durable outbox: the token is a single-use secret with a 10-minute life,
 * not something to keep on flash and resend after an outage.
 */
export interface ActivatePayload {
  /** Echoed in the cloud's `bind.result` request op; a new one per attempt. */
  requestId: string;
  token: string;
  /** Region code the app chose (from the compiled-in allow-list). */
  region: string;
  serial: string;
  firmwareVersion: string;
  ts: number;
}
