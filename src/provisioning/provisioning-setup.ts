/**
 * Builds QR provisioning, Wi-Fi joining, account binding and mDNS from the
 * configuration, the way alarm-setup.ts does for alarms: the composition
 * root calls this once and gets services to start and ops to register.
 *
 * Simulated hardware gets a simulated radio (hal.sim.wifiNetworks) and a
 * network that exists only once a simulated network is joined, unless the
 * simulated camera is wired (hal.sim.wired, the default).
 */
import { EventEmitter } from 'node:events';
import type { EventBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { Service } from '../core/service.js';
import type { LiveConfig } from '../config/live-config.js';
import type { AgentConfig } from '../config/schema.js';
import type { CloudService } from '../cloud/cloud-service.js';
import type { OpHandlers } from '../cloud/ops.js';
import type { Hal } from '../hal/types.js';
import type { IdentityService } from '../identity/identity-service.js';
import type { DeviceLifecycle } from '../lifecycle/device-lifecycle.js';
import type { Logger } from '../log/logger.js';
import { FrameSource } from '../media/frame-source.js';
import type { VideoService } from '../media/video-service.js';
import { MdnsAdvertiser } from '../network/mdns-advertiser.js';
import { NmcliWifiManager } from '../network/wifi-manager-nmcli.js';
import { SimWifiManager, type SimNetwork } from '../network/wifi-manager-sim.js';
import type { WifiManager } from '../network/wifi-manager.js';
import type { PersonalDataService } from '../store/personal-data-service.js';
import { AccountBinder, type BindResultArgs } from './account-binding.js';
import { classifyQrText } from './payload/index.js';
import type { WifiCredentials } from './provisioning-payload.js';
import { ProvisioningService, type QrReading } from './provisioning-service.js';
import { QrScanner } from './qr-scanner.js';
import { ApProvisioning } from './ap/ap-provisioning.js';
import { LanBind } from './ap/lan-bind.js';
import { ipv4AddressOf } from '../network/ipv4-address.js';
import { AP_NETWORK } from '../network/soft-ap.js';
import { createSoftAp } from '../network/soft-ap-backend.js';
import { dataLayout } from '../storage/data-layout.js';
import { orderedStart } from '../core/ordered-start.js';

export interface ProvisioningSetupDeps {
  config: LiveConfig;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  hal: Hal;
  lifecycle: DeviceLifecycle;
  identity: IdentityService;
  personalData: PersonalDataService;
  cloud: CloudService;
  video: VideoService;
  agentVersion: string;
}

/** Whether the camera has a network; the cloud link waits for it (cloud-service.ts). */
export interface NetworkPresence {
  up(): boolean;
  onUp(listener: () => void): () => void;
}

export interface Provisioning {
  service: ProvisioningService;
  wifi: WifiManager;
  network: NetworkPresence;
  /** `bind.result`, registered with the cloud link. */
  ops: () => OpHandlers;
  /** Started before the cloud link: emulates NetworkManager's autoconnect on simulated hardware, runs mDNS. */
  services: Service[];
  /** AP mode (hotspot, /prov/v1, captive portal); started after the provisioning service. */
  ap: ApProvisioning;
  /** The same session on the home network while online and unbound. */
  lanBind: LanBind;
}

export function createProvisioning(deps: ProvisioningSetupDeps): Provisioning {
  const { config, clock, logger, hal, identity } = deps;
  const cfg = config.current;
  const sim = cfg.hal.mode === 'sim';
  const log = logger.child({ svc: 'provisioning' });

  const wifi: WifiManager = sim
    ? new SimWifiManager({ networks: simNetworks(cfg) })
    : new NmcliWifiManager({
        logger: logger.child({ svc: 'wifi' }),
        ...(cfg.network.wifi.interface ? { ifname: cfg.network.wifi.interface } : {}),
        joinTimeoutMs: cfg.network.wifi.joinTimeoutSeconds * 1000,
        connectivity: cfg.network.wifi.connectivityCheck ? 'nmcli' : 'off',
      });

  // A real camera always "has" a network as far as the cloud link is concerned: MQTT's retries find out.
  const presence = new EventEmitter();
  let joined = false;
  const network: NetworkPresence = {
    up: () => !sim || cfg.hal.sim.wired || joined,
    onUp: (l) => {
      presence.on('up', l);
      return () => presence.off('up', l);
    },
  };
  // Every join (QR, hotspot, autoconnect) goes through here, so a success always counts as "has a network".
  const trackedWifi: WifiManager = {
    scan: () => wifi.scan(),
    current: () => wifi.current(),
    forget: () => wifi.forget(),
    join: async (creds, opts) => {
      log.info({ auth: creds.auth, hidden: creds.hidden }, 'joining Wi-Fi');
      const r = await wifi.join(creds, opts);
      if (r.ok && !joined) {
        joined = true;
        presence.emit('up');
      }
      return r;
    },
  };
  const joinWifi = async (creds: WifiCredentials) => {
    const r = await trackedWifi.join(creds);
    return r.ok ? { ok: true as const } : { ok: false as const, reason: r.reason, message: r.message };
  };

  let binder: AccountBinder | null = null;
  const binderFor = (): AccountBinder => {
    const loaded = identity.check?.ok ? identity.check.loaded.identity : null;
    binder ??= new AccountBinder({
      channel: deps.cloud.activationChannel(),
      clock,
      logger: log,
      serial: loaded?.serial ?? 'unknown',
      firmwareVersion: deps.agentVersion,
    });
    return binder;
  };

  const service = new ProvisioningService({
    bus: deps.bus,
    clock,
    logger: log,
    config: () => ({ qrEnabled: config.current.provisioning.qr.enabled, qrWindowMs: config.current.provisioning.qr.windowMinutes * 60_000 }),
    lifecycle: deps.lifecycle,
    scanner: () => qrReading(deps, log),
    joinWifi,
    bind: (request, readAtMs) => binderFor().bind(request, readAtMs),
    cancelBind: () => binder?.cancel(),
    store: () => deps.personalData.store,
    setTimeZone: async (timeZone) => {
      const r = await config.change({ device: { timezone: timeZone } }, 'provisioning');
      if (r.rejected.length) throw new Error(`time zone refused: ${r.rejected[0]!.rule}`);
      log.info({ timeZone }, 'time zone set from the provisioning code');
    },
    beep: () => hal.tone.playTone(1760, 150, 16_000),
    promptBindingFailed: () => hal.speaker.playPrompt('binding-failed', config.current.device.language),
  });

  // NetworkManager reconnects a saved profile by itself at boot; the simulated radio forgets, so rejoin what the store kept.
  const simAutoconnect: Service = {
    name: 'wifi-autoconnect',
    start: async () => {
      if (!sim || cfg.hal.sim.wired) return;
      const saved = deps.personalData.store?.get('wifi');
      if (!saved) return;
      const r = await joinWifi({
        ssid: Buffer.from(saved.ssid, 'base64').toString('utf8'),
        ssidAlternates: [],
        auth: saved.security === 'nopass' ? 'open' : saved.security === 'SAE' ? 'sae' : 'wpa',
        password: saved.security === 'nopass' ? null : saved.password,
        rawPsk: /^[0-9A-Fa-f]{64}$/.test(saved.password),
        hidden: saved.hidden,
        transitionDisable: false,
      });
      log.info({ ok: r.ok, ...(r.ok ? {} : { code: r.reason }) }, 'simulated radio: rejoined the saved network');
    },
    stop: async () => undefined,
  };

  const services: Service[] = [simAutoconnect];
  const mdns = createMdns({ ...deps, logger: logger.child({ svc: 'mdns' }) }, sim);
  if (mdns) services.push(mdns);

  const apLog = logger.child({ svc: 'hotspot' });
  const ap = new ApProvisioning({
    config: () => {
      const c = config.current;
      return {
        enabled: c.network.ap.enabled,
        startAfterMs: c.network.ap.startAfterMinutes * 60_000,
        portal: c.network.ap.portal,
        // Simulated hardware has no 192.168.4.1: the demo's portal is on loopback.
        host: sim ? '127.0.0.1' : AP_NETWORK.address,
        // …on any free port unless one is set explicitly: tests run many agents side by side.
        port: sim && c.network.ap.port === 80 ? 0 : c.network.ap.port,
        // AP+STA concurrency runs the hotspot on a virtual interface of the radio (hostapd backend creates it).
        ifname: c.network.ap.interface || (c.network.ap.concurrent && c.network.ap.backend === 'hostapd' ? 'ap0' : c.network.wifi.interface || 'wlan0'),
        concurrent: c.network.ap.concurrent,
        countryCode: c.network.ap.countryCode || null,
        channel: c.network.ap.channel,
        language: c.device.language,
      };
    },
    clock,
    logger: apLog,
    bus: deps.bus,
    lifecycle: deps.lifecycle,
    identity: () => (identity.check?.ok ? identity.check.loaded : null),
    firmwareVersion: () => deps.agentVersion,
    softAp: createSoftAp({
      backend: sim ? 'sim' : cfg.network.ap.backend,
      logger: apLog,
      ...(cfg.network.ap.concurrent && cfg.network.ap.backend === 'hostapd' ? { virtualOf: cfg.network.wifi.interface || 'wlan0' } : {}),
      clock,
      ...(process.env.RUNTIME_DIRECTORY ? { runtimeDir: process.env.RUNTIME_DIRECTORY } : {}),
    }),
    wifi: trackedWifi,
    provisioning: service,
    lockoutFile: dataLayout(cfg.data.dir).provLockout,
  });

  const lanBind = new LanBind({
    config: () => {
      const c = config.current;
      const lan = c.network.mdns.interface || c.hal.facts.netInterface;
      const host = sim ? '127.0.0.1' : ipv4AddressOf(lan);
      return { enabled: c.network.lanBind.enabled, host, port: sim && c.network.lanBind.port === 8080 ? 0 : c.network.lanBind.port };
    },
    logger: logger.child({ svc: 'lan-bind' }),
    bus: deps.bus,
    lifecycle: deps.lifecycle,
    sessions: () => ap.sessions(),
    provisioning: service,
    info: () => {
      const loaded = identity.check?.ok ? identity.check.loaded.identity : null;
      return { model: loaded?.model ?? 'unknown', sn4: (loaded?.serial ?? '').slice(-4), fw: deps.agentVersion };
    },
  });

  return {
    service,
    wifi,
    network,
    services,
    ap,
    lanBind,
    ops: () => ({
      'bind.result': (args) => {
        const problem = binderFor().answer(args as unknown as BindResultArgs);
        return problem ? { ok: false, error: { code: problem, message: 'no binding waits for this requestId' } } : { ok: true, data: { accepted: true } };
      },
    }),
  };
}

function simNetworks(cfg: AgentConfig): SimNetwork[] | undefined {
  const list = cfg.hal.sim.wifiNetworks;
  if (list.length === 0) return undefined;
  return list.map((n) => ({ ssid: n.ssid, password: n.password ? n.password : null, security: n.auth ?? (n.password ? 'wpa' : 'open'), hidden: n.hidden ?? false }));
}

/**
 * One scanning window: a second frame source at the QR size (the analysis
 * stream is far too small to read a phone at arm's length), read from the
 * configured input or the streamer's main stream, and the scanner on it.
 * Both exist only while scanning.
 */
function qrReading(deps: ProvisioningSetupDeps, log: Logger): QrReading | null {
  const cfg = deps.config.current;
  const input = cfg.video.input || deps.video.camera?.streamUri('main') || '';
  if (!input) return null;
  const qr = cfg.provisioning.qr;
  const frames = new FrameSource({
    config: { input, loop: cfg.video.loop, width: qr.width, height: qr.height, fps: qr.fps, stallTimeoutMs: Math.max(10_000, Math.ceil(2000 / qr.fps)) },
    clock: deps.clock,
    logger: log.child({ source: 'qr' }),
  });
  const scanner = new QrScanner({
    frames,
    classify: classifyQrText,
    clock: deps.clock,
    logger: log,
    ratePerSecond: qr.fps,
    // The read beep comes from the provisioning service; a code we cannot use gets a low tone.
    onBeep: (what) => {
      if (what === 'rejected') void deps.hal.tone.playTone(440, 300, 16_000).catch(() => undefined);
    },
  });
  // A window closed while the scanner is still starting must not leave the QR ffmpeg running (ordered-start.ts).
  const parts = orderedStart([scanner, frames]);
  return {
    start: () => parts.start(),
    stop: async () => {
      await parts.stop();
      const { releaseQrDecoder } = await import('../media/qr/zxing-reader.js');
      await releaseQrDecoder();
    },
    onRead: (listener) => scanner.on('read', (r) => listener(r.payload)),
    forget: () => scanner.forget(),
  };
}

function createMdns(deps: ProvisioningSetupDeps, sim: boolean): Service | null {
  const cfg = deps.config.current;
  if (!cfg.network.mdns.enabled) return null;
  const selector = cfg.network.mdns.interface || (sim ? null : cfg.hal.facts.netInterface);
  if (selector === null) {
    deps.logger.info('mDNS off on simulated hardware without network.mdns.interface');
    return null;
  }
  let advertiser: MdnsAdvertiser | null = null;
  let off: (() => void) | null = null;
  return {
    name: 'mdns',
    start: async () => {
      const loaded = deps.identity.check?.ok ? deps.identity.check.loaded.identity : null;
      if (!loaded) {
        deps.logger.warn({ code: 'identity_missing' }, 'mDNS off: no factory identity to advertise');
        return;
      }
      const facts = await deps.hal.facts.read();
      advertiser = new MdnsAdvertiser({
        logger: deps.logger,
        clock: deps.clock,
        serviceType: cfg.network.mdns.serviceType,
        port: cfg.api.port,
        interface: selector,
        facts: {
          brand: cfg.network.mdns.brand,
          model: loaded.model,
          serial: loaded.serial,
          firmware: facts.firmwareVersion ?? deps.agentVersion,
          bound: deps.lifecycle.snapshot.bound,
          publicKeyFingerprint: loaded.publicKeyFingerprint,
        },
      });
      off = deps.bus.on('state.changed', () => void advertiser?.update({ bound: deps.lifecycle.snapshot.bound }));
      await advertiser.start();
    },
    stop: async () => {
      off?.();
      await advertiser?.stop();
      advertiser = null;
    },
  };
}
