/**
 * Watches camera frames for a provisioning QR code held up to the lens
 * (provisioning.md §6.7: 2–5 decode attempts a second while provisioning)
 * and reports each new one once.
 *
 * Frame size, measured (scripts/bench/qr.ts: 450 generated phone-screen
 * scenes, each delivered at both sizes; payloads are a typical PRV1, QR
 * version 6, and a long one, version 10, both ECC M): scan at **1280×720**.
 *  - Codes ≥ 120 px wide (at 640×360 scale) with blur σ ≤ 1: zxing (with
 *    the second look at located-but-unread symbols, zxing-reader.ts) reads
 *    94.4 % of single frames at 1280×720 against 80.2 % at 640×360
 *    (zbarimg: 49 / 46 %). The misses at 1280×720 are mostly the long
 *    (version 10) payload at 120–160 px with σ 1 blur: 1.85 px per module
 *    at 640×360 scale and blur past zxing's ~0.45-module limit.
 *  - Why: a 101-character PRV1 is 49 modules wide with its quiet zone, so
 *    120 px at 640×360 is 2.4 px per module, at the edge of what zxing needs
 *    (arm-and-qr.md §4: ~2.5–3 px per module, blur σ under ~0.45 module).
 *    1280×720 reads sharp codes half as wide (80–100 px: 89–100 % against
 *    11–78 %), i.e. at about twice the distance.
 *  - Cost on x86: 4.1–4.7 ms per frame with a code (4.0–4.3 ms without)
 *    against 1.3–2.9 (0.8–0.9) ms at 640×360, under the 8 ms goal; a frame
 *    where a code is located but unreadable costs ~19 ms (the second look). Expect roughly
 *    10× on a camera SoC: ~40 ms a frame, ~15 % of one core at 4 decodes a
 *    second, only while provisioning; the wasm instance holds 21 MB of linear
 *    memory (RSS +3 MB at load, +13–17 MB once 720p frames went through it),
 *    so release it (media/qr/zxing-reader.ts releaseQrDecoder) afterwards.
 * The provisioning service runs a second frame source at that size while
 * provisioning, so the motion source keeps its small frames. Measured from a
 * code entering an RTSP stream to the `read` event: 518 ms median at 4 fps,
 * of which ~510 ms is stream and ffmpeg (about 320 ms at 10 fps).
 *
 * Rate: at most `ratePerSecond` decodes (default 4); a frame that arrives
 * while a decode runs, or sooner than the rate allows, is dropped, never
 * queued, so a slow decoder costs latency, not memory. The limit tolerates
 * half a period of jitter, so a source delivering exactly that rate is not
 * halved by its own timing noise (a GCRA with τ = T/2).
 *
 * Each distinct code is handled once per session: a phone held in front of
 * the lens for 10 s gives one `read`, one beep. What is remembered is a
 * digest of the text, never the text (it carries a Wi-Fi password and a
 * binding token), and nothing a code says is logged beyond the classifier's
 * error code and message, which by house rule carry no secrets.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Clock } from '../core/clock.js';
import type { Service } from '../core/service.js';
import type { Logger } from '../log/logger.js';
import { decodeQrLuma, prepareQrDecoder, QrDecodeError, type LumaImage } from '../media/qr/zxing-reader.js';
import type { QrReadResult } from './payload/qr-payload.js';
import type { ProvisioningPayload } from './provisioning-payload.js';

export type { QrReadResult } from './payload/qr-payload.js';

/** What the scanner needs of a frame: media/frame-source.ts's GrayFrame fits. */
export interface QrFrame extends LumaImage {
  seq: number;
  /** Clock.monotonic() when the frame was received. */
  ptsMs: number;
}

/** The one thing the scanner needs of a frame source (media/frame-source.ts FrameSource fits). */
export interface QrFrameSource {
  on(name: 'frame', listener: (frame: QrFrame) => void): () => void;
}

export interface QrDecoder {
  prepare(): Promise<void>;
  /** Texts of the valid QR codes in the frame; [] when there are none. */
  decode(frame: LumaImage): Promise<string[]>;
}

/** zxing-wasm with the live-frame settings (media/qr/zxing-reader.ts). */
export const zxingScanDecoder: QrDecoder = {
  prepare: prepareQrDecoder,
  decode: (frame) => decodeQrLuma(frame, 'scan'),
};

export interface QrScannerDeps {
  frames: QrFrameSource;
  /** payload/qr-payload.ts classifyQrText in production. */
  classify: (text: string) => QrReadResult;
  clock: Clock;
  logger: Logger;
  /** Called at once for a new provisioning code ('read') or a new invalid one ('rejected'): the beep/tone. */
  onBeep?: (what: 'read' | 'rejected') => void;
  /** Decode attempts per second, 0.2–10; default 4 (provisioning.md §6.7: 2–5). */
  ratePerSecond?: number;
  /** Default: zxingScanDecoder. */
  decoder?: QrDecoder;
}

