/**
 * Motion alarms: on `motion.started` an alarm event goes out at once
 * (`event/alarm`, QoS 1 through the durable outbox), then — unless
 * `alarm.snapshots` is false — a snapshot is captured, processed (privacy
 * masks burned in, metadata stripped) and spooled on flash, and the
 * delivery worker sends it by `alarm.delivery`. The event never waits for
 * the picture: a phone notification within ~0.5 s, the image about a
 * second later.
 *
 * Privacy: `privacy.mode` or a closed shutter (device state `privacy`)
 * stops analysis altogether (the analyzer is paused, the pre-event ring is
 * not fed and is emptied) and no alarm or snapshot is produced;
 * `alarm.snapshots = false` keeps alarms but no image is captured, and
 * images still waiting in the spool are deleted.
 *
 * A per-minute cap (alarm-rate-limit.ts) sits on top of the detector's
 * cooldown; the on-demand `snapshot` op is not capped (the cloud asked).
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { EventBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { Service } from '../core/service.js';
import type { Logger } from '../log/logger.js';
import type { FrameFeed } from '../media/video-analyzer.js';
import type { AlarmLink } from './alarm-link.js';
import { alarmEventData, type AlarmDelivery, type AlarmKind } from './alarm-payloads.js';
import { AlarmRateLimit } from './alarm-rate-limit.js';
import { frameChangeScore } from './frame-change.js';
import type { PreEventRing } from './pre-event-ring.js';
import type { SnapshotCapture } from './snapshot-capture.js';
import type { SnapshotDelivery } from './snapshot-delivery.js';
import type { SnapshotProcessor } from './snapshot-processor.js';
import type { SnapshotSpool } from './snapshot-spool.js';
import type { UploadUrlRequests, UploadTarget } from './upload-url-requests.js';

export interface AlarmSettings {
  enabled: boolean;
  snapshots: boolean;
  delivery: AlarmDelivery;
  maxPerMinute: number;
  privacyMode: boolean;
}

export interface AlarmServiceDeps {
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  settings: () => AlarmSettings;
  /** The analysis video (frames for the pre-event ring). */
  frames: FrameFeed;
  /** The motion analyzer: paused in privacy mode so no frame is analysed at all. */
  analysis: { pause(): Promise<void>; resume(): Promise<void> };
  /** The privacy shutter is closed (device state `privacy`). */
  shutterClosed: () => boolean;
  ring: PreEventRing;
  capture: SnapshotCapture;
  processor: SnapshotProcessor;
  spool: SnapshotSpool;
  delivery: SnapshotDelivery;
  uploadUrls: UploadUrlRequests;
  link: AlarmLink;
}

/** What an alarm led to, for local observers (the demo saves the image). */
export interface AlarmSnapshotNotice {
  alarmId: string;
  jpeg: Buffer;
  thumbnail: Buffer;
  at: number;
}

export type AlarmOpResult = { ok: true; data: { alarmId: string; snapshot: 'pending' | 'off'; delivery: AlarmDelivery } } | { ok: false; code: string; message: string };

export class AlarmService implements Service {
  readonly name = 'alarm';
  readonly #events = new EventEmitter();
  readonly #limit: AlarmRateLimit;
  #off: Array<() => void> = [];
  #privacy = false;
  #prevFrame: Uint8Array | null = null;
  #raised = 0;
  #started = false;

  constructor(private readonly deps: AlarmServiceDeps) {
    this.#limit = new AlarmRateLimit(() => deps.settings().maxPerMinute);
  }

  on(name: 'snapshot', listener: (n: AlarmSnapshotNotice) => void): () => void {
    this.#events.on(name, listener);
    return () => this.#events.off(name, listener);
  }

