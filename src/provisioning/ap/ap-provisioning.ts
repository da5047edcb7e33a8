/**
 * AP-mode provisioning (provisioning.md §6.5): when QR mode cannot work,
 * the camera opens its own hotspot (`CAM100-7890`, WPA2 with the label's
 * passphrase) and serves, on 192.168.4.1, the app's protected `/prov/v1`
 * session and the browser captive portal. Credentials from either go
 * through the same join → bind path as a QR code (ProvisioningService).
 *
 * When: `provisioning.ap.startAfterMinutes` after entering provisioning
 * (default 3: QR first, as a single radio cannot scan and serve at once;
 * 0 opens it at once). The hotspot session (network/soft-ap-session.ts)
 * owns the radio policy: scan cached before the AP starts, idle 15 min,
 * hard cap 30 min, single radio: answer, drop the AP, join, restore it on
 * failure. Leaving provisioning closes everything.
 */
import { SerialQueue } from '../../core/serial-queue.js';
import type { EventBus } from '../../core/bus.js';
import type { Clock, Timer } from '../../core/clock.js';
import type { DeviceSnapshot } from '../../core/device-state.js';
import type { Service } from '../../core/service.js';
import type { LoadedIdentity } from '../../identity/load-factory-identity.js';
import type { Logger } from '../../log/logger.js';
import { softApConfig, type SoftAp } from '../../network/soft-ap.js';
import { SoftApSession, type SoftApMode } from '../../network/soft-ap-session.js';
import { credentialsProblem } from '../../network/wifi-credentials-check.js';
import type { WifiManager } from '../../network/wifi-manager.js';
import type { ProvisioningService, JoinResult } from '../provisioning-service.js';
import type { BindingRequest, ProvisioningPayload, WifiCredentials } from '../provisioning-payload.js';
import { captivePortal } from './captive-portal.js';
import { CodeLockout } from './code-lockout.js';
import { ProvActionError, type ProvFailureReason, type ProvisioningActions, type ProvStatus } from './prov-actions.js';
import { startProvisioningServer, type ProvisioningServer } from './prov-api.js';
import { ProvisioningSessions } from './prov-session.js';

export interface ApProvisioningConfig {
  enabled: boolean;
  startAfterMs: number;
  /** Browser captive portal too (wildcard DNS), or the app only. */
  portal: boolean;
  /** Where the HTTP server listens: 192.168.4.1:80 on a camera; loopback in the demo. */
  host: string;
  port: number;
  /** The AP interface, the radio's AP+STA concurrency, regulatory domain, channel. */
  ifname: string;
  concurrent: boolean;
  countryCode: string | null;
  channel: number;
  language: string;
}

export interface ApProvisioningDeps {
  config: () => ApProvisioningConfig;
  clock: Clock;
  logger: Logger;
  bus: EventBus;
  lifecycle: { readonly snapshot: DeviceSnapshot };
  identity: () => LoadedIdentity | null;
  firmwareVersion: () => string;
  softAp: SoftAp;
  wifi: WifiManager;
  provisioning: ProvisioningService;
  lockoutFile: string;
}

export class ApProvisioning implements Service {
  readonly name = 'ap-provisioning';
  #timer: Timer | null = null;
  #off: Array<() => void> = [];
  #hotspot: SoftApSession | null = null;
  #server: ProvisioningServer | null = null;
  #sessions: ProvisioningSessions | null = null;
  #lockout: CodeLockout | null = null;
  #staged: { wifi: WifiCredentials | null; binding: (BindingRequest & { timeZone?: string }) | null } = { wifi: null, binding: null };
  #attempt = 0;
  #busy = false;
  #lastJoin: JoinResult | null = null;
  #queue = new SerialQueue();
  readonly #openListeners = new Set<(url: string, ssid: string) => void>();

  constructor(private readonly deps: ApProvisioningDeps) {}

  /** Called with the server's URL and the hotspot's SSID whenever the hotspot opens (the demo prints them). */
  onOpen(listener: (url: string, ssid: string) => void): () => void {
    this.#openListeners.add(listener);
    return () => this.#openListeners.delete(listener);
  }

  get url(): string | null {
    return this.#server?.url ?? null;
  }

