/**
 * Drains the snapshot spool to the cloud, one entry at a time, while the
 * link is up: `mqtt` (binary on the snapshot topic, chunked when large) or
 * `https` (presigned URL from the cloud, then PUT). A delivered entry is
 * deleted; a failed one is retried with backoff (spool-backoff.ts), and its
 * state is reported on `event/snapshot` so the cloud can tell "late" from
 * "lost". Runs again on every reconnect and after a restart (the spool is on
 * flash). Delivery is at least once; the cloud de-duplicates by alarm id.
 */
import { readFile } from 'node:fs/promises';
import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import type { AlarmLink } from './alarm-link.js';
import type { AlarmDelivery, SnapshotStatusData, UploadUrlRequestData } from './alarm-payloads.js';
import { putImage } from './https-upload.js';
import { snapshotMessages } from './snapshot-chunks.js';
import type { SnapshotSpool, SpoolItem } from './snapshot-spool.js';
import { spoolRetryDelayMs } from './spool-backoff.js';
import type { UploadUrlRequests } from './upload-url-requests.js';

export interface SnapshotDeliveryConfig {
  delivery: AlarmDelivery;
  enabled: boolean;
  mqttMaxPayloadBytes: number;
  urlTimeoutMs: number;
  uploadTimeoutMs: number;
  caFile: string;
  retry: { minMs: number; maxMs: number };
}

export interface SnapshotDeliveryDeps {
  spool: SnapshotSpool;
  link: AlarmLink;
  uploadUrls: UploadUrlRequests;
  config: () => SnapshotDeliveryConfig;
  clock: Clock;
  logger: Logger;
  random?: () => number;
}

type Outcome = { ok: true } | { ok: false; code: string; message: string; linkDown?: boolean };

export interface DeliveryStats {
  delivered: number;
  failures: number;
  lastError: string | null;
}

export class SnapshotDelivery {
  #running = false;
  #again = false;
  #stopped = true;
  #timer: Timer | null = null;
  #off: (() => void) | null = null;
  #ca: Buffer | undefined | null = null;
  readonly #stats: DeliveryStats = { delivered: 0, failures: 0, lastError: null };

  constructor(private readonly deps: SnapshotDeliveryDeps) {}

  start(): void {
    this.#stopped = false;
    this.#off = this.deps.link.onOnline(() => this.kick());
    this.kick();
  }

  stop(): void {
    this.#stopped = true;
    this.#off?.();
    this.#off = null;
    this.#timer?.cancel();
    this.#timer = null;
    this.deps.uploadUrls.cancelAll();
  }