  async start(): Promise<void> {
    const { bus, processor, spool, delivery, logger } = this.deps;
    await processor.start();
    const s = await spool.start();
    if (!s.ok) logger.error({ code: s.error.code }, 'snapshot spool unusable; alarms go out without images');
    this.#started = true;
    this.#off.push(
      this.deps.frames.on('frame', (f) => this.#onFrame(f)),
      bus.on('motion.started', (m) => void this.#raise('motion', m.at, m.t, m.score, m.zones)),
      bus.on('state.changed', () => void this.#applyPrivacy()),
      bus.on('config.changed', ({ changed }) => {
        if (changed.some((k) => k.startsWith('privacy.'))) void this.#applyPrivacy();
        if (changed.some((k) => k.startsWith('alarm.'))) void this.#applySnapshotSwitch();
      }),
    );
    await this.#applyPrivacy();
    await this.#applySnapshotSwitch();
    delivery.start();
  }

  async stop(): Promise<void> {
    for (const off of this.#off.splice(0)) off();
    this.deps.delivery.stop();
    this.deps.spool.stop();
    this.#started = false;
  }

  get privacy(): boolean {
    return this.#privacy;
  }

  stats(): { raised: number; suppressed: number; spool: ReturnType<SnapshotSpool['stats']>; delivery: ReturnType<SnapshotDelivery['stats']> } {
    return { raised: this.#raised, suppressed: this.#limit.suppressed, spool: this.deps.spool.stats(), delivery: this.deps.delivery.stats() };
  }

  /** The `snapshot` op: the same pipeline as a motion alarm, kind `manual`. */
  async requestSnapshot(): Promise<AlarmOpResult> {
    if (!this.#started) return { ok: false, code: 'not_ready', message: 'the alarm service is not running' };
    if (this.#privacy) return { ok: false, code: 'privacy_mode', message: 'privacy mode is on: no image is taken' };
    const now = this.deps.clock.now();
    return this.#raise('manual', now, this.deps.clock.monotonic(), 0, [], true);
  }

  /**
   * A picture for the technician's console (`GET /v1/snapshot.jpg`): the
   * alarm pipeline (capture, masks, overlay, no metadata) without raising an
   * alarm or keeping anything. Refused in privacy mode.
   */
  async liveSnapshot(): Promise<{ ok: true; jpeg: Buffer } | { ok: false; code: string; message: string }> {
    if (!this.#started) return { ok: false, code: 'not_ready', message: 'the alarm service is not running' };
    if (this.#privacy) return { ok: false, code: 'privacy_mode', message: 'privacy mode is on: no image is taken' };
    const at = this.deps.clock.now();
    const captured = await this.deps.capture.capture({ at, atMono: this.deps.clock.monotonic() });
    if (!captured.ok) return { ok: false, code: captured.error.code, message: captured.error.message };
    const processed = await this.deps.processor.process(captured.value.frame, at);
    if (!processed.ok) return { ok: false, code: processed.error.code, message: processed.error.message };
    return { ok: true, jpeg: processed.value.jpeg };
  }

  /** The `snapshot.upload-url` op: the cloud's answer to an upload-url request. */
  answerUploadUrl(a: { alarmId: string; requestId: string } & UploadTarget): { ok: true } | { ok: false; code: string; message: string } {
    const problem = this.deps.uploadUrls.answer(a);
    return problem ? { ok: false, code: problem, message: 'no upload is waiting for this request id' } : { ok: true };
  }

  #onFrame(f: { data: Uint8Array; width: number; height: number }): void {
    if (this.#privacy || this.deps.settings().snapshots === false) {
      this.#prevFrame = null;
      return;
    }
    const score = frameChangeScore(this.#prevFrame, f.data, f.width, f.height);
    this.#prevFrame = new Uint8Array(f.data);
    this.deps.ring.push({ data: f.data, width: f.width, height: f.height, score, atMono: this.deps.clock.monotonic() });
  }

  async #raise(kind: AlarmKind, at: number, atMono: number, score: number, zones: string[], manual = false): Promise<AlarmOpResult> {
    const { logger, link } = this.deps;
    const s = this.deps.settings();
    if (this.#privacy) return { ok: false, code: 'privacy_mode', message: 'privacy mode is on' };
    if (!manual && !s.enabled) return { ok: false, code: 'alarm_disabled', message: 'alarm.enabled is false' };
    if (!manual && !this.#limit.take(this.deps.clock.now())) {
      logger.warn({ maxPerMinute: s.maxPerMinute, suppressed: this.#limit.suppressed }, 'alarm suppressed: per-minute cap reached');
      return { ok: false, code: 'rate_limited', message: 'alarm.maxPerMinute reached' };
    }
    const alarmId = randomBytes(16).toString('hex');
    const data = alarmEventData({ alarmId, kind, at, score, zones, snapshots: s.snapshots, delivery: s.delivery, snapshotTopic: (id) => link.snapshotTopic(id) });
    this.#raised++;
    const queued = await link.publishEvent('alarm', data, 'high');
    logger.info({ alarmId, kind, score: data.score, zones, snapshot: data.snapshot.state, queued: queued.ok }, 'alarm raised');
    if (!queued.ok) logger.warn({ alarmId, code: queued.code }, 'alarm event not queued');
    if (s.snapshots) void this.#snapshot(alarmId, at, atMono);
    return { ok: true, data: { alarmId, snapshot: s.snapshots ? 'pending' : 'off', delivery: s.delivery } };
  }

  async #snapshot(alarmId: string, at: number, atMono: number): Promise<void> {
    const { capture, processor, spool, logger } = this.deps;
    const captured = await capture.capture({ at, atMono });
    if (!captured.ok) {
      logger.warn({ alarmId, code: captured.error.code, attempts: captured.error.attempts }, 'alarm snapshot: no frame');
      await this.#failed(alarmId, captured.error.code);
      return;
    }
    const processed = await processor.process(captured.value.frame, at);
    if (!processed.ok) {
      logger.warn({ alarmId, code: processed.error.code }, 'alarm snapshot: processing failed');
      await this.#failed(alarmId, processed.error.code);
      return;
    }
    // The switch may have flipped while we captured: nothing may leave then.
    if (!this.deps.settings().snapshots || this.#privacy) {
      logger.info({ alarmId }, 'alarm snapshot discarded: snapshots were switched off meanwhile');
      return;
    }
    const p = processed.value;
    const added = await spool.add({
      id: alarmId,
      createdAt: at,
      source: captured.value.source,
      lowRes: p.lowRes,
      jpeg: p.jpeg,
      thumbnail: p.thumbnail,
      size: p.size,
      thumbnailSize: p.thumbnailSize,
    });
    if (!added.ok) {
      logger.warn({ alarmId, code: added.error.code }, 'alarm snapshot not spooled');
      await this.#failed(alarmId, added.error.code);
      return;
    }
    logger.info({ alarmId, source: captured.value.source, captureMs: Math.round(captured.value.ms), bytes: p.jpeg.byteLength, width: p.size.width, height: p.size.height }, 'alarm snapshot spooled');
    this.#events.emit('snapshot', { alarmId, jpeg: p.jpeg, thumbnail: p.thumbnail, at } satisfies AlarmSnapshotNotice);
    this.deps.delivery.kick();
  }

  async #failed(alarmId: string, code: string): Promise<void> {
    const delivery = this.deps.settings().delivery;
    await this.deps.link.publishEvent('snapshot', { alarmId, state: 'failed', delivery, attempts: 0, code }, 'low');
  }

  async #applyPrivacy(): Promise<void> {
    const on = this.deps.settings().privacyMode || this.deps.shutterClosed();
    if (on === this.#privacy) return;
    this.#privacy = on;
    if (on) {
      this.deps.ring.clear();
      this.#prevFrame = null;
      await this.deps.analysis.pause();
      this.deps.logger.info('privacy mode on: video analysis stopped, no alarms or snapshots');
    } else {
      await this.deps.analysis.resume();
      this.deps.logger.info('privacy mode off: video analysis resumed');
    }
  }

  async #applySnapshotSwitch(): Promise<void> {
    if (this.deps.settings().snapshots) {
      this.deps.delivery.kick();
      return;
    }
    this.deps.ring.clear();
    const n = await this.deps.spool.removeAll();
    if (n > 0) this.deps.logger.info({ deleted: n }, 'alarm snapshots switched off: undelivered images deleted');
  }
}
