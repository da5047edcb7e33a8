import type { AccessPoint } from '../../network/wifi-scan.js';
import type { WifiCredentials } from '../../provisioning/provisioning-payload.js';
import type { MotionRegion } from '../../media/motion/regions.js';

/**
 * What the `/v1` handlers ask the device to do (issue 9 §4). The HTTP layer
 * only translates: it validates the request, calls one of these, and writes
 * the answer. The agent (or the demo, or a test) implements them; the
 * camera, the config store, the Wi-Fi join and the cloud link live behind
 * this interface, not in the API.
 *
 * An action refuses with `ApiActionError` (code + status); anything else it
 * throws becomes a 500 `internal_error` without its message.
 */

export type HealthStatus = 'ok' | 'degraded' | 'failed' | 'unknown';
export const HEALTH_CHECKS = ['cloudLink', 'video', 'storage', 'clock', 'memory'] as const;
export type HealthCheckName = (typeof HEALTH_CHECKS)[number];

export interface HealthCheck {
  status: HealthStatus;
  /** A short code-like reason when not ok, e.g. `broker_unreachable`, `clock_unsynced`. */
  code?: string;
  /** A human-readable line for the console; never carries secrets. */
  detail?: string;
}

export interface HealthReport {
  /** Worst of the checks. */
  status: HealthStatus;
  checks: Record<HealthCheckName, HealthCheck>;
  uptimeS: number;
}

export interface DeviceInfo {
  identity: { model: string; serial: string; hwRevision: string; mac: string };
  versions: { agent: string; firmware: string; node: string };
  network: { ssid: string | null; ip: string | null; mac: string; signal: number | null; gateway: string | null };
  lifecycle: string;
}

/** Result of a config change: per dotted key (thingino mutation envelope). */
export interface ConfigPatchResult {
  /** Keys stored and in effect now. */
  applied: string[];
  /** Keys stored that take effect only after a restart (not listed in applied). */
  restartRequired: string[];
  /** Keys refused, with why. A runtime change is all or nothing: when any is rejected, nothing is written. */
  rejected: Array<{ field: string; code: string; message: string }>;
}

export interface WifiScanResult {
  /** Age of the scan in seconds (a cached scan may be served). */
  ageS: number;
  aps: AccessPoint[];
}

export interface LogQuery {
  /** At most this many of the newest lines. */
  lines: number;
}

/** One event on `GET /v1/events`. `type` becomes the SSE `event:` field. */
export interface DeviceEvent {
  type: 'state' | 'motion' | 'alarm';
  data: Record<string, unknown>;
}

export interface SelftestReport {
  ok: boolean;
  checks: Array<{ name: string; ok: boolean; code?: string }>;
}

export interface AuditQuery {
  limit: number;
}

export interface ApiActions {
  health(): Promise<HealthReport>;
  /** Unmasked; the server masks for `viewer` (src/log/mask.ts). */
  device(): Promise<DeviceInfo>;
  /** The effective config as shown to a technician: secret values already masked by the config layer. */
  config(): Promise<Record<string, unknown>>;
  /** `changes` maps dotted config keys (`motion.sensitivity`) to new values; validation is the config layer's. */
  patchConfig(changes: Record<string, unknown>): Promise<ConfigPatchResult>;
  wifiScan(): Promise<WifiScanResult>;
  /** Credentials already checked with the provisioning payload rules. Resolves once staged/joining started. */
  setWifi(creds: WifiCredentials): Promise<void>;
  /** A live JPEG with the privacy masks burned in (the action applies them). */
  snapshot(): Promise<Buffer>;
  motionZones(): Promise<MotionRegion[]>;
  /** Zones already checked with parseRegions(…, 'zone'); stored as config `motion.zones`. */
  setMotionZones(zones: MotionRegion[]): Promise<void>;
  /** LED blink + beep for `seconds`. */
  identify(seconds: number): Promise<void>;
  /** Redacted log lines, oldest first. */
  logs(query: LogQuery): Promise<string[]>;
  /** New redacted log lines as they are written; returns the unsubscribe function. */
  followLogs(onLine: (line: string) => void): () => void;
  /** State changes, motion, alarms; returns the unsubscribe function. */
  subscribeEvents(onEvent: (event: DeviceEvent) => void): () => void;
  /** Must not reboot before it resolves: the answer has to reach the client. */
  reboot(): Promise<{ delayMs: number }>;
  /** Forget Wi-Fi and binding, go back to provisioning. */
  resetProvisioning(): Promise<{ delayMs: number }>;
  /**
   * Erase everything. Throws `ApiActionError('button_required', …, 409)`
   * unless the button was pressed within the confirmation window.
   */
  factoryReset(): Promise<{ delayMs: number }>;
  selftest(): Promise<SelftestReport>;
  /** Play a test tone on the speaker. */
  testTone(tone: { frequencyHz: number; durationMs: number }): Promise<void>;
  /** Audit records, newest last. */
  audit(query: AuditQuery): Promise<unknown[]>;
  /**
   * Offline technician login: the label's setup code plus a press of the
   * camera's button (refused with ApiActionError codes: code_malformed 400,
   * code_wrong/press_timeout 401, press_pending 409, locked_out/rate_limited 429).
   */
  login(req: { code: string; subject?: string }, from: string): Promise<{ token: string; tokenId: string; role: string; expiresAt: number }>;
}

/**
 * A refusal the client should see with its code, e.g.
 * `new ApiActionError('button_required', 'press the button, then retry', 409)`.
 */
export class ApiActionError extends Error {
  override readonly name = 'ApiActionError';

  constructor(
    readonly code: string,
    message: string,
    readonly status = 409,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
