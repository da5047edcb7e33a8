/**
 * The soft-AP's policy for one provisioning entry (provisioning.md §6.5,
 * §6.7): what the provisioning API and the captive portal drive, with the
 * radio (SoftAp), the scanner and the Wi-Fi join passed in.
 *
 * - open(mode): scan first and keep the result — many drivers cannot scan
 *   while in AP mode — then start the AP; captive DNS only in 'portal' mode.
 * - The AP closes after idleTimeoutMs (15 min) without any client, and at
 *   the latest maxOpenMs (30 min) after open(); a button press re-arms it
 *   with a new open().
 * - applyAndJoin(creds), single radio (no AP+STA combination in `iw list`):
 *   the HTTP answer goes out first (`answered`), then the AP drops, the
 *   camera tries the network (45 s per attempt), and on failure the AP
 *   comes back with the reason kept as lastError for /status and /info
 *   (§7.4 A7). With a concurrent radio the AP stays up during the join and
 *   for keepAfterJoinMs (60 s) after success so the app can read the final
 *   status.
 * - A crashed AP (hostapd exited, NM dropped the hotspot) is restarted once
 *   per entry; a second crash closes the entry with apError.
 *
 * All timing comes from the Clock, so tests drive it with ManualClock.
 */
import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import type { WifiCredentials } from '../provisioning/provisioning-payload.js';
import type { SoftAp, SoftApConfig, SoftApDownReason, SoftApEvent, SoftApFailure, SoftApStartResult } from './soft-ap.js';
import type { WifiConnection, WifiJoinFailure, WifiManager } from './wifi-manager.js';
import { isWifiScanError, type AccessPoint, type WifiScanErrorCode, type WifiScanner } from './wifi-scan.js';

/** 'app': the phone app talks to 192.168.4.1 over the protected session; 'portal': also the browser captive portal (wildcard DNS). */
export type SoftApMode = 'app' | 'portal';

export type SoftApSessionState =
  | 'closed'
  /** Scanning, then starting the AP. */
  | 'opening'
  /** The AP is up and waits for the phone. */
  | 'open'
  /** Trying the user's network (on a single radio the AP is down meanwhile). */
  | 'joining'
  /** The camera is on the user's network; with a concurrent radio the AP may still run for keepAfterJoinMs. */
  | 'joined'
  /** The AP could not be (re)started: apError says why. */
  | 'failed';

export type SoftApCloseReason = 'requested' | 'idle' | 'hard_cap' | 'joined' | 'ap_failed';

export const SOFT_AP_TIMEOUTS = {
  /** provisioning.md §6.7: 15 min without any client → stop the AP. */
  idleMs: 15 * 60_000,
  /** §6.7: hard cap 30 min per provisioning entry. */
  maxOpenMs: 30 * 60_000,
  /** §6.7: `--wait 45` per join attempt. */
  joinMs: 45_000,
  /** §6.7: after success keep the AP 60 s so the app reads the final status (concurrent radios only). */
  keepAfterJoinMs: 60_000,
  /** The longest applyAndJoin waits for the HTTP answer to be flushed before the radio changes. */
  answerGraceMs: 2_000,
} as const;

export interface CachedScan {
  /** Wall-clock ms of the scan. */
  at: number;
  aps: AccessPoint[];
  /** Why the scan failed (the list is then empty), or null. */
  error: WifiScanErrorCode | null;
}

export interface SoftApSessionStatus {
  state: SoftApSessionState;
  mode: SoftApMode | null;
  /** The AP's SSID (the camera's own, not personal data). */
  ssid: string;
  address: string;
  clients: number;
  /** Wall-clock ms of the current entry's open(), or null. */
  openedAt: number | null;
  /** Why the last join failed (`auth_failed`, `ap_not_found`…); null after a success or before any attempt. */
  lastError: WifiJoinFailure | null;
  /** Why the AP itself failed or went down, or null. */
  apError: SoftApFailure | SoftApDownReason | null;
  closeReason: SoftApCloseReason | null;
  /** Join attempts in this entry. */
  attempt: number;
  /** The network joined, once joined. */
  connection: WifiConnection | null;
  /** applyAndJoin takes the AP down while it tries (single radio): the app must expect to reconnect. */
  apWillDrop: boolean;
}

export type SoftApSessionEvent =
  | { type: 'opened'; mode: SoftApMode }
  | { type: 'closed'; reason: SoftApCloseReason }
  | { type: 'clients'; count: number }
  | { type: 'joining'; attempt: number; apDropped: boolean }
  | { type: 'joined'; connection: WifiConnection }
  | { type: 'join-failed'; reason: WifiJoinFailure; apRestored: boolean }
  | { type: 'ap-down'; reason: SoftApDownReason; restarted: boolean };

