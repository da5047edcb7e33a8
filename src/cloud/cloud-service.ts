import { readFile, statfs } from 'node:fs/promises';
import type { EventBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { Service } from '../core/service.js';
import type { LiveConfig } from '../config/live-config.js';
import type { AgentConfig } from '../config/schema.js';
import { maskConfig } from '../config/validate.js';
import type { Hal } from '../hal/types.js';
import type { IdentityService } from '../identity/identity-service.js';
import type { DeviceLifecycle } from '../lifecycle/device-lifecycle.js';
import type { Logger } from '../log/logger.js';
import type { LogRing } from '../log/log-ring.js';
import { maskIp, maskMac, maskSsid } from '../log/mask.js';
import type { PersonalDataService } from '../store/personal-data-service.js';
import type { CloudConfig } from './cloud-config.js';
import type { MqttLink } from './mqtt-link.js';
import type { InfoPayload } from './payloads.js';
import { logsUploadHandler } from './ops/logs-upload.js';
import { processHealthFacts, type HealthFacts } from './health-sample.js';
import { ipv4AddressOf } from '../network/ipv4-address.js';
import type { ActivationChannel } from '../provisioning/account-binding.js';
import type { OpHandlers } from './ops.js';
import { topicScheme } from './topics.js';
import type { AlarmLink } from '../alarm/alarm-link.js';

export interface CloudServiceDeps {
  config: LiveConfig;
  identity: IdentityService;
  personalData: PersonalDataService;
  lifecycle: DeviceLifecycle;
  hal: Hal;
  bus: EventBus;
  ring: LogRing;
  clock: Clock;
  logger: Logger;
  outboxDir: string;
  agentVersion: string;
  /** What the agent can do, for `info.capabilities`. */
  capabilities: () => string[];
  /** Erase personal data and the runtime configuration (unbind). */
  erasePersonalData: () => Promise<void>;
  /** Alarm ops (`snapshot`, `snapshot.upload-url`), registered by the composition root. */
  alarmOps?: () => OpHandlers;
  /** The local API's audit trail, uploaded with the logs (src/api/audit). */
  auditLines?: () => Promise<string[]>;
  /** The firmware update job for `info.ota` (src/ota). */
  otaInfo?: () => Record<string, unknown> | null;
  /** Provisioning ops (`bind.result`), registered by the composition root. */
  provisioningOps?: () => OpHandlers;
  /**
   * Whether the camera has a network at all. The link is started only once it
   * has: on simulated hardware the development machine's network is always
   * there, so the simulated Wi-Fi decides (on a real camera this is always
   * true and MQTT's own retries are the detector).
   */
  network?: { up(): boolean; onUp(listener: () => void): () => void };
}

export function cloudConfig(cfg: AgentConfig): CloudConfig {
  return structuredClone(cfg.cloud);
}

/**
 * The agent's side of the cloud link: builds the MQTT link from the factory
 * identity and configuration, wires the ops that reach into the agent
 * (reboot, unbind, logs.upload, config), feeds link state into the device
 * life cycle and keeps `info` current.
 */
export class CloudService implements Service {
  readonly name = 'cloud';
  #link: MqttLink | null = null;
  #off: Array<() => void> = [];
  readonly #onlineListeners = new Set<() => void>();

  constructor(private readonly deps: CloudServiceDeps) {}

  get link(): MqttLink | null {
    return this.#link;
  }

  async start(): Promise<void> {
    const { logger } = this.deps;
    const cfg = this.deps.config.current;
    if (!cfg.cloud.enabled || !cfg.cloud.url) {
      logger.info({ enabled: cfg.cloud.enabled }, 'cloud link off (cloud.enabled false or no cloud.url)');
      return;
    }
    const check = this.deps.identity.check;
    if (!check?.ok) {
      logger.error({ code: check?.error.code ?? 'identity_missing' }, 'cloud link not started: the factory identity is unusable');
      return;
    }
    let ca: Buffer;
    try {
      ca = await readFile(cfg.cloud.ca);
    } catch (err) {
      logger.error({ code: 'cloud_ca_missing', file: cfg.cloud.ca, err }, 'cloud link not started: cannot read the broker CA');
      return;
    }
    const { loaded } = check;
    // mqtt.js is loaded only when the cloud link is on: a camera without one
    // (factory test, local-only use) does not carry it in memory.
    const { MqttLink } = await import('./mqtt-link.js');
    const link = new MqttLink({
      deviceId: loaded.identity.deviceId,
      config: cloudConfig(cfg),
      tls: {
        ca,
        // The chain lets the broker verify through the factory's intermediate CA.
        cert: Buffer.from(`${loaded.certificatePem.trim()}\n${loaded.caChainPem.trim()}\n`),
        key: loaded.privateKey.export({ type: 'pkcs8', format: 'pem' }) as Buffer,
      },
      outboxDir: this.deps.outboxDir,
      handlers: {
        reboot: async (args) => {
          const delayMs = typeof args.delayMs === 'number' ? args.delayMs : 1000;
          const reason = typeof args.reason === 'string' ? args.reason : 'cloud request';
          // Answer first: after the reboot nobody could.
          this.deps.clock.setTimeout(() => {
            this.deps.hal.power.reboot(reason).catch((err: unknown) => logger.error({ err }, 'reboot failed'));
          }, delayMs);
          return { ok: true, data: { rebootingInMs: delayMs } };
        },
        unbind: async (args) => {
          await this.deps.erasePersonalData();
          await this.deps.lifecycle.dispatch({ type: 'unbound' });
          await this.#link?.publishEvent('unbound', { reason: typeof args.reason === 'string' ? args.reason : 'cloud request' }, 'high');
          return { ok: true, data: { erased: true, state: this.deps.lifecycle.snapshot.state } };
        },
        'logs.upload': logsUploadHandler({
          lines: () => this.deps.ring.lines(),
          ...(this.deps.auditLines ? { auditLines: this.deps.auditLines } : {}),
          publishChunk: async (data) => (await this.#link?.publishEvent('logs', data, 'low'))?.ok === true,
          clock: this.deps.clock,
        }),
        ...this.deps.alarmOps?.(),
        ...this.deps.provisioningOps?.(),
      },
      configSync: {
        applyConfig: (patch) => this.deps.config.change(patch, 'cloud'),
        currentConfig: () => maskConfig(this.deps.config.current) as unknown as Record<string, unknown>,
      },
      deviceInfo: () => this.#info(),
      healthFacts: () => this.#health(),
      clock: this.deps.clock,
      logger,
    });
    this.#off.push(
      link.on('online', () => {
        void this.deps.lifecycle.dispatch({ type: 'link-up', bound: this.deps.lifecycle.snapshot.bound });
        for (const l of [...this.#onlineListeners]) l();
      }),
      link.on('offline', () => {
        const u = this.deps.lifecycle.snapshot.underlying;
        if (u === 'online' || u === 'bound') void this.deps.lifecycle.dispatch({ type: 'link-lost', reason: 'broker unreachable' });
      }),
      // Facts in `info` change with the state and the configuration.
      this.deps.bus.on('state.changed', () => void link.publishInfo()),
      this.deps.bus.on('config.changed', () => void link.publishInfo()),
    );
    this.#link = link;
    const network = this.deps.network;
    if (!network || network.up()) {
      await link.start();
      return;
    }
    // The outbox opens now, so alarms raised while provisioning are kept; only connecting waits.
    await link.start({ connect: false });
    logger.info('cloud link waits for a network (Wi-Fi provisioning)');
    const off = network.onUp(() => {
      off();
      if (this.#link === link) link.connect();
    });
    this.#off.push(off);
  }

  /** The link as account binding sees it (provisioning/account-binding.ts). */
  activationChannel(): ActivationChannel {
    return {
      online: () => this.#link?.state === 'online',
      onOnline: (l) => {
        this.#onlineListeners.add(l);
        return () => this.#onlineListeners.delete(l);
      },
      publish: async (payload) => {
        const link = this.#link;
        if (!link) throw Object.assign(new Error('the cloud link is off'), { code: 'cloud_off' });
        const outcome = await link.publishActivation(payload);
        if (outcome === 'refused') throw Object.assign(new Error('the broker refused the activation message'), { code: 'publish_refused' });
      },
    };
  }

  async stop(): Promise<void> {
    for (const off of this.#off.splice(0)) off();
    await this.#link?.stop();
    this.#link = null;
  }

  healthy(): boolean {
    return this.#link ? this.#link.healthy() : true;
  }

  /**
   * The link as the alarm service sees it. Usable before start() and while
   * the cloud is off: events then fail with `cloud_off` and images stay spooled.
   */
  alarmLink(): AlarmLink {
    const topics = (): ReturnType<typeof topicScheme> | null => {
      const check = this.deps.identity.check;
      if (!check?.ok) return null;
      const cfg = this.deps.config.current.cloud;
      return topicScheme({ deviceId: check.loaded.identity.deviceId, prefix: cfg.topicPrefix, discoveryPrefix: cfg.homeAssistant.discoveryPrefix });
    };
    const snapshotTopic = (alarmId: string): string => {
      const t = topics();
      return t?.ok ? t.value.snapshot(alarmId) : `cam/unknown/snapshot/${alarmId}`;
    };
    return {
      online: () => this.#link?.state === 'online',
      onOnline: (l) => {
        this.#onlineListeners.add(l);
        return () => this.#onlineListeners.delete(l);
      },
      publishEvent: async (type, data, priority) => {
        const link = this.#link;
        if (!link) return { ok: false, code: 'cloud_off' };
        const r = await link.publishEvent(type, data, priority);
        return r.ok ? { ok: true, id: r.value.id } : { ok: false, code: r.error.code };
      },
      snapshotTopic,
      publishSnapshot: async (alarmId, part, payload) => {
        const link = this.#link;
        if (!link) throw Object.assign(new Error('the cloud link is off'), { code: 'delivery_unavailable' });
        const outcome = await link.publishBinary(`${snapshotTopic(alarmId)}${part === 'thumb' ? '/thumb' : ''}`, payload);
        if (outcome === 'refused') throw Object.assign(new Error('the broker refused the snapshot message'), { code: 'delivery_refused' });
      },
    };
  }

  /** Process facts plus what only the board and the data partition know. */
  async #health(): Promise<HealthFacts> {
    const facts = processHealthFacts();
    const board = await this.deps.hal.facts.read();
    const fs = await statfs(this.deps.config.current.data.dir).catch(() => null);
    return {
      ...facts,
      cpuTempC: board.temperatureC,
      ...(fs ? { storage: { freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize } } : {}),
    };
  }

  async #info(): Promise<InfoPayload> {
    const check = this.deps.identity.check;
    const identity = check?.ok ? check.loaded.identity : null;
    const facts = await this.deps.hal.facts.read();
    const cfg = this.deps.config.current;
    const store = this.deps.personalData.store;
    const wifi = store?.get('wifi');
    const binding = store?.get('binding');
    const ip = ipv4AddressOf(cfg.hal.facts.netInterface);
    const ota = this.deps.otaInfo?.() ?? null;
    return {
      model: identity?.model ?? 'unknown',
      serial: identity?.serial ?? 'unknown',
      firmwareVersion: facts.firmwareVersion ?? 'unknown',
      agentVersion: this.deps.agentVersion,
      ...(identity?.mac || facts.mac ? { mac: maskMac(identity?.mac ?? facts.mac!) } : {}),
      ...(ip ? { ip: maskIp(ip) } : {}),
      ...(wifi ? { wifi: { ssid: maskSsid(Buffer.from(wifi.ssid, 'base64').toString('utf8')) } } : {}),
      uptimeS: Math.round(facts.uptimeSeconds),
      activatedAt: binding ? Date.parse(binding.boundAt) || null : null,
      state: this.deps.lifecycle.snapshot.state,
      // Both switches as they are in force (persisted in the runtime config / the shutter state).
      privacy: this.deps.lifecycle.snapshot.state === 'privacy' || cfg.privacy.mode,
      alarmSnapshots: cfg.alarm.snapshots,
      capabilities: this.deps.capabilities(),
      ...(ota ? { ota } : {}),
    };
  }
}