export interface QrRead {
  payload: ProvisioningPayload;
  /** The frame the code was read from. */
  frameSeq: number;
  frameAtMs: number;
}

export interface QrRejection {
  code: string;
  message: string;
  frameSeq: number;
}

export interface QrScannerEvents {
  read: QrRead;
  rejected: QrRejection;
}

export interface QrScannerStats {
  running: boolean;
  /** Frames delivered by the source since start(). */
  framesSeen: number;
  framesDecoded: number;
  /** Dropped because a decode was still running. */
  framesDroppedBusy: number;
  /** Dropped by the rate limit. */
  framesDroppedRate: number;
  /** Over the last 101 decodes; null before the first. */
  decodeMsMedian: number | null;
  decodeMsMax: number | null;
  decodeErrors: number;
  /** Distinct QR texts seen. */
  codes: number;
  reads: number;
  rejects: number;
  ignored: number;
}

type Counters = Omit<QrScannerStats, 'running' | 'decodeMsMedian'>;

export const QR_SCAN_RATE_DEFAULT = 4;
const RATE_MIN = 0.2;
const RATE_MAX = 10;
/** Distinct texts remembered; past that the oldest are forgotten (a screen cycling through codes must not grow memory). */
const SEEN_MAX = 256;
const DECODE_SAMPLES = 101;

export class QrScanner implements Service {
  readonly name = 'qr-scanner';
  readonly #deps: QrScannerDeps;
  readonly #events = new EventEmitter();
  #running = false;
  /** Bumped by start() and stop(): work begun under an older session is discarded. */
  #session = 0;
  #unsubscribe: (() => void) | null = null;
  #inFlight: Promise<void> | null = null;
  /** Theoretical arrival time of the next conforming frame (GCRA). */
  #nextAt = -Infinity;
  /** Digests of texts already handled, in insertion order. */
  #seenTexts = new Set<string>();
  #seenPayloads = new Set<string>();
  #loggedDecodeErrors = new Set<string>();
  #decodeMs: number[] = [];
  #stats: Counters = QrScanner.#zeroStats();

  constructor(deps: QrScannerDeps) {
    this.#deps = deps;
  }

  /** Subscribe; returns the unsubscribe function. */
  on<K extends keyof QrScannerEvents>(name: K, listener: (payload: QrScannerEvents[K]) => void): () => void {
    this.#events.on(name, listener);
    return () => this.#events.off(name, listener);
  }