export type ApplyOutcome =
  | { ok: true; connection: WifiConnection }
  | { ok: false; reason: WifiJoinFailure | 'not_open' | 'busy'; apRestored: boolean };

export interface SoftApSessionOptions {
  softAp: SoftAp;
  /** Scanned once before the AP starts (and again while the radio is free after a failed join). */
  scanner: WifiScanner;
  wifi: Pick<WifiManager, 'join'>;
  clock: Clock;
  logger: Logger;
  /** The AP as softApConfig() built it; captiveDns is set per open() mode. */
  config: SoftApConfig;
  /** The radio runs AP and STA at once (a virtual AP interface); default false: single radio. */
  concurrent?: boolean;
  idleTimeoutMs?: number;
  maxOpenMs?: number;
  joinTimeoutMs?: number;
  keepAfterJoinMs?: number;
  answerGraceMs?: number;
}

export class SoftApSession {
  readonly name = 'soft-ap-session';
  readonly #o: SoftApSessionOptions;
  readonly #log: Logger;
  readonly #listeners = new Set<(event: SoftApSessionEvent) => void>();
  #state: SoftApSessionState = 'closed';
  #mode: SoftApMode | null = null;
  #clients = 0;
  #openedAt: number | null = null;
  #lastError: WifiJoinFailure | null = null;
  #apError: SoftApFailure | SoftApDownReason | null = null;
  #closeReason: SoftApCloseReason | null = null;
  #attempt = 0;
  #connection: WifiConnection | null = null;
  #scan: CachedScan | null = null;
  /** Counts entries; an async step that finds another entry current leaves the radio alone. */
  #entry = 0;
  #restarts = 0;
  #capReached = false;
  #idleTimer: Timer | null = null;
  #capTimer: Timer | null = null;
  #keepTimer: Timer | null = null;
  #unsubscribe: (() => void) | null = null;

  constructor(opts: SoftApSessionOptions) {
    this.#o = opts;
    this.#log = opts.logger;
  }

  /** Service contract: nothing to do until open(). */
  async start(): Promise<void> {}

  /** Service contract: the agent is stopping. */
  async stop(): Promise<void> {
    await this.close();
  }

