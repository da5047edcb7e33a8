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
 *
 * Every alarm that promises an image (snapshot `pending`) ends in one final
 * `event/snapshot`: `delivered` from the delivery worker, or `failed` with a
 * code — also when the agent dies mid-capture, through a durable marker
 * written before the event (pending-captures.ts) and resolved at the next
 * start as `capture_interrupted`.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { EventBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { Service } from '../core/service.js';
import type { Logger } from '../log/logger.js';
import type { FrameFeed } from '../media/video-analyzer.js';
import type { PendingCaptures } from './pending-captures.js';
import type { AlarmLink } from './alarm-link.js';
import { alarmEventData, type AlarmDelivery, type AlarmKind, type SnapshotStatusData } from './alarm-payloads.js';
import { AlarmRateLimit } from './alarm-rate-limit.js';
import { frameChangeScore } from './frame-change.js';
import type { PreEventRing } from './pre-event-ring.js';
import type { SnapshotCapture } from './snapshot-capture.js';
import type { SnapshotDelivery } from './snapshot-delivery.js';
import type { SnapshotErrorCode } from './snapshot-error.js';
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
  /** Durable "capture pending" markers (pending-captures.ts). */
  captures: PendingCaptures;
}

/** What an alarm led to, for local observers (the demo saves the image). */
export interface AlarmSnapshotNotice {
  alarmId: string;
  jpeg: Buffer;
  thumbnail: Buffer;
  at: number;
}

/** Link answers that mean "no cloud link running": nothing reaches the cloud, so nothing is owed to it either. */
const NO_LINK = new Set(['cloud_off', 'outbox_closed']);

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
  /** Alarm ids whose capture the previous life did not finish and whose status is not queued yet. */
  readonly #interrupted: string[] = [];
  #reporting = false;

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
    // After the spool (its entries say which interrupted alarms did get their image) and before any new alarm.
    await this.#findInterruptedCaptures(s.ok);
    this.#started = true;
    this.#off.push(
      this.deps.link.onOnline(() => void this.#reportInterrupted()),
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
    await this.#reportInterrupted();
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
    // Monotonic: a rolling window on wall time would stay full for as long as
    // the wall clock was stepped back (NTP, RTC reset) and suppress every alarm.
    if (!manual && !this.#limit.take(this.deps.clock.monotonic())) {
      logger.warn({ maxPerMinute: s.maxPerMinute, suppressed: this.#limit.suppressed }, 'alarm suppressed: per-minute cap reached');
      return { ok: false, code: 'rate_limited', message: 'alarm.maxPerMinute reached' };
    }
    const alarmId = randomBytes(16).toString('hex');
    const data = alarmEventData({ alarmId, kind, at, score, zones, snapshots: s.snapshots, delivery: s.delivery, snapshotTopic: (id) => link.snapshotTopic(id) });
    this.#raised++;
    // Marker first, then the event: see pending-captures.ts for why this order.
    if (s.snapshots) await this.deps.captures.mark(alarmId, at);
    const queued = await link.publishEvent('alarm', data, 'high');
    logger.info({ alarmId, kind, score: data.score, zones, snapshot: data.snapshot.state, queued: queued.ok }, 'alarm raised');
    if (!queued.ok) logger.warn({ alarmId, code: queued.code }, 'alarm event not queued');
    // No cloud link (off, or not started yet): the cloud never hears of this alarm, so it waits for no image either.
    if (!queued.ok && NO_LINK.has(queued.code)) await this.deps.captures.clear(alarmId);
    // The outbox takes events now (perhaps offline): statuses still owed from the last life can be queued too.
    if (queued.ok) void this.#reportInterrupted();
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
      await this.deps.captures.clear(alarmId);
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
    // From here the spool entry stands for the alarm: the delivery worker reports it (delivered/retrying).
    await this.deps.captures.clear(alarmId);
    logger.info({ alarmId, source: captured.value.source, captureMs: Math.round(captured.value.ms), bytes: p.jpeg.byteLength, width: p.size.width, height: p.size.height }, 'alarm snapshot spooled');
    this.#events.emit('snapshot', { alarmId, jpeg: p.jpeg, thumbnail: p.thumbnail, at } satisfies AlarmSnapshotNotice);
    this.deps.delivery.kick();
  }

  async #failed(alarmId: string, code: string): Promise<void> {
    const delivery = this.deps.settings().delivery;
    await this.deps.link.publishEvent('snapshot', { alarmId, state: 'failed', delivery, attempts: 0, code }, 'low');
    // Cleared even when the outbox refused the status: a marker is for a capture a kill cut short, not a retry queue.
    await this.deps.captures.clear(alarmId);
  }

  /**
   * Markers the previous life left: its capture was cut short (SIGKILL, power
   * cut, a stop mid-capture). With a spool entry the image was made and the
   * delivery worker reports it; without one, `failed` / `capture_interrupted`
   * tells the cloud no image will come. Sent whatever `alarm.snapshots` and
   * privacy say now: the alarm promised an image when it was raised, and a
   * `failed` status carries no image field. An unusable spool cannot say
   * which images were made: the markers then wait for a start where it can.
   */
  async #findInterruptedCaptures(spoolUsable: boolean): Promise<void> {
    const { captures, spool, logger } = this.deps;
    let left: Awaited<ReturnType<PendingCaptures['open']>>;
    try {
      left = await captures.open();
    } catch (err) {
      logger.error({ code: (err as NodeJS.ErrnoException).code ?? 'EIO' }, 'capture markers unreadable; interrupted captures not reported');
      return;
    }
    if (left.length === 0 || !spoolUsable) return;
    const spooled = new Set(spool.ids());
    for (const { alarmId } of left) {
      if (spooled.has(alarmId)) await captures.clear(alarmId);
      else this.#interrupted.push(alarmId);
    }
  }

  /**
   * Queues the statuses of interrupted captures. The cloud service starts
   * after this one (agent.ts), so at our start the link usually answers
   * `cloud_off`: what is not queued yet is tried again on every connect and
   * after every alarm event the outbox took, and the marker stays on flash
   * until its status is in the outbox.
   */
  async #reportInterrupted(): Promise<void> {
    if (this.#reporting || this.#interrupted.length === 0) return;
    this.#reporting = true;
    const { captures, link, logger } = this.deps;
    let reported = 0;
    try {
      while (this.#interrupted.length > 0) {
        const alarmId = this.#interrupted[0]!;
        const code: SnapshotErrorCode = 'capture_interrupted';
        const data: SnapshotStatusData = { alarmId, state: 'failed', delivery: this.deps.settings().delivery, attempts: 0, code };
        const r = await link.publishEvent('snapshot', data, 'low');
        // outbox_io: not on flash but sent from memory (outbox.ts): not again in this life, yet the
        // marker stays so a restart before it left reports it once more (at least once).
        if (!r.ok && r.code !== 'outbox_io') {
          if (!NO_LINK.has(r.code)) logger.warn({ alarmId, code: r.code, left: this.#interrupted.length }, 'interrupted capture not reported yet; retried on the next connect');
          break;
        }
        this.#interrupted.shift();
        if (r.ok) await captures.clear(alarmId);
        reported++;
      }
    } finally {
      this.#reporting = false;
    }
    if (reported > 0) logger.info({ reported, left: this.#interrupted.length }, 'alarm captures cut short by the last stop reported as capture_interrupted');
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
