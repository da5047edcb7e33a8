/**
 * Builds the alarm service and its parts (capture, processor, spool,
 * delivery) from the agent's configuration, so the composition root only
 * says where the alarm service sits among the others. Every knob is read
 * through `config()` at use time: a change from the cloud or the technician
 * API applies to the next alarm without a restart.
 */
import type { EventBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { LiveConfig } from '../config/live-config.js';
import type { AgentConfig } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { VideoService } from '../media/video-service.js';
import type { AlarmLink } from './alarm-link.js';
import { AlarmService, type AlarmSettings } from './alarm-service.js';
import { DigestHttpClient } from './digest-http-client.js';
import { createFfmpegGrab } from './ffmpeg-grab.js';
import { OnvifSnapshotSource } from './onvif-snapshot-source.js';
import { PendingCaptures } from './pending-captures.js';
import { PreEventRing } from './pre-event-ring.js';
import { SnapshotCapture } from './snapshot-capture.js';
import { SNAPSHOT_PROCESSOR_DEFAULTS, SnapshotProcessor, type SnapshotProcessorConfig } from './snapshot-processor.js';
import { DEFAULT_SPOOL_LIMITS, SnapshotSpool, type SpoolKeySource } from './snapshot-spool.js';
import { SnapshotDelivery, type SnapshotDeliveryConfig } from './snapshot-delivery.js';
import { UploadUrlRequests } from './upload-url-requests.js';

export interface AlarmSetupDeps {
  config: LiveConfig;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  video: VideoService;
  analysis: { pause(): Promise<void>; resume(): Promise<void> };
  shutterClosed: () => boolean;
  spoolDir: string;
  /** `DataLayout.alarmCaptureDir`: "capture pending" markers (pending-captures.ts). */
  captureDir: string;
  /** Seals spooled snapshots (personal data at rest); see SnapshotSpool. */
  spoolKey: SpoolKeySource;
  link: AlarmLink;
}

export function alarmSettings(cfg: AgentConfig): AlarmSettings {
  return { enabled: cfg.alarm.enabled, snapshots: cfg.alarm.snapshots, delivery: cfg.alarm.delivery, maxPerMinute: cfg.alarm.maxPerMinute, privacyMode: cfg.privacy.mode };
}

export function processorConfig(cfg: AgentConfig): SnapshotProcessorConfig {
  const s = cfg.alarm.snapshot;
  return {
    ...SNAPSHOT_PROCESSOR_DEFAULTS,
    width: s.width,
    quality: s.quality,
    thumbnailWidth: s.thumbnailWidth,
    thumbnailQuality: s.thumbnailQuality,
    maxUpscale: s.maxUpscale,
    masks: cfg.privacy.masks,
    overlay: { enabled: s.overlay.enabled, position: s.overlay.position, deviceName: s.overlay.deviceName, timeZone: cfg.device.timezone },
  };
}

export function deliveryConfig(cfg: AgentConfig): SnapshotDeliveryConfig {
  const a = cfg.alarm;
  return {
    delivery: a.delivery,
    enabled: a.snapshots,
    mqttMaxPayloadBytes: a.mqtt.maxPayloadBytes,
    urlTimeoutMs: a.https.urlTimeoutMs,
    uploadTimeoutMs: a.https.uploadTimeoutMs,
    caFile: a.https.ca,
    retry: { minMs: a.retry.minMs, maxMs: Math.max(a.retry.minMs, a.retry.maxMs) },
  };
}

/** The configured input when it is a live stream URL (rtsp, http…); null for files, lavfi or none. */
export function liveGrabUrl(input: string): string | null {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : null;
}

export function createAlarmService(d: AlarmSetupDeps): AlarmService {
  const cfg = (): AgentConfig => d.config.current;
  const log = (svc: string): Logger => d.logger.child({ svc });
  const ring = new PreEventRing(cfg().alarm.snapshot.preEventFrames);
  const onvif = cfg().video.onvif;
  // The streamer's own JPEG first (fast, full resolution); only when ONVIF is in use.
  const snapshotClient = new DigestHttpClient({ credentials: { username: onvif.user, password: onvif.password } });
  const snapshotSource = new OnvifSnapshotSource({ client: snapshotClient, uri: () => d.video.camera?.snapshotUri() ?? '' });
  const grab = createFfmpegGrab();
  const capture = new SnapshotCapture({
    clock: d.clock,
    logger: log('snapshot'),
    config: () => {
      const s = cfg().alarm.snapshot;
      return { onvifTimeoutMs: s.onvifTimeoutMs, grabTimeoutMs: s.grabTimeoutMs, totalTimeoutMs: s.totalTimeoutMs, ringLookbackMs: 2000 };
    },
    snapshot: { fetch: (at, ms) => snapshotSource.fetch(at, ms), available: () => Boolean(d.video.camera?.snapshotUri()) },
    // A live `video.input` URL (its full resolution), else the streamer's main
    // stream. A file or lavfi input is not live: opening it again starts it
    // from the beginning, not at the moment of the alarm, so those fall back to
    // the pre-event ring's frame of the motion itself.
    grab: { grabFrame: grab, url: () => liveGrabUrl(cfg().video.input) ?? d.video.camera?.streamUri('main') ?? '' },
    ring,
  });
  const processor = new SnapshotProcessor({ config: () => processorConfig(cfg()), logger: log('snapshot') });
  const spool = new SnapshotSpool({
    dir: d.spoolDir,
    key: d.spoolKey,
    clock: d.clock,
    logger: log('spool'),
    limits: () => {
      const s = cfg().alarm.spool;
      return { ...DEFAULT_SPOOL_LIMITS, maxBytes: s.maxBytes, maxCount: s.maxCount, retentionMs: Math.round(s.retentionHours * 3_600_000) };
    },
  });
  const uploadUrls = new UploadUrlRequests(d.clock);
  const delivery = new SnapshotDelivery({ spool, link: d.link, uploadUrls, config: () => deliveryConfig(cfg()), clock: d.clock, logger: log('delivery') });
  return new AlarmService({
    bus: d.bus,
    clock: d.clock,
    logger: log('alarm'),
    settings: () => alarmSettings(cfg()),
    frames: d.video,
    analysis: d.analysis,
    shutterClosed: d.shutterClosed,
    ring,
    capture,
    processor,
    spool,
    delivery,
    uploadUrls,
    link: d.link,
    captures: new PendingCaptures({ dir: d.captureDir, logger: log('alarm') }),
  });
}