  on(listener: (event: SoftApSessionEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  status(): SoftApSessionStatus {
    return {
      state: this.#state,
      mode: this.#mode,
      ssid: this.#o.config.ssid,
      address: this.#o.config.network.address,
      clients: this.#clients,
      openedAt: this.#openedAt,
      lastError: this.#lastError,
      apError: this.#apError,
      closeReason: this.#closeReason,
      attempt: this.#attempt,
      connection: this.#connection ? { ...this.#connection } : null,
      apWillDrop: !this.#concurrent,
    };
  }

  /** The scan taken before the AP started (or refreshed after a failed join); null before the first open(). */
  cachedScan(): CachedScan | null {
    return this.#scan ? { ...this.#scan, aps: this.#scan.aps.map((ap) => ({ ...ap, security: [...ap.security] })) } : null;
  }

  /** What /apply answers before anything happens (provisioning.md §6.5: apWillDrop, retryAfterMs). */
  applyPlan(): { apWillDrop: boolean; retryAfterMs: number } {
    return { apWillDrop: !this.#concurrent, retryAfterMs: this.#joinTimeout };
  }

  /**
   * Starts a provisioning entry: scan, then the AP in `mode`. An open AP in
   * another mode is restarted in the new one; in the same mode this is a
   * no-op. Resolves with the AP's start result.
   */
  async open(mode: SoftApMode = 'app'): Promise<SoftApStartResult> {
    if (this.#state === 'opening' || this.#state === 'joining') return { ok: false, reason: 'unsupported', message: `the soft-AP is ${this.#state}` };
    if (this.#state === 'open' && this.#mode === mode) return { ok: true };
    const entry = ++this.#entry;
    this.#clearTimers();
    this.#subscribe();
    this.#state = 'opening';
    this.#mode = mode;
    this.#lastError = null;
    this.#apError = null;
    this.#closeReason = null;
    this.#connection = null;
    this.#attempt = 0;
    this.#restarts = 0;
    this.#capReached = false;
    this.#clients = 0;
    // An AP still up (other mode, or kept after a join) must go first: the scan needs the radio.
    await this.#o.softAp.stop();
    await this.#refreshScan();
    if (entry !== this.#entry) return { ok: false, reason: 'unsupported', message: 'closed while opening' };
    const result = await this.#o.softAp.start(this.#apConfig());
    if (entry !== this.#entry) {
      await this.#o.softAp.stop();
      return { ok: false, reason: 'unsupported', message: 'closed while opening' };
    }
    if (!result.ok) {
      this.#state = 'failed';
      this.#apError = result.reason;
      this.#log.warn({ reason: result.reason }, 'soft-AP provisioning entry could not open');
      return result;
    }
    this.#state = 'open';
    this.#openedAt = this.#o.clock.now();
    this.#capTimer = this.#o.clock.setTimeout(() => this.#onCap(entry), this.#o.maxOpenMs ?? SOFT_AP_TIMEOUTS.maxOpenMs);
    this.#armIdle();
    this.#log.info({ mode, concurrent: this.#concurrent }, 'soft-AP provisioning entry open');
    this.#emit({ type: 'opened', mode });
    return { ok: true };
  }

  /**
   * Applies the credentials the phone sent. Pass `answered` (resolved once
   * the HTTP reply to /apply is flushed) so the phone has its answer
   * before a single radio leaves AP mode. Resolves when the attempt is
   * over; every failure is a value.
   */
  async applyAndJoin(creds: WifiCredentials, opts: { answered?: Promise<unknown> } = {}): Promise<ApplyOutcome> {
    if (this.#state === 'joining') return { ok: false, reason: 'busy', apRestored: true };
    if (this.#state !== 'open') return { ok: false, reason: 'not_open', apRestored: false };
    const entry = this.#entry;
    const dropAp = !this.#concurrent;
    this.#state = 'joining';
    this.#attempt += 1;
    this.#disarmIdle();
    this.#emit({ type: 'joining', attempt: this.#attempt, apDropped: dropAp });
    if (opts.answered) await this.#bounded(opts.answered, this.#o.answerGraceMs ?? SOFT_AP_TIMEOUTS.answerGraceMs);
    if (dropAp) {
      await this.#o.softAp.stop();
      this.#setClients(0);
    }
    this.#log.info({ attempt: this.#attempt, apDropped: dropAp }, 'soft-AP: trying the provisioned network');
    const result = await this.#o.wifi.join(creds, { timeoutMs: this.#joinTimeout });
    if (entry !== this.#entry) {
      // Closed (or re-opened) meanwhile: report, but leave the radio to the current entry.
      return result.ok ? { ok: true, connection: result.connection } : { ok: false, reason: result.reason, apRestored: false };
    }
    if (result.ok) {
      this.#lastError = null;
      this.#connection = result.connection;
      this.#state = 'joined';
      this.#emit({ type: 'joined', connection: result.connection });
      if (dropAp || this.#capReached) await this.#close('joined');
      else this.#keepTimer = this.#o.clock.setTimeout(() => void this.#closeIf(entry, 'joined'), this.#o.keepAfterJoinMs ?? SOFT_AP_TIMEOUTS.keepAfterJoinMs);
      return { ok: true, connection: result.connection };
    }
    this.#lastError = result.reason;
    this.#log.info({ reason: result.reason, attempt: this.#attempt }, 'soft-AP: the provisioned network did not work');
    if (this.#capReached) {
      this.#emit({ type: 'join-failed', reason: result.reason, apRestored: false });
      await this.#close('hard_cap');
      return { ok: false, reason: result.reason, apRestored: false };
    }
    if (!dropAp && this.#o.softAp.state() === 'running') {
      this.#state = 'open';
      this.#armIdle();
      this.#emit({ type: 'join-failed', reason: result.reason, apRestored: true });
      return { ok: false, reason: result.reason, apRestored: true };
    }
    // Single radio (or an AP that died during the join): the radio is free
    // now, so the network list gets fresh before the AP returns.
    if (dropAp) await this.#refreshScan();
    const restored = entry === this.#entry ? await this.#o.softAp.start(this.#apConfig()) : null;
    if (entry !== this.#entry || restored === null) return { ok: false, reason: result.reason, apRestored: false };
    if (restored.ok) {
      this.#state = 'open';
      this.#armIdle();
      this.#emit({ type: 'join-failed', reason: result.reason, apRestored: true });
      return { ok: false, reason: result.reason, apRestored: true };
    }
    this.#apError = restored.reason;
    this.#emit({ type: 'join-failed', reason: result.reason, apRestored: false });
    await this.#close('ap_failed');
    return { ok: false, reason: result.reason, apRestored: false };
  }

  /** Ends the entry (the app's /finish, a button, the agent stopping); the AP goes down. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    await this.#close('requested');
  }

  get #concurrent(): boolean {
    return this.#o.concurrent ?? false;
  }

  get #joinTimeout(): number {
    return this.#o.joinTimeoutMs ?? SOFT_AP_TIMEOUTS.joinMs;
  }

  #apConfig(): SoftApConfig {
    return { ...this.#o.config, captiveDns: this.#mode === 'portal' };
  }

  async #refreshScan(): Promise<void> {
    try {
      const aps = await this.#o.scanner.scan();
      this.#scan = { at: this.#o.clock.now(), aps, error: null };
    } catch (err) {
      const error: WifiScanErrorCode = isWifiScanError(err) ? err.code : 'scan_failed';
      this.#log.warn({ error }, 'soft-AP: scan before the AP failed; the network list stays empty');
      // A failed refresh keeps an older good list: the networks are still there.
      if (!this.#scan || this.#scan.error !== null) this.#scan = { at: this.#o.clock.now(), aps: [], error };
    }
  }

  async #close(reason: SoftApCloseReason): Promise<void> {
    this.#entry += 1;
    this.#clearTimers();
    // A joined camera stays 'joined' whatever ends the entry afterwards (the keep timer, the cap, /finish).
    this.#state = this.#connection !== null ? 'joined' : reason === 'ap_failed' ? 'failed' : 'closed';
    this.#closeReason = reason;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    await this.#o.softAp.stop();
    this.#setClients(0);
    this.#log.info({ reason }, 'soft-AP provisioning entry closed');
    this.#emit({ type: 'closed', reason });
  }

  async #closeIf(entry: number, reason: SoftApCloseReason): Promise<void> {
    if (entry === this.#entry) await this.#close(reason);
  }

  #onCap(entry: number): void {
    if (entry !== this.#entry) return;
    this.#log.info('soft-AP: hard cap reached');
    // A join in progress finishes first; its outcome decides, and the AP does not come back.
    if (this.#state === 'joining') this.#capReached = true;
    else void this.#close('hard_cap');
  }

  #armIdle(): void {
    this.#disarmIdle();
    if (this.#clients > 0 || this.#state !== 'open') return;
    const entry = this.#entry;
    this.#idleTimer = this.#o.clock.setTimeout(() => void this.#closeIf(entry, 'idle'), this.#o.idleTimeoutMs ?? SOFT_AP_TIMEOUTS.idleMs);
  }

  #disarmIdle(): void {
    this.#idleTimer?.cancel();
    this.#idleTimer = null;
  }

  #clearTimers(): void {
    this.#disarmIdle();
    this.#capTimer?.cancel();
    this.#capTimer = null;
    this.#keepTimer?.cancel();
    this.#keepTimer = null;
  }

  #subscribe(): void {
    if (this.#unsubscribe) return;
    this.#unsubscribe = this.#o.softAp.onEvent((event) => this.#onApEvent(event));
  }

  #onApEvent(event: SoftApEvent): void {
    if (event.type === 'clients') {
      this.#setClients(event.count);
      if (this.#state === 'open') {
        if (event.count > 0) this.#disarmIdle();
        else this.#armIdle();
      }
      return;
    }
    // 'down': only an AP we expect to be up counts; during a join, the end of the join restores it.
    if (this.#state !== 'open' && this.#state !== 'joined') return;
    void this.#onApDown(event.reason);
  }

  async #onApDown(reason: SoftApDownReason): Promise<void> {
    const entry = this.#entry;
    this.#apError = reason;
    this.#log.warn({ reason, restarts: this.#restarts }, 'soft-AP went down');
    if (this.#restarts < 1) {
      this.#restarts += 1;
      const result = await this.#o.softAp.start(this.#apConfig());
      if (entry !== this.#entry) return;
      if (result.ok) {
        this.#emit({ type: 'ap-down', reason, restarted: true });
        if (this.#state === 'open') this.#armIdle();
        return;
      }
      this.#apError = result.reason;
    }
    this.#emit({ type: 'ap-down', reason, restarted: false });
    // A joined camera does not need the AP any more; anything else has lost its way in.
    if (this.#state === 'joined') await this.#close('joined');
    else if (this.#state === 'open') await this.#close('ap_failed');
  }

  #setClients(count: number): void {
    if (count === this.#clients) return;
    this.#clients = count;
    this.#emit({ type: 'clients', count });
  }

  /** Waits for `p`, but no longer than ms on the session's clock. */
  #bounded(p: Promise<unknown>, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.#o.clock.setTimeout(resolve, ms);
      void p.then(
        () => {
          timer.cancel();
          resolve();
        },
        () => {
          timer.cancel();
          resolve();
        },
      );
    });
  }

  #emit(event: SoftApSessionEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.#log.error({ err, event: event.type }, 'soft-AP session listener threw');
      }
    }
  }
}