  /**
   * Loads the decoder, then starts taking frames. Rejects with a
   * QrDecodeError('decoder_unavailable') when zxing cannot be loaded (the
   * provisioning service then relies on AP mode), or a RangeError for a
   * rate outside 0.2–10. Each start() begins a fresh session: codes seen
   * before are new again, stats start from zero.
   */
  async start(): Promise<void> {
    if (this.#running) return;
    const rate = this.#rate();
    const session = ++this.#session;
    await (this.#deps.decoder ?? zxingScanDecoder).prepare();
    if (session !== this.#session) return; // stop() came first
    this.#running = true;
    this.#nextAt = -Infinity;
    this.#seenTexts.clear();
    this.#seenPayloads.clear();
    this.#loggedDecodeErrors.clear();
    this.#decodeMs = [];
    this.#stats = QrScanner.#zeroStats();
    this.#unsubscribe = this.#deps.frames.on('frame', (frame) => this.#onFrame(frame));
    this.#deps.logger.info({ ratePerSecond: rate }, 'qr scanner started');
  }

  /** Stops taking frames and resolves once a decode in progress has finished; its result is discarded. */
  async stop(): Promise<void> {
    this.#session += 1;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    const wasRunning = this.#running;
    this.#running = false;
    const inFlight = this.#inFlight;
    if (inFlight) await inFlight;
    if (wasRunning) {
      const { running: _, ...stats } = this.stats();
      this.#deps.logger.info(stats, 'qr scanner stopped');
    }
  }

  /**
   * Forgets the codes seen so far, so the same code is read again: after a
   * failed join (AP not found, network down) the user may show the same code.
   */
  forget(): void {
    this.#seenTexts.clear();
    this.#seenPayloads.clear();
  }

  stats(): QrScannerStats {
    const samples = this.#decodeMs;
    return { running: this.#running, ...this.#stats, decodeMsMedian: samples.length ? median(samples) : null };
  }

  #rate(): number {
    const rate = this.#deps.ratePerSecond ?? QR_SCAN_RATE_DEFAULT;
    if (!(rate >= RATE_MIN && rate <= RATE_MAX)) throw new RangeError(`QR scan rate must be in ${RATE_MIN}–${RATE_MAX} per second, got ${rate}`);
    return rate;
  }

  #onFrame(frame: QrFrame): void {
    if (!this.#running) return;
    this.#stats.framesSeen += 1;
    if (this.#inFlight) {
      this.#stats.framesDroppedBusy += 1;
      return;
    }
    const now = this.#deps.clock.monotonic();
    const period = 1000 / this.#rate();
    if (now < this.#nextAt - period / 2) {
      this.#stats.framesDroppedRate += 1;
      return;
    }
    this.#nextAt = Math.max(this.#nextAt, now) + period;
    const session = this.#session;
    this.#inFlight = this.#decode(frame, session).finally(() => {
      this.#inFlight = null;
    });
  }

  async #decode(frame: QrFrame, session: number): Promise<void> {
    const { clock, logger } = this.#deps;
    const decoder = this.#deps.decoder ?? zxingScanDecoder;
    const t0 = clock.monotonic();
    let texts: string[];
    try {
      texts = await decoder.decode(frame);
    } catch (err) {
      if (session !== this.#session) return;
      this.#stats.decodeErrors += 1;
      const code = err instanceof QrDecodeError ? err.code : 'decode_failed';
      // Once per code: a broken decoder would otherwise log 4 lines a second.
      if (!this.#loggedDecodeErrors.has(code)) {
        this.#loggedDecodeErrors.add(code);
        logger.warn({ code, err }, 'qr decode failed');
      }
      return;
    }
    if (session !== this.#session) return;
    const ms = clock.monotonic() - t0;
    this.#stats.framesDecoded += 1;
    this.#decodeMs.push(ms);
    if (this.#decodeMs.length > DECODE_SAMPLES) this.#decodeMs.shift();
    this.#stats.decodeMsMax = Math.max(this.#stats.decodeMsMax ?? 0, ms);
    for (const text of texts) {
      if (session !== this.#session) return; // a listener stopped us
      this.#handle(text, frame);
    }
  }

  #handle(text: string, frame: QrFrame): void {
    const textKey = digest(text);
    if (this.#seenTexts.has(textKey)) return;
    remember(this.#seenTexts, textKey);
    this.#stats.codes += 1;
    const { logger } = this.#deps;
    let result: QrReadResult;
    try {
      result = this.#deps.classify(text);
    } catch (err) {
      // A classifier bug must not stop scanning (classifyQrText is total, this
      // is belt and braces); its message may quote the text, so only the type is logged.
      result = { kind: 'rejected', code: 'malformed', message: 'the QR text could not be parsed' };
      logger.error({ type: (err as Error)?.name }, 'qr classifier threw');
    }
    switch (result.kind) {
      case 'provisioning': {
        const payloadKey = digest(JSON.stringify(result.payload));
        if (this.#seenPayloads.has(payloadKey)) return; // the same payload in another spelling
        remember(this.#seenPayloads, payloadKey);
        this.#stats.reads += 1;
        const p = result.payload;
        logger.info({ format: p.format, auth: p.wifi.auth, hidden: p.wifi.hidden, binding: p.binding !== null, frameSeq: frame.seq }, 'qr: provisioning code read');
        this.#deps.onBeep?.('read');
        this.#events.emit('read', { payload: p, frameSeq: frame.seq, frameAtMs: frame.ptsMs } satisfies QrRead);
        return;
      }
      case 'own-label':
        this.#stats.ignored += 1;
        logger.debug('qr: our own label, ignored');
        return;
      case 'unrelated':
        this.#stats.ignored += 1;
        logger.debug({ what: result.what }, 'qr: unrelated code, ignored');
        return;
      case 'rejected':
        this.#stats.rejects += 1;
        logger.warn({ code: result.code, reason: result.message }, 'qr: code rejected');
        this.#deps.onBeep?.('rejected');
        this.#events.emit('rejected', { code: result.code, message: result.message, frameSeq: frame.seq } satisfies QrRejection);
        return;
    }
  }

  static #zeroStats(): Counters {
    return {
      framesSeen: 0,
      framesDecoded: 0,
      framesDroppedBusy: 0,
      framesDroppedRate: 0,
      decodeMsMax: null,
      decodeErrors: 0,
      codes: 0,
      reads: 0,
      rejects: 0,
      ignored: 0,
    };
  }
}

/** A digest, so the scanner never keeps a code's secrets in memory longer than one classification. */
function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64');
}

function remember(set: Set<string>, key: string): void {
  set.add(key);
  if (set.size > SEEN_MAX) set.delete(set.values().next().value!);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
