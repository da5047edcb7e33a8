import { EventBus } from './core/bus.js';
import { systemClock, type Clock } from './core/clock.js';
import type { Service } from './core/service.js';
import type { LiveConfig } from './config/live-config.js';
import type { AgentConfig } from './config/schema.js';
import { createHal } from './hal/index.js';
import { defaultEvdevLayout, type HalConfig } from './hal/config.js';
import type { Hal } from './hal/types.js';
import { VideoService } from './media/video-service.js';
import { VideoAnalyzer } from './media/video-analyzer.js';
import { readMotionConfig, type MotionConfig } from './media/motion/motion-config.js';
import { DeviceLifecycle } from './lifecycle/device-lifecycle.js';
import { IdentityService } from './identity/identity-service.js';
import { PersonalDataService } from './store/personal-data-service.js';
import { dataLayout } from './storage/data-layout.js';
import { CloudService } from './cloud/cloud-service.js';
import { agentVersion } from './cli/version.js';
import { Indicator } from './lifecycle/indicator.js';
import type { Logging } from './log/logger.js';
import type { Notifier } from './system/sd-notify.js';
import { Watchdog, eventLoopLagProbe } from './system/watchdog.js';
import type { AlarmService } from './alarm/alarm-service.js';
import { createAlarmService } from './alarm/alarm-setup.js';
import { createProvisioning, type Provisioning } from './provisioning/provisioning-setup.js';
import { LocalApiService } from './api/local-api-service.js';
import { readFile } from 'node:fs/promises';
import { SharedAudioOutput } from './hal/shared-audio-output.js';
import { withSharedAudio } from './hal/with-shared-audio.js';
import { TalkbackService } from './talkback/talkback-service.js';
import { connectRelay } from './talkback/relay-transport.js';
import { openMqttTransport } from './talkback/mqtt-transport.js';
import { spawnAudioTranscoder } from './media/ffmpeg.js';
import { OtaService } from './ota/ota-service.js';
import { UpdateLock } from './ota/update-lock.js';
import { loadTrustedKeys } from './ota/key-ring.js';
import { bootIdReader } from './ota/boot-id.js';

/** The confirm step's "frames arrive": one within this long. */
const OTA_FRAME_FRESH_MS = 10_000;

export interface AgentDeps {
  config: LiveConfig;
  logging: Logging;
  bus?: EventBus;
  clock?: Clock;
  notifier: Notifier;
  /** Watchdog interval systemd asked for; null = no watchdog. */
  watchdogIntervalMs: number | null;
  /** Build the hardware interface; tests and the demo may hand in their own. */
  hal?: Hal;
  /**
   * Ask the process to stop and exit so systemd starts a fresh agent
   * (run-command.ts); absent in tests and the demo.
   */
  requestRestart?: (reason: string) => void;
}

/** Time each service gets to stop before the agent moves on; all must fit systemd's 5 s. */
const STOP_TIMEOUT_MS = 1500;

/**
 * The composition root: builds every feature service with its
 * dependencies, starts them in order and stops them in reverse. Nothing
 * else in the agent constructs services.
 */
export class Agent {
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly hal: Hal;
  readonly lifecycle: DeviceLifecycle;
  readonly identity: IdentityService;
  readonly personalData: PersonalDataService;
  readonly cloud: CloudService;
  /** The analysis video: the configured input or the streamer's ONVIF sub-stream. */
  readonly video: VideoService;
  /** Motion detection over the analysis video. */
  readonly motion: VideoAnalyzer;
  /** Motion alarms with snapshots (src/alarm/). */
  readonly alarm: AlarmService;
  /** QR provisioning, Wi-Fi, account binding and mDNS (src/provisioning/, src/network/). */
  readonly provisioning: Provisioning;
  /** The technicians' HTTPS API and web console (src/api/). */
  readonly localApi: LocalApiService;
  /** Two-way audio with the app (src/talkback/). */
  readonly talkback: TalkbackService;
  /** The speaker, shared by prompts, tones and talkback. */
  readonly audio: SharedAudioOutput;
  /** Firmware updates (src/ota/). */
  readonly ota: OtaService;
  /** What defers a firmware install or reboot: talkback, a technician at the console. */
  readonly updateLock = new UpdateLock();
  #services: Service[] = [];
  #started: Service[] = [];

