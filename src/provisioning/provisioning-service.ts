/**
 * QR-mode provisioning (provisioning.md §6.1, §6.7): while the device is in
 * `provisioning`, the camera looks for a Wi-Fi QR code on a phone held in
 * front of the lens; a read joins the network, and a token in it binds the
 * camera to the user's account once the cloud link is up.
 *
 *   provisioning ── QR read ──▶ joining ── joined ──▶ (cloud link up) online ── token ──▶ bound
 *        ▲                         │                                      └── refused ──▶ online, unbound
 *        └──── join failed ────────┘  (reason kept, spoken, scanning again)
 *
 * The QR window is 10 minutes (the token's life); then scanning pauses until
 * a short press of the button. LED and prompts follow the device state
 * (lifecycle/indicator.ts); this service adds the beep on a read and the
 * prompt for a failed binding. A payload that was applied successfully is
 * never applied again in this run (the same QR shown twice binds once).
 */
import { createHash } from 'node:crypto';
import type { EventBus } from '../core/bus.js';
import type { Clock, Timer } from '../core/clock.js';
import type { DeviceEvent, DeviceSnapshot } from '../core/device-state.js';
import type { Service } from '../core/service.js';
import type { Logger } from '../log/logger.js';
import type { PersonalData } from '../store/personal-data.js';
import type { BindFailure, BindOutcome } from './account-binding.js';
import type { BindingRequest, ProvisioningPayload, WifiCredentials } from './provisioning-payload.js';

/** The QR scanner as this service drives it: frames flow only between start() and stop(). */
export interface QrReading {
  start(): Promise<void>;
  stop(): Promise<void>;
  onRead(listener: (payload: ProvisioningPayload) => void): () => void;
  /** Report codes already seen in this window again when they are read next. */
  forget(): void;
}

export type JoinResult = { ok: true } | { ok: false; reason: string; message: string };

export interface ProvisioningConfig {
  /** Scan for QR codes while provisioning. */
  qrEnabled: boolean;
  /** How long one scanning window lasts before it pauses until a button press. */
  qrWindowMs: number;
}

export type ProvisioningPhase = 'idle' | 'scanning' | 'paused' | 'joining' | 'binding';

export interface ProvisioningStatus {
  phase: ProvisioningPhase;
  /** The last failure (join or binding) with its code, for the app and the technician. */
  lastError: { code: string; at: number } | null;
  /** Wall-clock ms of the last successful provisioning. */
  lastSuccessAt: number | null;
}

export interface ProvisioningDeps {
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  config: () => ProvisioningConfig;
  lifecycle: { readonly snapshot: DeviceSnapshot; dispatch(event: DeviceEvent): Promise<boolean> };
  /** Creates the scanner for one scanning window (null: no video input to scan). */
  scanner: () => QrReading | null;
  joinWifi: (credentials: WifiCredentials) => Promise<JoinResult>;
  bind: (request: BindingRequest, readAtMs: number) => Promise<BindOutcome>;
  /** Cancels a binding in progress (provisioning restarted). */
  cancelBind: () => void;
  /** Encrypted personal data (Wi-Fi credentials, binding). */
  store: () => { set<K extends keyof PersonalData>(key: K, value: NonNullable<PersonalData[K]>): Promise<void> } | null;
  /** Apply the time zone the app suggested (runtime config). */
  setTimeZone: (timeZone: string) => Promise<void>;
  /** A short beep so the person holding the phone knows the code was read. */
  beep: () => Promise<void>;
  /** Spoken prompt for a failed binding (no state change announces it). */
  promptBindingFailed: () => Promise<void>;
}

const VIDEO_RETRY_MS = 5_000;
/**
 * A code whose join failed is not tried again for this long: the phone
 * usually still shows it while the person hears "wrong password", and
 * re-reading it would loop. Shown again later (the router was rebooting,
 * the AP came into range) it is tried again.
 */
export const FAILED_CODE_COOLDOWN_MS = 30_000;

export class ProvisioningService implements Service {
  readonly name = 'provisioning';
  #phase: ProvisioningPhase = 'idle';
  #scanner: QrReading | null = null;
  #offRead: (() => void) | null = null;
  #window: Timer | null = null;
  #off: Array<() => void> = [];
  /** Bumped whenever provisioning (re)starts, so a late join or bind result of an older round is ignored. */
  #round = 0;
  #applied = new Set<string>();
  /** Digest → Clock.monotonic() until which a code that failed to join is ignored. */
  #failedUntil = new Map<string, number>();
  #lastError: ProvisioningStatus['lastError'] = null;
  #lastSuccessAt: number | null = null;
  #stopped = false;
  /** Bumped by every #openWindow(): of two windows opened at once only the later one scans. */
  #windows = 0;

  constructor(private readonly deps: ProvisioningDeps) {}

