/**
 * The local API's actions (server/api-actions.ts) implemented with the
 * agent's services: what `/v1/*` reads and changes. Kept apart from the
 * HTTP layer so the routes stay thin and this stays testable with a real
 * agent. Every change goes through the same path the cloud uses (config
 * changes through LiveConfig, resets through the life cycle).
 */
import { statfs } from 'node:fs/promises';
import type { EventBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { LiveConfig } from '../config/live-config.js';
import { getPath } from '../config/paths.js';
import type { AgentConfig } from '../config/schema.js';
import { maskConfig } from '../config/validate.js';
import type { CloudService } from '../cloud/cloud-service.js';
import type { AgentHal } from '../hal/index.js';
import type { Hal } from '../hal/types.js';
import { isHalError } from '../hal/hal-error.js';
import type { IdentityService } from '../identity/identity-service.js';
import type { DeviceLifecycle } from '../lifecycle/device-lifecycle.js';
import type { Logger } from '../log/logger.js';
import type { LogRing } from '../log/log-ring.js';
import type { VideoService } from '../media/video-service.js';
import type { AlarmService } from '../alarm/alarm-service.js';
import type { WifiManager } from '../network/wifi-manager.js';
import { ipv4AddressOf } from '../network/ipv4-address.js';
import { LED_FOR_STATE } from '../lifecycle/indicator.js';
import { runSelfTest } from '../selftest/runner.js';
import { selfTestChecks } from '../selftest/self-test-checks.js';
import { agentBuildTimeMs } from '../selftest/build-time.js';
import type { AuditLog } from './audit/audit-log.js';
import { OFFLINE_LOGIN_STATUS, type OfflineLogin } from './auth/offline-login.js';
import { ApiActionError, type ApiActions, type HealthCheck, type HealthReport, type HealthStatus } from './server/api-actions.js';

export interface AgentApiDeps {
  /** Offline technician login (label code + button press); null without a factory identity. */
  offlineLogin?: () => OfflineLogin | null;
  config: LiveConfig;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  hal: Hal;
  identity: IdentityService;
  lifecycle: DeviceLifecycle;
  cloud: CloudService;
  video: VideoService;
  alarm: AlarmService;
  wifi: WifiManager;
  ring: LogRing;
  audit: AuditLog;
  agentVersion: string;
  /** Erase personal data and go back to factory-new (the life cycle's factory reset). */
  factoryReset: () => Promise<void>;
}

/**
 * Keys that decide whom the camera trusts and which programs it runs. A
 * technician token can be had offline (the label code and a button press),
 * so these stay with the firmware image, the factory partition and the
 * cloud: a local-API change naming one is refused whole (docs/security.md,
 * gap G15). Otherwise a technician could point the cloud link at another
 * broker (and mint admin tokens through it) or choose the program the next
 * update runs.
 */
export const LOCKED_FROM_LOCAL_API: readonly string[] = [
  'cloud.url',
  'cloud.ca',
  'cloud.serverName',
  'cloud.topicPrefix',
  'ota.publicKeys',
  'ota.caFile',
  'ota.spoolDir',
  'ota.installer.command',
  'ota.installer.markGoodCommand',
  'alarm.https.ca',
  'talkback.relay.caFile',
];

/** The locked keys a nested patch sets, however it spells them (`{"cloud.url"}` or `{"cloud": {"url"}}`). */
export function lockedKeysIn(patch: Record<string, unknown>): string[] {
  return LOCKED_FROM_LOCAL_API.filter((path) => getPath(patch, path) !== undefined);
}

/**
 * Dotted keys (`{"motion.sensitivity": 20}`) → the nested patch LiveConfig
 * takes. Only own properties are created or followed: a key like
 * `constructor.prototype.x` (the body schema's key pattern allows it) must
 * land in the patch, where validation refuses it as unknown, and never walk
 * into Object.prototype.
 */
export function nestPatch(changes: Record<string, unknown>): { patch: Record<string, unknown>; conflicts: string[] } {
  const patch: Record<string, unknown> = {};
  const conflicts: string[] = [];
  const put = (node: Record<string, unknown>, key: string, value: unknown): void => {
    Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
  };
  for (const [path, value] of Object.entries(changes)) {
    const parts = path.split('.');
    let node: Record<string, unknown> | null = patch;
    for (const part of parts.slice(0, -1)) {
      if (!Object.prototype.hasOwnProperty.call(node, part)) put(node, part, {});
      const next: unknown = node[part];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        conflicts.push(path);
        node = null;
        break;
      }
      node = next as Record<string, unknown>;
    }
    if (node) put(node, parts[parts.length - 1]!, value);
  }
  return { patch, conflicts };
}

