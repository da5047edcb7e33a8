import type { AccessPoint } from '../../network/wifi-scan.js';
import type { BindingRequest, WifiCredentials } from '../provisioning-payload.js';

/**
 * What the `/prov/v1` handlers ask the device to do (provisioning.md §6.5).
 * The HTTP layer only translates: it validates and decrypts, calls one of
 * these, and encrypts the answer. The provisioning service (or the demo, or
 * a test) implements them; the soft-AP, the Wi-Fi join and the cloud binding
 * live behind this interface, not in the API.
 */

/** Device state as `/status` reports it. */
export type ProvState = 'idle' | 'connecting' | 'connected' | 'online' | 'binding' | 'bound' | 'failed';

/** Why the last attempt failed (provisioning.md §6.5 `/status`). */
export type ProvFailureReason =
  | 'auth_failed'
  | 'ap_not_found'
  | 'dhcp_timeout'
  | 'no_internet'
  | 'cloud_unreachable'
  | 'token_expired'
  | 'token_used'
  | 'owned_by_other';

export interface ProvStatus {
  state: ProvState;
  reason: ProvFailureReason | null;
  /** The camera's address on the home network once it has one. */
  ip: string | null;
  /** Join attempts since the last `/wifi/config`. */
  attempt: number;
}

/** Public facts for `GET /prov/v1/info`: nothing secret, the serial's last 4 characters only. */
export interface ProvInfo {
  model: string;
  sn4: string;
  fw: string;
  /** Life-cycle state, e.g. "unprovisioned", "online_unbound". */
  state: string;
  /** Code of the last failure (kept across an AP drop on single-radio devices), or null. */
  lastError: string | null;
}

export interface ProvisioningActions {
  info(): ProvInfo;
  /** Networks around, usually the scan cached before the AP started; `ageS` = its age in seconds. */
  scan(): Promise<{ ageS: number; aps: AccessPoint[] }>;
  /** Stage credentials (validated already); nothing is joined before apply(). */
  setWifi(creds: WifiCredentials): void | Promise<void>;
  /** Stage a binding (token validated for form; the cloud decides the rest). */
  setBinding(req: BindingRequest & { timeZone?: string }): void | Promise<void>;
  /**
   * Start joining with what is staged. Must not drop the AP before it
   * resolves: the answer has to reach the phone first. On a single-radio
   * device do the drop in applyAnswered().
   */
  apply(): Promise<{ apWillDrop: boolean; retryAfterMs: number }>;
  /** Called once the `/apply` answer has been written to the socket. */
  applyAnswered?(): void;
  status(): ProvStatus;
  /** Forget staged credentials and binding (ESP ctrl_reset). */
  reset(): void | Promise<void>;
  /** The app is done: stop the AP (otherwise it stops 60 s after `bound`). */
  finish(): void | Promise<void>;
}

/**
 * A refusal an action wants the app to see with its code, e.g.
 * `new ProvActionError('nothing_staged', 'call /wifi/config first', 409)`.
 * Anything else an action throws becomes a 500 `internal_error` without
 * its message (which might carry data the app must not see).
 */
export class ProvActionError extends Error {
  override readonly name = 'ProvActionError';

  constructor(
    readonly code: string,
    message: string,
    readonly status = 409,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