  constructor(private readonly deps: AgentDeps) {
    this.bus = deps.bus ?? new EventBus();
    this.clock = deps.clock ?? systemClock;
    const cfg = deps.config.current;
    const logger = deps.logging.logger;
    const board = deps.hal ?? createHal(halConfig(cfg), {
      logger: logger.child({ svc: 'hal' }),
      clock: this.clock,
      paths: { dataDir: cfg.data.dir, identityDir: cfg.identity.dir },
    });
    // One speaker: prompts and tones wait while a talkback session holds it.
    this.audio = new SharedAudioOutput({ speaker: board.speaker, tone: board.tone, logger: logger.child({ svc: 'audio' }) });
    this.hal = withSharedAudio(board, this.audio);
    const layout = dataLayout(cfg.data.dir);
    this.identity = new IdentityService({
      dir: cfg.identity.dir,
      clock: this.clock,
      logger: logger.child({ svc: 'identity' }),
      // The clock was behind the certificate (no RTC, before NTP): the personal-data store, local API and
      // cloud each stayed off at their start. A fresh start brings them up through the one tested path,
      // instead of teaching every service to come up late.
      onValid: () => deps.requestRestart?.('identity_valid'),
    });
    this.personalData = new PersonalDataService({
      layout,
      keys: this.hal.keys,
      identity: this.identity,
      logger: logger.child({ svc: 'store' }),
      onOpen: (store) => deps.config.attachPersonalStore(store),
    });
    this.lifecycle = new DeviceLifecycle({
      bus: this.bus,
      hal: this.hal,
      clock: this.clock,
      logger: logger.child({ svc: 'lifecycle' }),
      dataDir: cfg.data.dir,
      erasePersonalData: () => this.#erasePersonalData(),
    });
    const indicator = new Indicator({
      bus: this.bus,
      hal: this.hal,
      logger: logger.child({ svc: 'indicator' }),
      language: () => deps.config.current.device.language,
    });
    const halService: Service = { name: 'hal', start: () => this.hal.start(), stop: () => this.hal.stop() };
    this.video = new VideoService({
      config: {
        input: cfg.video.input,
        loop: cfg.video.loop,
        width: cfg.video.analysis.width,
        height: cfg.video.analysis.height,
        fps: cfg.video.analysis.fps,
        stallTimeoutMs: cfg.video.stallTimeoutSeconds * 1000,
        onvif: {
          ...cfg.video.onvif,
          timeoutMs: cfg.video.onvif.timeoutSeconds * 1000,
          discoverTimeoutMs: cfg.video.onvif.discoverTimeoutSeconds * 1000,
        },
      },
      clock: this.clock,
      logger: logger.child({ svc: 'video' }),
      secrets: deps.logging.secrets,
      // node-onvif is loaded only on cameras that use it.
      onvif: async () => {
        const [{ connectOnvif }, { discoverOnvif }] = await Promise.all([import('./media/onvif/onvif-camera.js'), import('./media/onvif/onvif-discovery.js')]);
        const log = logger.child({ svc: 'onvif' });
        return { connect: (o) => connectOnvif(o, { logger: log }), discover: (o) => discoverOnvif(o) };
      },
    });
    this.motion = new VideoAnalyzer({
      frames: this.video,
      config: motionConfigOf(cfg),
      clock: this.clock,
      logger: logger.child({ svc: 'motion' }),
    });
    this.motion.on('motion', (n) => {
      if (n.type === 'start') this.bus.emit('motion.started', { at: n.at, t: n.t, score: n.score, zones: n.zones });
      else this.bus.emit('motion.ended', { at: n.at, t: n.t, score: n.score, zones: n.zones, durationMs: n.durationMs, reason: n.reason });
    });
    // Every motion knob applies live: a technician tuning zones sees the effect at once.
    this.bus.on('config.changed', ({ changed }) => {
      if (changed.some((k) => k.startsWith('motion.') || k === 'device.timezone')) this.motion.configure(motionConfigOf(deps.config.current));
    });
    this.cloud = new CloudService({
      config: deps.config,
      identity: this.identity,
      personalData: this.personalData,
      lifecycle: this.lifecycle,
      hal: this.hal,
      bus: this.bus,
      ring: deps.logging.ring,
      clock: this.clock,
      logger: logger.child({ svc: 'cloud' }),
      outboxDir: layout.cloudOutboxDir,
      agentVersion: agentVersion(),
      capabilities: () => [
        'config',
        'logs',
        'reboot',
        'unbind',
        ...(this.video.state !== 'off' ? ['video', 'motion', 'alarm', 'snapshot'] : []),
        ...(this.video.camera?.hasPtz() ? ['ptz'] : []),
        ...(deps.config.current.talkback.enabled ? ['talkback'] : []),
        ...(deps.config.current.ota.enabled ? ['ota'] : []),
      ],
      erasePersonalData: () => this.#erasePersonalData(),
      alarmOps: () => ({
        snapshot: async () => {
          const r = await this.alarm.requestSnapshot();
          return r.ok ? { ok: true, data: r.data } : { ok: false, error: { code: r.code, message: r.message } };
        },
        'snapshot.upload-url': (args) => {
          const r = this.alarm.answerUploadUrl(args as unknown as Parameters<AlarmService['answerUploadUrl']>[0]);
          return r.ok ? { ok: true, data: { accepted: true } } : { ok: false, error: { code: r.code, message: r.message } };
        },
      }),
      provisioningOps: () => ({ ...this.provisioning.ops(), ...this.localApi.ops(), ...this.talkback.ops(), ...this.ota.ops() }),
      otaInfo: () => this.ota.infoFields(),
      auditLines: () => this.localApi.auditLines(),
      network: { up: () => this.provisioning.network.up(), onUp: (l) => this.provisioning.network.onUp(l) },
    });
    this.provisioning = createProvisioning({
      config: deps.config,
      bus: this.bus,
      clock: this.clock,
      logger,
      hal: this.hal,
      lifecycle: this.lifecycle,
      identity: this.identity,
      personalData: this.personalData,
      cloud: this.cloud,
      video: this.video,
      agentVersion: agentVersion(),
    });
    this.alarm = createAlarmService({
      config: deps.config,
      bus: this.bus,
      clock: this.clock,
      logger,
      video: this.video,
      // Privacy mode: the analyzer is stopped outright, not just disarmed.
      analysis: { pause: () => this.motion.stop(), resume: () => this.motion.start() },
      shutterClosed: () => this.lifecycle.snapshot.state === 'privacy',
      spoolDir: layout.spoolDir,
      captureDir: layout.alarmCaptureDir,
      spoolKey: (opts) => this.personalData.spoolKey(opts),
      link: this.cloud.alarmLink(),
    });
    // The analyzer subscribes before the video starts and stops after it; the
    // alarm service after the analyzer (it may pause it for privacy) and
    // before the video (its pre-event ring sees the first frames).
    const talkbackLogger = logger.child({ svc: 'talkback' });
    this.talkback = new TalkbackService({
      config: deps.config,
      bus: this.bus,
      clock: this.clock,
      logger: talkbackLogger,
      audioOut: this.hal.audioOut,
      microphone: this.hal.microphone,
      amplifier: this.hal.amplifier,
      acquireOutput: () => this.audio.acquireForSession(),
      privacy: () => this.lifecycle.snapshot.state === 'privacy' || deps.config.current.privacy.mode,
      showActivity: (pattern) => indicator.showActivity(pattern),
      publishEvent: (type, data, priority) => this.cloud.alarmLink().publishEvent(type, data, priority),
      connectRelay: async (url, token) => {
        const t = deps.config.current.talkback.relay;
        let ca: Buffer | undefined;
        if (t.caFile) {
          try {
            ca = await readFile(t.caFile);
          } catch (err) {
            talkbackLogger.error({ err, file: t.caFile }, 'cannot read talkback.relay.caFile');
            return { ok: false, code: 'relay_tls_failed', message: 'the relay CA file is unreadable' };
          }
        }
        return connectRelay({ url, token, ca, connectTimeoutMs: t.connectTimeoutS * 1000, clock: this.clock, logger: talkbackLogger });
      },
      openMqttTransport: async () => {
        const link = this.cloud.link;
        if (!link) return { ok: false, code: 'mqtt_unavailable', message: 'the cloud link is off' };
        return openMqttTransport({ link, logger: talkbackLogger });
      },
      spawnTranscoder: (spec) => spawnAudioTranscoder(spec, { logger: talkbackLogger }),
    });
    this.localApi = new LocalApiService({
      config: deps.config,
      bus: this.bus,
      clock: this.clock,
      logger: logger.child({ svc: 'api' }),
      hal: this.hal,
      identity: this.identity,
      lifecycle: this.lifecycle,
      cloud: this.cloud,
      video: this.video,
      alarm: this.alarm,
      wifi: this.provisioning.wifi,
      ring: deps.logging.ring,
      secrets: deps.logging.secrets,
      agentVersion: agentVersion(),
      factoryReset: () => this.lifecycle.factoryReset(),
      codeLockout: () => this.provisioning.ap.codeLockout(),
      talkback: this.talkback,
    });
    this.updateLock.register('talkback', () => this.talkback.active() !== null);
    this.updateLock.register('technician', () => this.localApi.technicianConnected());
    const otaLogger = logger.child({ svc: 'ota' });
    let keyRing: ReturnType<typeof loadTrustedKeys> | null = null;
    this.ota = new OtaService({
      config: deps.config,
      clock: this.clock,
      logger: otaLogger,
      jobFile: layout.otaJob,
      defaultSpoolDir: layout.otaSpoolDir,
      device: async () => {
        const facts = await this.hal.facts.read();
        const check = this.identity.check;
        return { firmwareVersion: facts.firmwareVersion ?? 'unknown', model: check?.ok ? check.loaded.identity.model : 'unknown' };
      },
      bootId: bootIdReader({ mode: cfg.hal.mode, sysRoot: cfg.hal.sysRoot, simBootIdFile: cfg.hal.sim.bootIdFile }),
      // Read once: the keys are read-only in the firmware image.
      keys: () => (keyRing ??= loadTrustedKeys(cfg.ota.publicKeys, otaLogger)),
      lock: this.updateLock,
      reboot: (reason) => this.hal.power.reboot(reason),
      // What "the new firmware works" means here: the cloud link is up and, with a camera configured, frames arrive.
      health: () => {
        const failing: string[] = [];
        if (deps.config.current.cloud.enabled && this.cloud.link?.state !== 'online') failing.push('cloud_link');
        // The frame source already stamps every frame (on the same clock); no listener of our own.
        const lastFrameAtMs = this.video.stats()?.lastFrameAtMs ?? null;
        if (this.video.state !== 'off' && (lastFrameAtMs === null || this.clock.monotonic() - lastFrameAtMs > OTA_FRAME_FRESH_MS)) failing.push('video_frames');
        return { ok: failing.length === 0, failing };
      },
      publishEvent: (type, data, priority) => this.cloud.alarmLink().publishEvent(type, data, priority),
      onChange: () => void this.cloud.link?.publishInfo(),
    });
    // Provisioning after the video (its QR scanner reads the same input) and
    // the cloud (binding needs the link); the simulated radio rejoins before the cloud waits for it.
    this.#services = [
      halService,
      this.identity,
      this.personalData,
      indicator,
      this.lifecycle,
      this.motion,
      this.alarm,
      this.video,
      ...this.provisioning.services,
      // Before the local API and the cloud, which hand it sessions; stopped after them.
      this.talkback,
      // Before the cloud: its api.token op needs the token authority.
      this.localApi,
      this.cloud,
      // After the cloud: a job resumed after the reboot reports through it and checks the link's health.
      this.ota,
      this.provisioning.service,
      this.provisioning.ap,
      this.provisioning.lanBind,
    ];
    if (deps.watchdogIntervalMs) {
      this.#services.push(
        new Watchdog({
          notifier: deps.notifier,
          clock: this.clock,
          logger: logger.child({ svc: 'watchdog' }),
          intervalMs: deps.watchdogIntervalMs,
          maxLagMs: () => deps.config.current.watchdog.maxEventLoopLagMs,
          probe: eventLoopLagProbe(),
          services: () => this.#started,
        }),
      );
    }
  }

  /**
   * Unbind and factory reset: crypto-erase personal data and forget the
   * runtime configuration the user's account set; the identity stays.
   */
  async #erasePersonalData(): Promise<void> {
    await this.personalData.erase();
    await this.deps.config.resetRuntime();
    // Technician tokens die with the owner's data; the audit log is personal data too.
    await this.localApi.erase('unbind');
    // The network profile holds the owner's Wi-Fi password too.
    await this.provisioning.wifi.forget().catch((err: unknown) => this.deps.logging.logger.warn({ err }, 'could not forget the Wi-Fi network'));
  }

  get services(): readonly Service[] {
    return this.#services;
  }

  /** Start every service in order; if one fails, stop the ones already up and rethrow. */
  async start(): Promise<void> {
    for (const service of this.#services) {
      try {
        await service.start();
      } catch (err) {
        this.deps.logging.logger.error({ err, service: service.name }, 'service failed to start');
        await this.stop();
        throw err;
      }
      this.#started.push(service);
    }
  }

  async stop(): Promise<void> {
    const logger = this.deps.logging.logger;
    for (const service of this.#started.splice(0).reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
      });
      try {
        const result = await Promise.race([service.stop().then(() => 'stopped' as const), timeout]);
        if (result === 'timeout') logger.warn({ service: service.name }, 'service did not stop in time');
      } catch (err) {
        logger.warn({ err, service: service.name }, 'service failed to stop');
      } finally {
        clearTimeout(timer);
      }
    }
  }
}

/** The detector's configuration; the schema already validated every knob, so a failure here is a bug. */
export function motionConfigOf(cfg: AgentConfig): MotionConfig {
  const read = readMotionConfig(cfg.motion, cfg.device.timezone);
  if (!read.ok) throw new Error(`motion configuration passed the schema but not the detector: ${read.issues.map((i) => `${i.key}: ${i.message}`).join('; ')}`);
  return read.config;
}

export function halConfig(cfg: AgentConfig): HalConfig {
  const h = cfg.hal;
  return {
    ...h,
    button: { ...h.button, evdevLayout: h.button.evdevLayout === 'auto' ? defaultEvdevLayout() : h.button.evdevLayout },
  };
}