  status(): ProvisioningStatus {
    return { phase: this.#phase, lastError: this.#lastError, lastSuccessAt: this.#lastSuccessAt };
  }

  async start(): Promise<void> {
    this.#stopped = false;
    const { bus } = this.deps;
    this.#off.push(
      bus.on('state.changed', ({ from, to, reason }) => {
        if (to === 'provisioning' && (from !== 'provisioning' || reason.startsWith('provisioning'))) void this.#enter();
        else if (to !== 'provisioning' && from === 'provisioning') void this.#leave();
      }),
      bus.on('button.gesture', ({ gesture }) => {
        if (gesture === 'short' && this.#phase === 'paused') void this.#openWindow('button');
      }),
    );
    if (this.deps.lifecycle.snapshot.state === 'provisioning') await this.#enter();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const off of this.#off.splice(0)) off();
    this.#round++;
    this.deps.cancelBind();
    await this.#stopScanning();
    this.#phase = 'idle';
  }

  async #enter(): Promise<void> {
    this.#round++;
    this.deps.cancelBind();
    await this.#openWindow('provisioning');
  }

  async #leave(): Promise<void> {
    await this.#stopScanning();
    if (this.#phase === 'scanning' || this.#phase === 'paused') this.#phase = 'idle';
  }

  async #openWindow(why: string): Promise<void> {
    const window = ++this.#windows;
    await this.#stopScanning();
    // Two openings in a row (unbind sends the device back to provisioning while a window reopens) would
    // otherwise both pass the await and the first scanner, no longer referenced, would never be stopped:
    // its ffmpeg outlives the agent's stop and the process never exits.
    if (this.#stopped || window !== this.#windows) return;
    const { config, logger, clock } = this.deps;
    const cfg = config();
    if (!cfg.qrEnabled) {
      this.#phase = 'idle';
      logger.info('QR provisioning off (provisioning.qr.enabled false)');
      return;
    }
    const scanner = this.deps.scanner();
    if (!scanner) {
      // An ONVIF streamer may still be booting: look again while provisioning lasts.
      this.#phase = 'idle';
      if (why !== 'retry') logger.warn({ code: 'no_video_input', retryInS: VIDEO_RETRY_MS / 1000 }, 'cannot scan for a QR code yet: no video input');
      this.#window = clock.setTimeout(() => {
        if (this.deps.lifecycle.snapshot.state === 'provisioning') void this.#openWindow('retry');
      }, VIDEO_RETRY_MS);
      return;
    }
    this.#scanner = scanner;
    this.#offRead = scanner.onRead((payload) => void this.#onRead(payload));
    this.#window = clock.setTimeout(() => void this.#pause(), cfg.qrWindowMs);
    this.#phase = 'scanning';
    logger.info({ why, windowS: Math.round(cfg.qrWindowMs / 1000) }, 'scanning for a Wi-Fi QR code');
    try {
      await scanner.start();
    } catch (err) {
      logger.error({ err }, 'QR scanner did not start');
      await this.#stopScanning();
      this.#phase = 'idle';
    }
  }

  async #pause(): Promise<void> {
    if (this.#phase !== 'scanning') return;
    await this.#stopScanning();
    this.#phase = 'paused';
    this.deps.logger.info('QR window over: scanning paused until the button is pressed');
  }

  async #stopScanning(): Promise<void> {
    this.#window?.cancel();
    this.#window = null;
    this.#offRead?.();
    this.#offRead = null;
    const scanner = this.#scanner;
    this.#scanner = null;
    await scanner?.stop().catch((err: unknown) => this.deps.logger.warn({ err }, 'QR scanner did not stop cleanly'));
  }

  async #onRead(payload: ProvisioningPayload): Promise<void> {
    const { logger, clock, lifecycle } = this.deps;
    if (this.#phase !== 'scanning' || lifecycle.snapshot.underlying !== 'provisioning') return;
    const digest = payloadDigest(payload);
    if (this.#applied.has(digest)) {
      logger.info({ format: payload.format }, 'QR code already applied; ignored');
      return;
    }
    const until = this.#failedUntil.get(digest) ?? -Infinity;
    if (until > clock.monotonic()) {
      logger.debug({ format: payload.format }, 'QR code failed to join a moment ago; ignored for now');
      // The scanner reports a code once per window: let it report this one again once the pause is over.
      const scanner = this.#scanner;
      clock.setTimeout(() => this.#scanner === scanner && scanner?.forget(), until - clock.monotonic());
      return;
    }
    this.#phase = 'joining';
    await this.#stopScanning();
    void this.deps.beep().catch(() => undefined);
    logger.info({ format: payload.format, hidden: payload.wifi.hidden, auth: payload.wifi.auth, binding: payload.binding !== null }, 'Wi-Fi QR code read');
    await this.#apply(payload, digest, this.deps.joinWifi);
  }

  /**
   * Credentials from the hotspot's app session or portal (ap/ap-provisioning.ts):
   * the same join → bind path as a QR code, with the hotspot's own join
   * (a single radio drops the AP while it tries). Resolves once joined or
   * failed; binding goes on in the background. False when the device is not
   * provisioning or is busy with another attempt.
   */
  async applyFromHotspot(payload: ProvisioningPayload, join: (credentials: WifiCredentials) => Promise<JoinResult>): Promise<JoinResult | null> {
    if (this.deps.lifecycle.snapshot.underlying !== 'provisioning' || this.#phase === 'joining' || this.#phase === 'binding') return null;
    this.#phase = 'joining';
    await this.#stopScanning();
    this.deps.logger.info({ hidden: payload.wifi.hidden, auth: payload.wifi.auth, binding: payload.binding !== null }, 'Wi-Fi credentials from the hotspot');
    let joinResult: JoinResult | null = null;
    const joined = new Promise<JoinResult | null>((resolve) => {
      void this.#apply(payload, payloadDigest(payload), async (c) => {
        joinResult = await join(c);
        resolve(joinResult);
        return joinResult;
      }).then(() => resolve(joinResult));
    });
    return joined;
  }

  async #apply(payload: ProvisioningPayload, digest: string, join: (credentials: WifiCredentials) => Promise<JoinResult>): Promise<void> {
    const { logger, clock, lifecycle } = this.deps;
    const round = this.#round;
    const readAt = clock.monotonic();
    if (!(await lifecycle.dispatch({ type: 'credentials-received' }))) {
      this.#phase = 'idle';
      return;
    }
    const joined = await join(payload.wifi).catch((err: unknown): JoinResult => ({ ok: false, reason: 'join_failed', message: (err as Error).message }));
    if (round !== this.#round || this.#stopped) return;
    if (!joined.ok) {
      this.#fail(joined.reason);
      this.#failedUntil.set(digest, clock.monotonic() + FAILED_CODE_COOLDOWN_MS);
      logger.warn({ code: joined.reason }, `joining Wi-Fi failed: ${joined.message}`);
      // Back to provisioning: the state change announces the reason and scanning resumes.
      await lifecycle.dispatch({ type: 'join-failed', reason: joined.reason });
      return;
    }
    await this.#remember(payload);
    this.#applied.add(digest);
    if (!payload.binding) {
      this.#phase = 'idle';
      this.#lastSuccessAt = clock.now();
      logger.info('joined Wi-Fi; no binding token: the camera stays unbound until bound over the LAN');
      return;
    }
    await this.#bind(payload.binding, readAt, round);
  }

  /**
   * LAN bind (provisioning.md §6.6): an online but unbound camera gets its
   * token over the protected session on the home network. Resolves with the
   * outcome; null when the camera is not online-unbound or already binding.
   */
  async bindNow(request: BindingRequest, timeZone: string | null): Promise<BindOutcome | null> {
    const snap = this.deps.lifecycle.snapshot;
    if (snap.underlying !== 'online' || snap.bound || this.#phase === 'binding' || this.#phase === 'joining') return null;
    if (timeZone) await this.deps.setTimeZone(timeZone).catch((err: unknown) => this.deps.logger.warn({ err }, 'could not apply the time zone'));
    return this.#bind(request, this.deps.clock.monotonic(), this.#round);
  }

  async #bind(request: BindingRequest, readAt: number, round: number): Promise<BindOutcome> {
    const { logger, clock, lifecycle } = this.deps;
    this.#phase = 'binding';
    const bound = await this.deps.bind(request, readAt);
    if (round !== this.#round || this.#stopped) return bound;
    this.#phase = 'idle';
    if (bound.ok) {
      await this.deps.store()?.set('binding', { token: bound.bindingId, region: request.region, boundAt: new Date(clock.now()).toISOString() });
      this.#lastSuccessAt = clock.now();
      this.#lastError = null;
      logger.info('bound to the account');
      await lifecycle.dispatch({ type: 'bound' });
      return bound;
    }
    this.#fail(bound.code);
    logger.warn({ code: bound.code }, `binding failed: ${bound.message}; the camera stays online and unbound`);
    await this.deps.promptBindingFailed().catch(() => undefined);
    return bound;
  }

  #fail(code: BindFailure | string): void {
    this.#lastError = { code, at: this.deps.clock.now() };
  }

  async #remember(payload: ProvisioningPayload): Promise<void> {
    const { wifi } = payload;
    try {
      await this.deps.store()?.set('wifi', {
        ssid: Buffer.from(wifi.ssid, 'utf8').toString('base64'),
        password: wifi.password ?? '',
        hidden: wifi.hidden,
        security: wifi.auth === 'open' ? 'nopass' : wifi.auth === 'sae' ? 'SAE' : 'WPA',
      });
    } catch (err) {
      // The network profile already holds the credentials; the store copy is for re-provisioning and info.
      this.deps.logger.warn({ err }, 'could not keep the Wi-Fi credentials in the personal data store');
    }
    if (payload.timeZone) await this.deps.setTimeZone(payload.timeZone).catch((err: unknown) => this.deps.logger.warn({ err }, 'could not apply the time zone'));
  }
}

/** Identifies a payload without keeping its secrets in memory in clear. */
function payloadDigest(p: ProvisioningPayload): string {
  return createHash('sha256').update(JSON.stringify([p.format, p.wifi, p.binding, p.timeZone])).digest('hex');
}