  async start(): Promise<void> {
    this.#off.push(
      this.deps.bus.on('state.changed', ({ to }) => {
        if (to === 'provisioning') this.#schedule();
        else if (to !== 'joining') this.#serial(() => this.#close('left provisioning'));
      }),
    );
    if (this.deps.lifecycle.snapshot.state === 'provisioning') this.#schedule();
  }

  async stop(): Promise<void> {
    for (const off of this.#off.splice(0)) off();
    this.#timer?.cancel();
    await this.#serial(() => this.#close('agent stopping'));
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    return this.#queue.run(op);
  }

  #schedule(): void {
    const cfg = this.deps.config();
    if (!cfg.enabled || this.#hotspot || this.#timer) return;
    this.#timer = this.deps.clock.setTimeout(() => {
      this.#timer = null;
      if (this.deps.lifecycle.snapshot.state === 'provisioning') void this.#serial(() => this.#open());
    }, cfg.startAfterMs);
  }

  /**
   * The SRP sessions and the setup-code lockout, one of each per agent: the
   * hotspot and the LAN bind share them, or a reboot-free switch between the
   * two would double the guesses. Null without a factory identity.
   */
  async sessions(): Promise<ProvisioningSessions | null> {
    const loaded = this.deps.identity();
    if (!loaded) return null;
    const { clock, logger } = this.deps;
    if (!this.#lockout) {
      const lockout = new CodeLockout({ path: this.deps.lockoutFile, clock, logger });
      await lockout.load();
      this.#lockout ??= lockout;
    }
    this.#sessions ??= new ProvisioningSessions({
      serial: loaded.identity.serial,
      srp: loaded.srpVerifier,
      deviceKey: loaded.privateKey,
      lockout: this.#lockout,
      clock,
      logger,
    });
    return this.#sessions;
  }

  /** The setup-code lockout the hotspot, the LAN bind and the local API's offline sign-in share. */
  async codeLockout(): Promise<CodeLockout | null> {
    return (await this.sessions()) ? this.#lockout : null;
  }

  async #open(): Promise<void> {
    if (this.#hotspot) return;
    const { logger, clock } = this.deps;
    const loaded = this.deps.identity();
    const sessions = await this.sessions();
    if (!loaded || !sessions) {
      logger.warn({ code: 'identity_missing' }, 'hotspot not opened: no factory identity (passphrase, setup-code verifier)');
      return;
    }
    const cfg = this.deps.config();
    const mode: SoftApMode = cfg.portal ? 'portal' : 'app';
    const hotspot = new SoftApSession({
      softAp: this.deps.softAp,
      scanner: this.deps.wifi,
      wifi: this.deps.wifi,
      clock,
      logger,
      concurrent: cfg.concurrent,
      config: softApConfig({
        ifname: cfg.ifname,
        model: loaded.identity.model,
        serial: loaded.identity.serial,
        passphrase: loaded.apPassphrase,
        countryCode: cfg.countryCode,
        channel: cfg.channel,
      }),
    });
    const opened = await hotspot.open(mode);
    if (!opened.ok) {
      logger.error({ code: opened.reason }, `hotspot did not start: ${opened.message}`);
      return;
    }
    this.#hotspot = hotspot;
    // The address phones are sent to: 192.168.4.1 on a camera; host:port when the port is not 80 (the demo's free port).
    const gateway = (): string => {
      const port = this.#server?.port ?? cfg.port;
      return port === 80 ? cfg.host : `${cfg.host}:${port}`;
    };
    try {
      this.#server = await startProvisioningServer({
        host: cfg.host,
        port: cfg.port,
        sessions,
        actions: this.#actions(),
        logger,
        plugins: [
          captivePortal({
            get gateway() {
              return gateway();
            },
            scan: () => this.#scan(),
            connect: (req) => this.#portalConnect(req),
            status: () => {
              const s = this.#status();
              return { state: s.state === 'binding' || s.state === 'bound' ? 'online' : s.state, reason: s.reason };
            },
            language: () => this.deps.config().language,
            appSessionClient: (ip) => sessions.isAuthenticatedPeer(ip),
            mode: () => mode,
          }),
        ],
      });
    } catch (err) {
      logger.error({ err }, 'provisioning server did not start; closing the hotspot');
      await hotspot.close();
      this.#hotspot = null;
      return;
    }
    const ssid = hotspot.status().ssid;
    logger.info({ ssid, mode, url: this.#server.url }, 'hotspot open for provisioning');
    for (const l of [...this.#openListeners]) l(this.#server.url, ssid);
  }

  async #close(why: string): Promise<void> {
    this.#timer?.cancel();
    this.#timer = null;
    const server = this.#server;
    const hotspot = this.#hotspot;
    this.#server = null;
    this.#hotspot = null;
    this.#sessions?.closeAll();
    this.#staged = { wifi: null, binding: null };
    if (!server && !hotspot) return;
    await server?.close().catch(() => undefined);
    await hotspot?.close().catch(() => undefined);
    this.deps.logger.info({ why }, 'hotspot closed');
  }

  async #scan(): Promise<{ ageS: number; aps: import('../../network/wifi-scan.js').AccessPoint[] }> {
    const cached = this.#hotspot?.cachedScan();
    if (!cached) return { ageS: 0, aps: [] };
    return { ageS: Math.max(0, Math.round((this.deps.clock.now() - cached.at) / 1000)), aps: cached.aps };
  }

  #status(): ProvStatus {
    const snap = this.deps.lifecycle.snapshot;
    const prov = this.deps.provisioning.status();
    const hs = this.#hotspot?.status();
    const ip = hs?.connection?.ipv4?.split('/')[0] ?? null;
    const reason = (prov.lastError?.code ?? null) as ProvFailureReason | null;
    const state: ProvStatus['state'] = snap.bound
      ? 'bound'
      : prov.phase === 'binding'
        ? 'binding'
        : snap.underlying === 'online'
          ? 'online'
          : snap.underlying === 'joining' || this.#busy
            ? 'connecting'
            : this.#lastJoin && !this.#lastJoin.ok
              ? 'failed'
              : 'idle';
    return { state, reason: state === 'failed' || state === 'online' ? reason : null, ip, attempt: this.#attempt };
  }

  /** Joins with the staged credentials through the hotspot session (which may drop the AP meanwhile). */
  #startJoin(wifi: WifiCredentials, binding: (BindingRequest & { timeZone?: string }) | null, answered: Promise<unknown>): boolean {
    const hotspot = this.#hotspot;
    if (!hotspot || this.#busy) return false;
    this.#busy = true;
    this.#attempt++;
    const payload: ProvisioningPayload = {
      format: 'wifi',
      wifi,
      binding: binding ? { token: binding.token, region: binding.region } : null,
      timeZone: binding?.timeZone ?? null,
      warnings: [],
    };
    void this.deps.provisioning
      .applyFromHotspot(payload, async (creds) => {
        const r = await hotspot.applyAndJoin(creds, { answered });
        return r.ok ? { ok: true } : { ok: false, reason: r.reason, message: `join failed: ${r.reason}` };
      })
      .then((r) => {
        this.#lastJoin = r;
      })
      .finally(() => {
        this.#busy = false;
      });
    return true;
  }

  async #portalConnect(req: { ssid: string; password: string | null; hidden: boolean; code: string }): Promise<{ ok: true } | { ok: false; code: string; retryAfterMs?: number }> {
    const sessions = this.#sessions;
    if (!sessions) return { ok: false, code: 'busy' };
    const code = await sessions.checkLabelCode(req.code);
    if (!code.ok) return { ok: false, code: code.code, ...('retryAfterMs' in code && code.retryAfterMs !== undefined ? { retryAfterMs: code.retryAfterMs } : {}) };
    const wifi: WifiCredentials = {
      ssid: req.ssid,
      ssidAlternates: [],
      auth: req.password === null ? 'open' : 'wpa',
      password: req.password,
      rawPsk: req.password !== null && /^[0-9A-Fa-f]{64}$/.test(req.password),
      hidden: req.hidden,
      transitionDisable: false,
    };
    const problem = credentialsProblem(wifi);
    if (problem) return { ok: false, code: 'invalid_credentials' };
    // The portal's answer goes out before a single radio drops the AP.
    if (!this.#startJoin(wifi, null, new Promise<void>((r) => this.deps.clock.setTimeout(r, 300)))) return { ok: false, code: 'busy' };
    return { ok: true };
  }

  #actions(): ProvisioningActions {
    let answered: () => void = () => undefined;
    return {
      info: () => {
        const loaded = this.deps.identity();
        const snap = this.deps.lifecycle.snapshot;
        return {
          model: loaded?.identity.model ?? 'unknown',
          sn4: (loaded?.identity.serial ?? '').slice(-4),
          fw: this.deps.firmwareVersion(),
          state: snap.bound ? 'bound' : snap.underlying === 'online' ? 'online_unbound' : 'unprovisioned',
          lastError: this.deps.provisioning.status().lastError?.code ?? null,
        };
      },
      scan: () => this.#scan(),
      setWifi: (creds) => {
        this.#staged.wifi = creds;
      },
      setBinding: (req) => {
        this.#staged.binding = req;
      },
      apply: async () => {
        const wifi = this.#staged.wifi;
        if (!wifi) throw new ProvActionError('nothing_staged', 'send /wifi/config first', 409);
        const plan = this.#hotspot?.applyPlan() ?? { apWillDrop: false, retryAfterMs: 45_000 };
        const sent = new Promise<void>((resolve) => (answered = resolve));
        if (!this.#startJoin(wifi, this.#staged.binding, sent)) throw new ProvActionError('busy', 'a join is already running', 409);
        return plan;
      },
      applyAnswered: () => answered(),
      status: () => this.#status(),
      reset: () => {
        this.#staged = { wifi: null, binding: null };
      },
      finish: async () => {
        void this.#serial(() => this.#close('app finished'));
      },
    };
  }
}