/** A factory reset from the API needs a short press of the camera's button within this window. */
export const FACTORY_RESET_PRESS_WINDOW_MS = 60_000;
/** Memory above this share of the unit's MemoryMax (160 MB) is reported as degraded. */
const RSS_DEGRADED_BYTES = 140 * 1024 * 1024;

export function agentApiActions(deps: AgentApiDeps): ApiActions & { dispose(): void } {
  const { config, clock, hal } = deps;
  let lastPressAt = -Infinity;
  const offPress = deps.bus.on('button.gesture', ({ gesture }) => {
    if (gesture === 'short') lastPressAt = clock.monotonic();
  });

  const health = async (): Promise<HealthReport> => {
    const linkState = deps.cloud.link?.state ?? 'off';
    const cloudLink: HealthCheck =
      linkState === 'online' ? { status: 'ok' } : linkState === 'off' ? { status: 'unknown', code: 'cloud_off' } : { status: 'degraded', code: 'broker_unreachable' };
    const vs = deps.video.state;
    const video: HealthCheck = vs === 'streaming' ? { status: 'ok' } : vs === 'off' ? { status: 'unknown', code: 'no_video_input' } : { status: 'degraded', code: `video_${vs}` };
    let storage: HealthCheck = { status: 'unknown', code: 'statfs_failed' };
    const fs = await statfs(config.current.data.dir).catch(() => null);
    if (fs) {
      const free = fs.bavail * fs.bsize;
      storage = free < 5 * 1024 * 1024 ? { status: 'failed', code: 'storage_full', detail: `${Math.round(free / 1024)} KiB free` } : { status: 'ok', detail: `${Math.round(free / 1048576)} MiB free` };
    }
    const clockOk = clock.now() >= agentBuildTimeMs();
    const rss = process.memoryUsage().rss;
    const checks = {
      cloudLink,
      video,
      storage,
      clock: clockOk ? { status: 'ok' as const } : { status: 'failed' as const, code: 'clock_before_build' },
      memory: rss > RSS_DEGRADED_BYTES ? { status: 'degraded' as const, code: 'memory_high', detail: `${Math.round(rss / 1048576)} MB` } : { status: 'ok' as const, detail: `${Math.round(rss / 1048576)} MB` },
    };
    const order: HealthStatus[] = ['ok', 'unknown', 'degraded', 'failed'];
    const status = Object.values(checks).reduce<HealthStatus>((w, c) => (order.indexOf(c.status) > order.indexOf(w) ? c.status : w), 'ok');
    return { status, checks, uptimeS: Math.round(process.uptime()) };
  };

  return {
    dispose: () => offPress(),
    health,
    device: async () => {
      const loaded = deps.identity.check?.ok ? deps.identity.check.loaded.identity : null;
      const facts = await hal.facts.read();
      const current = await deps.wifi.current().catch(() => null);
      const iface = current?.ifname ?? config.current.hal.facts.netInterface;
      const ip = ipv4AddressOf(iface);
      return {
        identity: { model: loaded?.model ?? 'unknown', serial: loaded?.serial ?? facts.serial ?? 'unknown', hwRevision: loaded?.hardwareRevision ?? 'unknown', mac: loaded?.mac ?? facts.mac ?? 'unknown' },
        versions: { agent: deps.agentVersion, firmware: facts.firmwareVersion ?? 'unknown', node: process.version },
        network: { ssid: current?.ssid ?? null, ip, mac: loaded?.mac ?? facts.mac ?? 'unknown', signal: null, gateway: current?.gateway ?? null },
        lifecycle: deps.lifecycle.snapshot.state,
      };
    },
    config: async () => maskConfig(config.current) as unknown as Record<string, unknown>,
    patchConfig: async (changes) => {
      const { patch, conflicts } = nestPatch(changes);
      if (conflicts.length) {
        return { applied: [], restartRequired: [], rejected: conflicts.map((field) => ({ field, code: 'invalid_value', message: 'a key inside a value that is not an object' })) };
      }
      const locked = lockedKeysIn(patch);
      if (locked.length) {
        const message = 'set by the firmware image, the factory partition or the cloud, never from the local API';
        return { applied: [], restartRequired: [], rejected: locked.map((field) => ({ field, code: 'not_changeable', message })) };
      }
      const r = await config.change(patch, 'api');
      return {
        applied: r.applied,
        restartRequired: r.restartRequired,
        rejected: r.rejected.map((f) => ({ field: f.path, code: f.code, message: f.rule })),
      };
    },
    wifiScan: async () => ({ ageS: 0, aps: await deps.wifi.scan() }),
    setWifi: async (creds) => {
      // Answer first: joining may take the camera off the network the technician is on.
      clock.setTimeout(() => {
        void deps.wifi.join(creds).then((r) => deps.logger.info({ ok: r.ok, ...(r.ok ? {} : { code: r.reason }) }, 'Wi-Fi changed from the local API'));
      }, 500);
    },
    snapshot: async () => {
      const r = await deps.alarm.liveSnapshot();
      if (!r.ok) throw new ApiActionError(r.code, r.message, r.code === 'privacy_mode' ? 409 : 503);
      return r.jpeg;
    },
    motionZones: async () => structuredClone(config.current.motion.zones) as never,
    setMotionZones: async (zones) => {
      const r = await config.change({ motion: { zones } }, 'api');
      if (r.rejected.length) throw new ApiActionError('invalid_zones', r.rejected.map((f) => f.rule).join('; '), 400);
    },
    identify: async (seconds) => {
      await hal.led.show('identify');
      void hal.tone.playTone(1760, 200, 16_000).catch(() => undefined);
      // Back to what the device state shows, as the indicator would.
      clock.setTimeout(() => void hal.led.show(LED_FOR_STATE[deps.lifecycle.snapshot.state]), seconds * 1000);
    },
    logs: async ({ lines }) => deps.ring.lines().slice(-lines),
    followLogs: (onLine) => deps.ring.onLine(onLine),
    subscribeEvents: (onEvent) => {
      const offs = [
        deps.bus.on('state.changed', (e) => onEvent({ type: 'state', data: { from: e.from, to: e.to, reason: e.reason, at: e.at } })),
        deps.bus.on('motion.started', (e) => onEvent({ type: 'motion', data: { state: 'start', at: e.at, score: e.score, zones: e.zones } })),
        deps.bus.on('motion.ended', (e) => onEvent({ type: 'motion', data: { state: 'end', at: e.at, score: e.score, zones: e.zones, durationMs: e.durationMs } })),
      ];
      const offAlarm = deps.alarm.on('snapshot', (n) => onEvent({ type: 'alarm', data: { alarmId: n.alarmId, at: n.at } }));
      return () => {
        for (const off of offs) off();
        offAlarm();
      };
    },
    reboot: async () => {
      await deps.audit.flush().catch(() => undefined);
      clock.setTimeout(() => void hal.power.reboot('local API').catch((err: unknown) => deps.logger.error({ err }, 'reboot failed')), 1000);
      return { delayMs: 1000 };
    },
    resetProvisioning: async () => {
      clock.setTimeout(() => void deps.lifecycle.dispatch({ type: 'provisioning-started', reason: 'api' }), 500);
      return { delayMs: 500 };
    },
    factoryReset: async () => {
      if (clock.monotonic() - lastPressAt > FACTORY_RESET_PRESS_WINDOW_MS) {
        throw new ApiActionError('button_required', 'press the button on the camera briefly, then retry within a minute', 409);
      }
      lastPressAt = -Infinity;
      clock.setTimeout(() => void deps.factoryReset().catch((err: unknown) => deps.logger.error({ err }, 'factory reset failed')), 500);
      return { delayMs: 500 };
    },
    selftest: async () => {
      const agentHal = hal as AgentHal;
      const checks = selfTestChecks({ config: config.current as AgentConfig, hal: agentHal, clock, logger: deps.logger, scanner: deps.wifi, buildTimeMs: agentBuildTimeMs() }).filter((c) =>
        ['wifi-scan', 'clock', 'identity'].includes(c.id),
      );
      const report = await runSelfTest(checks, { clock, logger: deps.logger });
      return { ok: report.verdict === 'pass', checks: report.checks.map((c) => ({ name: c.id, ok: c.pass, ...(!c.pass && c.code ? { code: c.code } : {}) })) };
    },
    testTone: async ({ frequencyHz, durationMs }) => {
      try {
        await hal.tone.playTone(frequencyHz, durationMs, 16_000);
      } catch (err) {
        // The speaker is one: a talkback session holds it (hal/shared-audio-output.ts).
        if (isHalError(err, 'audio_busy')) throw new ApiActionError('audio_busy', 'a talkback session is using the speaker', 409);
        if (isHalError(err, 'audio_device_failed')) throw new ApiActionError('audio_device_failed', 'the speaker could not play the tone', 503);
        throw err;
      }
    },
    audit: async ({ limit }) => (await deps.audit.list({ limit })).reverse(),
    login: async (req, from) => {
      const login = deps.offlineLogin?.();
      if (!login) throw new ApiActionError('not_available', 'offline sign-in needs the factory identity', 503);
      const r = await login.login({ code: req.code, sourceAddress: from, ...(req.subject ? { subject: req.subject } : {}) });
      if (!r.ok) throw new ApiActionError(r.code, 'sign-in refused', OFFLINE_LOGIN_STATUS[r.code], r.retryAfterMs);
      return { token: r.token, tokenId: r.tokenId, role: r.role, expiresAt: r.exp };
    },
  };
}