  stats(): DeliveryStats {
    return { ...this.#stats };
  }

  /** Something changed (new entry, reconnect, config): drain what is due. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    void this.#drain().finally(() => {
      this.#running = false;
      if (this.#again) {
        this.#again = false;
        this.kick();
      }
    });
  }

  async #drain(): Promise<void> {
    const { spool, link, clock, logger } = this.deps;
    for (;;) {
      const cfg = this.deps.config();
      if (this.#stopped || !cfg.enabled || !link.online()) return;
      const next = await spool.takeNextDue(cfg.retry.maxMs);
      if (!next.ok) {
        logger.warn({ code: next.error.code }, 'snapshot spool unreadable');
        return;
      }
      const item = next.value;
      if (item === null) {
        this.#scheduleNextDue(cfg.retry.maxMs);
        return;
      }
      const t0 = clock.monotonic();
      const out = await this.#deliver(item, cfg).catch((err: unknown): Outcome => ({ ok: false, code: 'delivery_failed', message: String(err) }));
      const id = item.meta.id;
      if (out.ok) {
        this.#stats.delivered++;
        logger.info({ alarmId: id, delivery: cfg.delivery, bytes: item.jpeg.byteLength, attempts: item.meta.attempts + 1, ms: Math.round(clock.monotonic() - t0) }, 'snapshot delivered');
        // Status on flash first, then the entry goes: killed in between, the image is sent and reported
        // once more (at least once). The other order lost the final status with the entry (SIGKILL suite).
        await this.#status({ alarmId: id, state: 'delivered', delivery: cfg.delivery, attempts: item.meta.attempts + 1, bytes: item.jpeg.byteLength, width: item.meta.image.width, height: item.meta.image.height, lowRes: item.meta.lowRes, source: item.meta.source });
        await spool.markDelivered(id);
        continue;
      }
      this.#stats.failures++;
      this.#stats.lastError = out.code;
      if (out.linkDown || !link.online()) {
        // Not the endpoint's fault: try again as soon as the link is back, without a backoff step.
        await spool.markFailed(id, clock.now(), out.code);
        logger.info({ alarmId: id, code: out.code }, 'snapshot delivery interrupted: link down; waiting for reconnect');
        return;
      }
      const attempts = item.meta.attempts + 1;
      const delay = spoolRetryDelayMs(attempts, cfg.retry, this.deps.random ?? Math.random);
      await spool.markFailed(id, clock.now() + delay, out.code);
      logger.warn({ alarmId: id, code: out.code, reason: out.message, attempts, retryInMs: delay }, 'snapshot delivery failed; will retry');
      await this.#status({ alarmId: id, state: 'retrying', delivery: cfg.delivery, attempts, retryInMs: delay, code: out.code });
    }
  }

  #scheduleNextDue(maxRetryDelayMs: number): void {
    this.#timer?.cancel();
    this.#timer = null;
    const due = this.deps.spool.nextDueAt(maxRetryDelayMs);
    if (due === null) return;
    this.#timer = this.deps.clock.setTimeout(() => this.kick(), Math.max(0, due - this.deps.clock.now()) + 5);
  }

  async #deliver(item: SpoolItem, cfg: SnapshotDeliveryConfig): Promise<Outcome> {
    return cfg.delivery === 'mqtt' ? this.#viaMqtt(item, cfg) : this.#viaHttps(item, cfg);
  }

  async #viaMqtt(item: SpoolItem, cfg: SnapshotDeliveryConfig): Promise<Outcome> {
    const { link } = this.deps;
    try {
      for (const msg of snapshotMessages(item.jpeg, cfg.mqttMaxPayloadBytes)) await link.publishSnapshot(item.meta.id, 'image', msg);
      await link.publishSnapshot(item.meta.id, 'thumb', item.thumbnail);
      return { ok: true };
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      return { ok: false, code: typeof code === 'string' ? code : 'delivery_link_error', message: (err as Error).message, linkDown: !link.online() };
    }
  }

  async #viaHttps(item: SpoolItem, cfg: SnapshotDeliveryConfig): Promise<Outcome> {
    const { link, uploadUrls } = this.deps;
    const id = item.meta.id;
    const target = await uploadUrls.request(
      id,
      async (requestId) => {
        const data: UploadUrlRequestData = {
          alarmId: id,
          requestId,
          contentType: 'image/jpeg',
          image: { bytes: item.meta.image.bytes, sha256: item.meta.image.sha256 },
          thumbnail: { bytes: item.meta.thumbnail.bytes, sha256: item.meta.thumbnail.sha256 },
        };
        return (await link.publishEvent('upload-url', data, 'high')).ok;
      },
      cfg.urlTimeoutMs,
    );
    if (!target.ok) return { ok: false, code: target.code, message: 'the cloud gave no upload URL in time', linkDown: !link.online() };
    const ca = await this.#caOf(cfg.caFile);
    const opts = { timeoutMs: cfg.uploadTimeoutMs, ...(ca ? { ca } : {}), ...(target.target.headers ? { headers: target.target.headers } : {}) };
    const image = await putImage(target.target.url, item.jpeg, opts);
    if (!image.ok) return { ok: false, code: image.code, message: image.message };
    if (target.target.thumbnailUrl) {
      const thumb = await putImage(target.target.thumbnailUrl, item.thumbnail, opts);
      if (!thumb.ok) return { ok: false, code: thumb.code, message: `thumbnail: ${thumb.message}` };
    }
    return { ok: true };
  }

  async #caOf(file: string): Promise<Buffer | undefined> {
    if (!file) return undefined;
    if (this.#ca === null) this.#ca = await readFile(file).catch(() => undefined);
    return this.#ca ?? undefined;
  }

  async #status(data: SnapshotStatusData): Promise<void> {
    const r = await this.deps.link.publishEvent('snapshot', data, data.state === 'delivered' ? 'high' : 'low');
    if (!r.ok) this.deps.logger.warn({ alarmId: data.alarmId, code: r.code }, 'snapshot status event not queued');
  }
}
