/**
 * The local HTTPS API and web console for technicians, as one agent
 * service: the token authority (tokens minted through the cloud's
 * `api.token` op), the audit log, the server with the device certificate,
 * and the console. Loopback only until the camera is bound (api.bind empty):
 * the server is restarted on the new address when binding changes.
 */
import type { EventBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { Service } from '../core/service.js';
import type { LiveConfig } from '../config/live-config.js';
import type { OpHandlers } from '../cloud/ops.js';
import type { Hal } from '../hal/types.js';
import type { IdentityService } from '../identity/identity-service.js';
import type { DeviceLifecycle } from '../lifecycle/device-lifecycle.js';
import type { Logger } from '../log/logger.js';
import type { SecretRegistry } from '../log/secret-registry.js';
import { dataLayout } from '../storage/data-layout.js';
import { createPublicKey, randomBytes } from 'node:crypto';
import { buildServingCertificate, toPem } from '../factory/x509-builder.js';
import { agentApiActions, type AgentApiDeps } from './agent-api-actions.js';
import { AuditLog } from './audit/audit-log.js';
import { authenticate } from './auth/authenticate.js';
import { authorize } from './auth/roles.js';
import { TokenAuthority } from './auth/token-authority.js';
import { apiTokenOpHandler } from './auth/token-request.js';
import { OfflineLogin } from './auth/offline-login.js';
import { buttonPressWaiter } from './auth/button-press.js';
import type { LockoutStore } from '../provisioning/ap/code-lockout.js';
import { consolePlugin } from './console/console-plugin.js';
import type { ApiAuth, ApiAudit } from './server/access.js';
import { PUBLIC } from './server/route-table.js';
import { bindHostFor, startLocalApi, type LocalApi } from './server/local-api.js';
import type { LocalTalkback } from './server/talk-socket.js';

export interface LocalApiServiceDeps extends Omit<AgentApiDeps, 'audit' | 'config' | 'bus' | 'clock' | 'logger' | 'hal' | 'identity' | 'lifecycle'> {
  config: LiveConfig;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  hal: Hal;
  identity: IdentityService;
  lifecycle: DeviceLifecycle;
  secrets: SecretRegistry;
  /** The setup-code lockout shared with AP mode (provisioning/ap). */
  codeLockout: () => Promise<LockoutStore | null>;
  /** Talkback sessions for the WebSocket endpoint (src/talkback); without it the endpoint answers 409. */
  talkback?: LocalTalkback;
}

export class LocalApiService implements Service {
  readonly name = 'local-api';
  #authority: TokenAuthority | null = null;
  #audit: AuditLog | null = null;
  #api: LocalApi | null = null;
  #actions: ReturnType<typeof agentApiActions> | null = null;
  #off: Array<() => void> = [];
  #boundWhenStarted = false;

  constructor(private readonly deps: LocalApiServiceDeps) {}

  /** The console and API address while running, e.g. https://127.0.0.1:8443. */
  get url(): string | null {
    return this.#api?.url ?? null;
  }

  /** Mints a technician token (the demo prints one; production goes through the cloud op). */
  mintToken(role: 'viewer' | 'technician' | 'admin', subject: string, ttlS: number): string | null {
    return this.#authority?.mint({ role, subject, ttlS, via: 'cloud' }).token ?? null;
  }

  /**
   * A technician is working on the camera now (the console's live view or a
   * log follow is open): the update lock defers a firmware install meanwhile.
   */
  technicianConnected(): boolean {
    return (this.#api?.openStreams() ?? 0) > 0;
  }

  /** The audit trail for log uploads (empty while the API is off). */
  async auditLines(): Promise<string[]> {
    return (await this.#audit?.exportForUpload()) ?? [];
  }

  /** `api.token`, registered with the cloud link. */
  ops(): OpHandlers {
    const authority = this.#authority;
    return authority ? { 'api.token': apiTokenOpHandler(authority) } : {};
  }

  /** Unbind and factory reset: every token dies, and the audit log (personal data) is erased. */
  async erase(reason: 'unbind' | 'factory_reset'): Promise<void> {
    await this.#authority?.revokeAll(reason).catch(() => undefined);
    await this.#audit?.erase({ actor: { type: 'device' }, reason }).catch(() => undefined);
  }

  async start(): Promise<void> {
    const { config, logger, clock } = this.deps;
    if (!config.current.api.enabled) return;
    const check = this.deps.identity.check;
    if (!check?.ok) {
      logger.warn({ code: 'identity_missing' }, 'local API off: no factory identity (certificate, device id)');
      return;
    }
    const layout = dataLayout(config.current.data.dir);
    this.#authority = new TokenAuthority({
      deviceId: check.loaded.identity.deviceId,
      deviceSecret: await this.deps.hal.keys.keyMaterial(),
      statePath: layout.apiTokens,
      clock,
      logger,
    });
    await this.#authority.load();
    this.#audit = new AuditLog({ path: layout.auditLog, clock, secrets: this.deps.secrets, logger });
    await this.#audit.start();
    const lockout = await this.deps.codeLockout();
    const offlineLogin = lockout
      ? new OfflineLogin({
          label: { serial: check.loaded.identity.serial, srp: check.loaded.srpVerifier, lockout },
          authority: this.#authority,
          awaitButtonPress: buttonPressWaiter(this.deps.hal.button, clock),
          clock,
          logger,
          // The person at the camera hears and sees that a press is wanted.
          onAwaitingPress: () => void this.deps.hal.tone.playTone(880, 300, 16_000).catch(() => undefined),
        })
      : null;
    this.#actions = agentApiActions({ ...this.deps, audit: this.#audit, offlineLogin: () => offlineLogin });
    this.#off.push(
      this.deps.bus.on('state.changed', () => {
        if (this.deps.lifecycle.snapshot.bound !== this.#boundWhenStarted && !config.current.api.bind) void this.#restart();
      }),
    );
    await this.#listen();
  }

  async stop(): Promise<void> {
    for (const off of this.#off.splice(0)) off();
    await this.#api?.close();
    this.#api = null;
    this.#actions?.dispose();
    await this.#audit?.stop();
  }

  /** Made once per run with the device key: clients pin that key (label `F:`), not a chain. */
  #servingCertificate(): string {
    const loaded = this.deps.identity.check?.ok ? this.deps.identity.check.loaded : null;
    if (!loaded) throw new Error('no identity');
    const now = this.deps.clock.now();
    const serial = randomBytes(16);
    serial[0]! &= 0x7f;
    const der = buildServingCertificate({
      subject: { deviceId: loaded.identity.deviceId, serial: loaded.identity.serial },
      publicKey: createPublicKey(loaded.privateKey),
      privateKey: loaded.privateKey,
      serialNumber: serial,
      notBefore: new Date(now - 86_400_000),
      notAfter: new Date(now + 10 * 365 * 86_400_000),
    });
    return toPem('CERTIFICATE', der);
  }

  async #restart(): Promise<void> {
    await this.#api?.close();
    this.#api = null;
    await this.#listen();
  }

  async #listen(): Promise<void> {
    const { config, logger } = this.deps;
    const check = this.deps.identity.check;
    const authority = this.#authority;
    const auditLog = this.#audit;
    const actions = this.#actions;
    if (!check?.ok || !authority || !auditLog || !actions) return;
    const auth: ApiAuth = {
      authenticate: (headers) => {
        const r = authenticate(headers, authority);
        return r.ok ? { ok: true, principal: { tokenId: r.principal.tokenId, role: r.principal.role } } : { ok: false, status: r.failure.status as 401 | 403 | 429, code: r.failure.code };
      },
      authorize: (principal, scope) => authorize({ ...principal, subject: '', via: 'cloud', expiresAt: 0 } as Parameters<typeof authorize>[0], scope).allowed,
    };
    const audit: ApiAudit = {
      record: (e) =>
        void auditLog
          .append({ actor: e.who.type === 'token' ? { type: 'token', tokenId: e.who.tokenId, role: e.who.role } : { type: 'anonymous' }, action: e.action, source: e.from, result: e.result, ...(e.details ? { details: e.details } : {}) })
          .catch((err: unknown) => logger.warn({ err }, 'audit record failed')),
    };
    this.#boundWhenStarted = this.deps.lifecycle.snapshot.bound;
    const { loaded } = check;
    try {
      this.#api = await startLocalApi({
        cert: this.#servingCertificate(),
        key: loaded.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
        bindHost: bindHostFor(config.current.api.bind, this.#boundWhenStarted),
        // Simulated hardware (demo, tests: many agents side by side) takes any free port unless one is set.
        port: config.current.hal.mode === 'sim' && config.current.api.port === 8443 ? 0 : config.current.api.port,
        auth,
        audit,
        actions,
        logger,
        version: this.deps.agentVersion,
        plugins: [{ plugin: consolePlugin, options: { routeConfig: { scope: PUBLIC } } }],
        ...(this.deps.talkback ? { talkback: this.deps.talkback } : {}),
        clock: this.deps.clock,
      });
      logger.info({ url: this.#api.url }, 'local API and console listening');
    } catch (err) {
      logger.error({ err }, 'local API did not start');
    }
  }
}
